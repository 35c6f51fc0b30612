// api.ts
import { createClient } from "@resourceful-example/client";
import { getToken } from "./auth";

export const client = createClient({
  baseUrl: "https://api.example.com",
  // Called before every request, so a refreshed token is always used.
  headers: async () => ({ Authorization: `Bearer ${await getToken()}` }),
  timeoutMs: 15_000, // default 30 s; uses AbortController when the platform has it
});
