// refresh.ts
import type { QueryClient } from "@tanstack/react-query";
import { taskKeys } from "@resourceful-example/client/react";

export function refreshTaskLists(queryClient: QueryClient) {
  return queryClient.invalidateQueries({ queryKey: taskKeys.lists() });
}
