// cache-async-storage.ts
import AsyncStorage from "@react-native-async-storage/async-storage";
import { EtagCache, createClient } from "@resourceful-example/client";
import type { CacheStorage } from "@resourceful-example/client";

const PREFIX = "api-cache:";

const storage: CacheStorage = {
  get: (key) => AsyncStorage.getItem(key),
  set: (key, value) => AsyncStorage.setItem(key, value),
  delete: (key) => AsyncStorage.removeItem(key),
  keys: async () => (await AsyncStorage.getAllKeys()).filter((k) => k.startsWith(PREFIX)),
};

export const client = createClient({
  baseUrl: "https://api.example.com",
  cache: new EtagCache(storage, { prefix: PREFIX }),
});
