// For data parsed once and shared by every caller (Calico's manifests, the price table): frozen, so that a caller
// that changed its "copy" would throw instead of changing what every later caller reads.

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
