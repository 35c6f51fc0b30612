// Minimal declarations of the storage libraries the README's cache adapters
// use; the package has no dependency on them.
declare module "@react-native-async-storage/async-storage" {
  const AsyncStorage: {
    getItem(key: string): Promise<string | null>;
    setItem(key: string, value: string): Promise<void>;
    removeItem(key: string): Promise<void>;
    getAllKeys(): Promise<readonly string[]>;
  };
  export default AsyncStorage;
}

declare module "react-native-mmkv" {
  export class MMKV {
    constructor(options?: { id?: string });
    getString(key: string): string | undefined;
    set(key: string, value: string | number | boolean): void;
    delete(key: string): void;
    getAllKeys(): string[];
  }
}
