/**
 * The JSON a store's read parsed an item from (stored without its eTag, as `storedJson` wrote it): a
 * caller that later asks whether it changed the item (the state stage, before its save) compares with
 * it instead of stringifying what it read. Kept beside the item objects themselves, so nothing is added
 * to what the caller stores. A comparison with JSON another writer formatted differently only finds a
 * change where there is none: the item is written again, never left unwritten.
 */
const readJson = new WeakMap<object, string>();

export function keepReadJson(item: object, json: string): void {
  readJson.set(item, json);
}

/** The JSON `item` was read from, if a store kept it. */
export function jsonAsRead(item: unknown): string | undefined {
  return typeof item === 'object' && item !== null ? readJson.get(item) : undefined;
}
