/**
 * Items a read gave back as they were before a cut save of the reading turn (`StorageReadOptions.turn`):
 * a set of the item objects themselves, so nothing is added to what the caller stores.
 */
const restored = new WeakSet<object>();

export function markRestored(item: object): void {
  restored.add(item);
}

/**
 * Whether `item`, as a read with `{turn}` returned it, is the value an earlier save of that turn
 * replaced rather than what is stored: its caller must write it back even unchanged, or the cut
 * save's change would stay.
 */
export function restoredBeforeTurn(item: unknown): boolean {
  return typeof item === 'object' && item !== null && restored.has(item);
}
