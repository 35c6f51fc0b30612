// `node scripts/extract-readme.js <package>` writes every ```ts / ```tsx
// block of the README of the generated package example-service/clients/<package>
// (`typescript`, the newest API; `typescript-v1`, the API as of v1) to
// build/readme/<package>/<file named on the block's first line>, so that
// tsconfig.examples.json (typescript) and tsconfig.examples-v1.json
// (typescript-v1) type-check the documentation as app code.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const pkg = process.argv[2];
if (!pkg || !/^[\w.-]+$/.test(pkg)) throw new Error("usage: node scripts/extract-readme.js <package directory under clients/, e.g. typescript>");
const readme = path.join(__dirname, "..", "..", "..", "clients", pkg, "README.md");
const out = path.join(__dirname, "..", "build", "readme", pkg);

const text = fs.readFileSync(readme, "utf8");
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const blocks = [...text.matchAll(/^```(ts|tsx)\n([\s\S]*?)^```$/gm)];
if (blocks.length === 0) throw new Error("the README has no TypeScript examples");
const names = new Set();
for (const [, lang, body] of blocks) {
  const first = body.split("\n", 1)[0];
  const m = /^\/\/ ([\w.-]+\.(ts|tsx))$/.exec(first);
  if (!m) throw new Error(`a \`\`\`${lang} block does not name its file on the first line: ${first}`);
  if (names.has(m[1])) throw new Error(`two README blocks are named ${m[1]}`);
  names.add(m[1]);
  fs.writeFileSync(path.join(out, m[1]), body);
}
// What the examples import from the app itself.
fs.writeFileSync(
  path.join(out, "auth.ts"),
  'export async function getToken(): Promise<string | null> {\n  return "token";\n}\n' +
    'export async function refreshToken(): Promise<string | null> {\n  return "new-token";\n}\n',
);
console.log(`extracted ${blocks.length} README examples of clients/${pkg}`);
