// cache-mmkv.ts
import { MMKV } from "react-native-mmkv";
import { createClient } from "@resourceful-example/client";
import type { CacheStorage } from "@resourceful-example/client";

const mmkv = new MMKV({ id: "api-cache" });

const storage: CacheStorage = {
  get: (key) => mmkv.getString(key),
  set: (key, value) => mmkv.set(key, value),
  delete: (key) => mmkv.delete(key),
  keys: () => mmkv.getAllKeys(),
};

export const client = createClient({ baseUrl: "https://api.example.com", cache: storage });
