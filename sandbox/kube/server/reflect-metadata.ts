// @peculiar/x509 pulls in tsyringe, which refuses to load without the Reflect metadata API
// (the `reflect-metadata` package is not installed). The three calls it makes are enough to provide here.
// Import this module before '@peculiar/x509'.
type Target = object;
const store = new WeakMap<Target, Map<unknown, unknown>>();

interface ReflectMetadata {
  getMetadata?: (key: unknown, target: Target) => unknown;
  getOwnMetadata?: (key: unknown, target: Target) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: Target) => void;
}

const reflect = Reflect as unknown as ReflectMetadata;
if (!reflect.getMetadata) {
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.defineMetadata = (key, value, target) => {
    let map = store.get(target);
    if (!map) store.set(target, (map = new Map()));
    map.set(key, value);
  };
  reflect.getMetadata = (key, target) => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t) as Target | null) {
      const value = store.get(t)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

export {};
