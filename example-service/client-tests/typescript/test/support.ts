// Shared helpers: the service's address, development tokens, a fetch that
// records the wire traffic, and fresh projects so tests never see each
// other's rows.

import { createClient } from "../../../clients/typescript-v1/src";
import type { ApiClient, ClientConfig, FetchInit, FetchLike, Project } from "../../../clients/typescript-v1/src";

export const API_BASE = (() => {
  const base = process.env.API_BASE;
  if (!base) throw new Error("API_BASE is not set: run scripts/client-tests/typescript.sh, or start the example service and export API_BASE");
  return base;
})();

export interface WireCall {
  method: string;
  url: string;
  status: number;
  requestHeaders: Record<string, string>;
  /** The body as received on the wire. */
  body: string;
  /** The response's `Cache-Control`. */
  cacheControl: string | null;
}

/** The platform fetch, recording every exchange. */
export function recordingFetch(): { fetch: FetchLike; calls: WireCall[] } {
  const calls: WireCall[] = [];
  const f: FetchLike = async (url: string, init: FetchInit) => {
    const res = await fetch(url, init);
    const body = await res.text();
    calls.push({ method: init.method, url, status: res.status, requestHeaders: { ...init.headers }, body, cacheControl: res.headers.get("cache-control") });
    return { status: res.status, statusText: res.statusText, headers: res.headers, text: async () => body };
  };
  return { fetch: f, calls };
}

/**
 * The test callers: an editor (writes projects and tasks), a plain
 * signed-in user, and an admin (changes anyone's comments).
 */
export type User = "ana" | "ben" | "root";
const ROLES: Record<User, string[]> = { ana: ["editor"], ben: [], root: ["admin"] };

/** A token from the service's development issuer (`POST /dev/token`). */
export async function mintToken(sub: string, roles: string[], ttlSecs = 3600): Promise<string> {
  const res = await fetch(`${API_BASE}/dev/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub, roles, ttl_secs: ttlSecs }),
  });
  if (!res.ok) throw new Error(`POST /dev/token answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

const minted = new Map<User, Promise<string>>();

/** `user`'s token: minted by the test script (TOKEN_ANA, ...) or here, once per process. */
export function token(user: User): Promise<string> {
  const given = process.env[`TOKEN_${user.toUpperCase()}`];
  if (given) return Promise.resolve(given);
  let t = minted.get(user);
  if (!t) {
    t = mintToken(user, ROLES[user]);
    minted.set(user, t);
  }
  return t;
}

/** A client signed in as `user` (ana, the editor, by default). */
export function newClient(config: Partial<ClientConfig> = {}, user: User = "ana"): ApiClient {
  return createClient({ baseUrl: API_BASE, getToken: () => token(user), ...config });
}

let counter = 0;

/** A project key matching the declared pattern `[A-Z][A-Z0-9]{1,9}`, unique per run. */
export function uniqueKey(): string {
  counter += 1;
  const rand = Math.floor(Math.random() * 36 ** 5).toString(36).toUpperCase().padStart(5, "0");
  return `T${rand}${counter.toString(36).toUpperCase()}`.slice(0, 10);
}

export async function newProject(client: ApiClient, name?: string): Promise<Project> {
  const key = uniqueKey();
  return client.projects.create({ name: name ?? `Project ${key}`, key, visibility: "team" });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
