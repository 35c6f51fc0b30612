// errors.ts
import { ApiError, NetworkError } from "@resourceful-example/client";
import type { TaskCreate } from "@resourceful-example/client";
import { client } from "./api";

/** Returns messages per field for the form, `{}` on success. */
export async function save(input: TaskCreate): Promise<Record<string, string[]>> {
  try {
    await client.tasks.create(input);
    return {};
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.status === 422) return e.fieldErrors(); // e.g. { title: ["`title` is required"] }
      if (e.is("conflict")) return { "": [e.detail] }; // 409: a unique value is taken
      if (e.retryAfter !== null) return { "": [`Busy, try again in ${e.retryAfter} s`] }; // 429 / 503
      return { "": [e.title] };
    }
    if (e instanceof NetworkError) {
      return { "": [e.isTimeout ? "The server did not answer in time." : "No connection."] };
    }
    throw e;
  }
}
