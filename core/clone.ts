/**
 * A deep copy of JSON-shaped data (plain objects, arrays, primitives), as a turn copies the small
 * documents it reads (state items, member records): about four times faster there than
 * `structuredClone`, whose fixed cost per call dominates small documents. Anything else inside (a
 * `Date`, a `Map`) is copied by `structuredClone`; data with cycles is not JSON and not supported.
 */
export function cloneData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneData(value[i]);
    return copy as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneData((value as Record<string, unknown>)[key]);
    // `JSON.parse` makes "__proto__" an own key; assigning it would set the copy's prototype instead.
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}
