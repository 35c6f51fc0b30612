// The few react-native declarations the examples use (the package itself
// does not depend on react-native).
declare module "react-native" {
  import type { ComponentType, ReactElement, ReactNode } from "react";

  type Style = Record<string, string | number>;

  export const View: ComponentType<{ style?: Style; children?: ReactNode }>;
  export const Text: ComponentType<{ style?: Style; children?: ReactNode; onPress?: () => void }>;
  export const ActivityIndicator: ComponentType<{ size?: "small" | "large" }>;
  export const Pressable: ComponentType<{
    onPress?: () => void;
    style?: Style;
    accessibilityRole?: string;
    accessibilityState?: { checked?: boolean; disabled?: boolean };
    children?: ReactNode;
  }>;
  export const RefreshControl: ComponentType<{ refreshing: boolean; onRefresh?: () => void }>;

  export interface FlatListProps<T> {
    data: readonly T[] | null | undefined;
    renderItem: (info: { item: T; index: number }) => ReactElement | null;
    keyExtractor?: (item: T, index: number) => string;
    onEndReached?: (info: { distanceFromEnd: number }) => void;
    onEndReachedThreshold?: number;
    refreshControl?: ReactElement;
    ListFooterComponent?: ReactElement | null;
    ListEmptyComponent?: ReactElement | null;
  }
  export function FlatList<T>(props: FlatListProps<T>): ReactElement | null;

  export type AppStateStatus = "active" | "background" | "inactive";
  export const AppState: {
    currentState: AppStateStatus;
    addEventListener(type: "change", listener: (state: AppStateStatus) => void): { remove(): void };
  };
}
