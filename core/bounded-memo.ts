/**
 * The answer of `compute` for `key`, remembered in `cache`: for pure functions a turn asks for the same
 * few keys again and again (a conversation's hash tag, a member's hashed id, a word's stem). A full
 * cache (`limit` entries) starts afresh rather than grow without bound.
 */
export function remembered<K, V>(cache: Map<K, V>, limit: number, key: K, compute: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute(key);
    if (cache.size >= limit) cache.clear();
    cache.set(key, value);
  }
  return value;
}
