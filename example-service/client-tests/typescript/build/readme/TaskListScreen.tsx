// TaskListScreen.tsx
import { useCallback } from "react";
import { ActivityIndicator, FlatList, Pressable, RefreshControl, Text, View } from "react-native";
import type { Task } from "@resourceful-example/client";
import { flattenPages, useTaskInfinite, useUpdateTask } from "@resourceful-example/client/react";

export function TaskListScreen() {
  const { data, error, fetchNextPage, hasNextPage, isFetchingNextPage, isPending, isRefetching, refetch } =
    useTaskInfinite({ sort: ["-title", "status"], limit: 20 });
  // Optimistic: the row flips at once and flips back if the server refuses.
  const { mutate: update } = useUpdateTask();
  const items = flattenPages(data);

  const renderItem = useCallback(
    ({ item }: { item: Task }) => (
      <Pressable
        accessibilityRole="checkbox"
        accessibilityState={{ checked: item.done }}
        onPress={() => update({ id: item.id, patch: { done: !item.done } })}
        style={{ flexDirection: "row", padding: 12 }}
      >
        <Text>{item.done ? "☑" : "☐"}</Text>
        <Text style={{ marginLeft: 8 }}>{item.title}</Text>
      </Pressable>
    ),
    [update],
  );

  if (isPending) return <ActivityIndicator />;
  if (error) return <Text>{error.message}</Text>;
  return (
    <FlatList
      data={items}
      keyExtractor={(item) => String(item.id)}
      renderItem={renderItem}
      onEndReached={() => {
        if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
      }}
      onEndReachedThreshold={0.5}
      refreshControl={
        <RefreshControl refreshing={isRefetching && !isFetchingNextPage} onRefresh={() => void refetch()} />
      }
      ListFooterComponent={isFetchingNextPage ? <ActivityIndicator /> : null}
    />
  );
}
