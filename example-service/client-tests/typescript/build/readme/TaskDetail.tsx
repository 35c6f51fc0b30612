// TaskDetail.tsx
import { useState } from "react";
import { Text, View } from "react-native";
import { ApiError } from "@resourceful-example/client";
import type { TaskId } from "@resourceful-example/client";
import { useDeleteTask, useTask, useUpdateTask } from "@resourceful-example/client/react";

export function TaskDetail({ id, onDeleted }: { id: TaskId; onDeleted: () => void }) {
  const { data: item, error, isPending } = useTask(id);
  const update = useUpdateTask();
  const remove = useDeleteTask({ onSuccess: onDeleted });
  const [problems, setProblems] = useState<Record<string, string[]>>({});

  if (isPending) return <Text>Loading…</Text>;
  if (error) return <Text>{error instanceof ApiError && error.status === 404 ? "Not found" : error.message}</Text>;
  const save = () =>
    update.mutate(
      { id, patch: { done: true } },
      { onError: (e) => setProblems(e instanceof ApiError ? e.fieldErrors() : {}) },
    );
  return (
    <View>
      <Text>{item.title}</Text>
      {Object.entries(problems).map(([field, messages]) => (
        <Text key={field}>{messages.join("\n")}</Text>
      ))}
      <Text onPress={save}>Save</Text>
      <Text onPress={() => remove.mutate({ id })}>Delete</Text>
    </View>
  );
}
