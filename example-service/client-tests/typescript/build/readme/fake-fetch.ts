// fake-fetch.ts
import { createClient } from "@resourceful-example/client";
import type { FetchLike } from "@resourceful-example/client";

const fakeFetch: FetchLike = async (url, init) => ({
  status: 200,
  headers: { get: (name) => (name.toLowerCase() === "content-type" ? "application/json" : null) },
  text: async () => JSON.stringify({ items: [], next_cursor: null, limit: 50, url, method: init.method }),
});

export const testClient = createClient({ baseUrl: "http://test", fetch: fakeFetch, cache: false });
