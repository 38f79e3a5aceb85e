/**
 * A vocabulary's feature names and their indices in one string and two typed arrays. As an array of
 * strings and a `Map`, the sentiment models' ~30,000 names were as many heap objects, plus the Map's
 * table, that every mark-compact walked for the life of the process.
 */
export class NameIndex {
  /** Every name, one after another. */
  private readonly text: string;
  /** Name i is `text.slice(ends[i - 1] ?? 0, ends[i])`. */
  private readonly ends: Int32Array;
  /** Open addressing by hash: a findable name's index + 1; 0 is an empty slot. */
  private readonly slots: Int32Array;

  /** `findable` says which names {@link get} finds (all of them are kept for {@link names}). */
  constructor(vocabulary: readonly string[], findable: (name: string) => boolean) {
    this.text = vocabulary.join('');
    this.ends = new Int32Array(vocabulary.length);
    let end = 0;
    vocabulary.forEach((name, i) => {
      end += name.length;
      this.ends[i] = end;
    });
    let capacity = 16;
    while (capacity < vocabulary.length * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    vocabulary.forEach((name, i) => {
      if (!findable(name)) return;
      let slot = hash(name) & (capacity - 1);
      while (this.slots[slot] !== 0) slot = (slot + 1) & (capacity - 1);
      this.slots[slot] = i + 1;
    });
  }

  get size(): number {
    return this.ends.length;
  }

  /** The index of `name`, if it is a findable name of the vocabulary. */
  get(name: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let slot = hash(name) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return undefined;
      const i = entry - 1;
      const start = i === 0 ? 0 : (this.ends[i - 1] as number);
      if ((this.ends[i] as number) - start === name.length && this.text.startsWith(name, start)) return i;
    }
  }

  /** The names, in vocabulary order. */
  names(): string[] {
    return Array.from(this.ends, (end, i) => this.text.slice(i === 0 ? 0 : this.ends[i - 1], end));
  }
}

/** FNV-1a over the UTF-16 code units. */
function hash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
