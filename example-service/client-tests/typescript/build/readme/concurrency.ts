// concurrency.ts
import { ApiError } from "@resourceful-example/client";
import type { TaskId } from "@resourceful-example/client";
import { client } from "./api";

export async function changeOnce(id: TaskId) {
  const { data, etag } = await client.tasks.getWithEtag(id);
  try {
    return await client.tasks.update(id, { done: true }, { ifMatch: etag ?? undefined });
  } catch (e) {
    if (e instanceof ApiError && e.is("precondition-failed")) {
      return data; // changed meanwhile: reload, show the user, retry
    }
    throw e;
  }
}
