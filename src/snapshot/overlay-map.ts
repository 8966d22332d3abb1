/** Marks a key the overlay removes from its base. */
const removed: unique symbol = Symbol("removed");
type Slot<V> = V | typeof removed;

/**
 * An immutable map made of a base map that several versions share and a small overlay of what
 * changed since it. Deriving the next version copies the overlay plus the changes, not the base, so a
 * change to one resource of 10,000 costs that change; once the overlay outgrows
 * {@link overlayLimit} of its base, the next version is flattened into a plain Map of its own. Reads
 * look at the overlay first, then the base. Iteration order: the base's order (with replaced values
 * in place, removed keys skipped), then the keys the overlay adds, in the order they were added.
 */
class OverlayMap<K, V> implements ReadonlyMap<K, V> {
  constructor(
    readonly base: ReadonlyMap<K, V>,
    readonly overlay: ReadonlyMap<K, Slot<V>>,
    readonly size: number,
  ) {}

  get(key: K): V | undefined {
    const slot = this.overlay.get(key);
    if (slot !== undefined) return slot === removed ? undefined : slot;
    return this.base.get(key);
  }

  has(key: K): boolean {
    const slot = this.overlay.get(key);
    if (slot !== undefined) return slot !== removed;
    return this.base.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    const { base, overlay } = this;
    for (const [key, value] of base) {
      const slot = overlay.get(key);
      if (slot === undefined) yield [key, value];
      else if (slot !== removed) yield [key, slot];
    }
    for (const [key, slot] of overlay) if (slot !== removed && !base.has(key)) yield [key, slot];
  }

  *keys(): MapIterator<K> {
    const { base, overlay } = this;
    for (const key of base.keys()) if (overlay.get(key) !== removed) yield key;
    for (const [key, slot] of overlay) if (slot !== removed && !base.has(key)) yield key;
  }

  *values(): MapIterator<V> {
    const { base, overlay } = this;
    for (const [key, value] of base) {
      const slot = overlay.get(key);
      if (slot === undefined) yield value;
      else if (slot !== removed) yield slot;
    }
    for (const [key, slot] of overlay) if (slot !== removed && !base.has(key)) yield slot;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}

/** The most entries an overlay holds over a base of `baseSize` before a version is flattened. */
export function overlayLimit(baseSize: number): number {
  return Math.max(64, 4 * Math.ceil(Math.sqrt(baseSize)));
}

/**
 * `map` with `changes` applied (a key → its new value, or undefined to remove it), as a new
 * immutable map; `map` itself is left as it is. Neither map may be modified afterwards.
 */
export function withChanges<K, V>(map: ReadonlyMap<K, V>, changes: ReadonlyMap<K, V | undefined>): ReadonlyMap<K, V> {
  const base = map instanceof OverlayMap ? (map.base as ReadonlyMap<K, V>) : map;
  const overlay = new Map<K, Slot<V>>(map instanceof OverlayMap ? (map.overlay as ReadonlyMap<K, Slot<V>>) : undefined);
  let size = map.size;
  for (const [key, value] of changes) {
    const had = map.has(key);
    if (value === undefined) {
      if (!had) continue;
      size--;
      // A key only the overlay added needs no mark: the base never had it.
      if (base.has(key)) overlay.set(key, removed);
      else overlay.delete(key);
    } else {
      if (!had) size++;
      overlay.set(key, value);
    }
  }
  const derived = new OverlayMap(base, overlay, size);
  return overlay.size > overlayLimit(base.size) ? new Map(derived) : derived;
}

/**
 * The keys whose values can differ between `a` and `b` when both are versions over one base map
 * (made by withChanges, or the base itself): their overlays' keys, every other key reading the
 * base in both. Undefined when they share no base (compare them whole then).
 */
export function keysThatMayDiffer<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): ReadonlySet<K> | undefined {
  const baseOf = (map: ReadonlyMap<K, V>) => (map instanceof OverlayMap ? (map.base as ReadonlyMap<K, V>) : map);
  if (baseOf(a) !== baseOf(b)) return undefined;
  const keys = new Set<K>();
  for (const map of [a, b]) if (map instanceof OverlayMap) for (const key of map.overlay.keys()) keys.add(key as K);
  return keys;
}
