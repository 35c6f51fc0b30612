// App.tsx
import { useEffect } from "react";
import { AppState } from "react-native";
import { QueryClient, QueryClientProvider, focusManager } from "@tanstack/react-query";
import { isRetryable } from "@resourceful-example/client";
import { ApiClientProvider } from "@resourceful-example/client/react";
import { client } from "./api";
import { TaskListScreen } from "./TaskListScreen";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 30_000, retry: (failures, error) => failures < 3 && isRetryable(error) },
  },
});

export default function App() {
  // Refetch stale queries when the app returns to the foreground.
  useEffect(() => {
    const sub = AppState.addEventListener("change", (state) => focusManager.setFocused(state === "active"));
    return () => sub.remove();
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <ApiClientProvider client={client}>
        <TaskListScreen />
      </ApiClientProvider>
    </QueryClientProvider>
  );
}
