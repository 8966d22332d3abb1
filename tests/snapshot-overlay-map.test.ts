// withChanges() against a plain Map given the same changes: long random chains of derivations, old
// versions read again after later ones, and the point where a version is flattened.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { keysThatMayDiffer, overlayLimit, withChanges } from "../src/snapshot/overlay-map.js";

/** The map a plain copy gives for `changes` on `map` (what deriveTypeSnapshot did before overlays). */
function copied<K, V>(map: ReadonlyMap<K, V>, changes: ReadonlyMap<K, V | undefined>): Map<K, V> {
  const next = new Map(map);
  for (const [key, value] of changes) {
    if (value === undefined) next.delete(key);
    else next.set(key, value);
  }
  return next;
}

/** Every way to read `map`, compared with `expected`. */
function assertSameMap(map: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>, probes: readonly string[]): void {
  assert.equal(map.size, expected.size);
  assert.deepEqual(new Map(map), expected);
  assert.deepEqual([...map.keys()].sort(), [...expected.keys()].sort());
  assert.deepEqual([...map.values()].sort(), [...expected.values()].sort());
  const seen: Array<[string, number]> = [];
  map.forEach((value, key, self) => {
    assert.equal(self, map);
    seen.push([key, value]);
  });
  assert.deepEqual(new Map(seen), expected);
  for (const key of probes) {
    assert.equal(map.has(key), expected.has(key), `has(${key})`);
    assert.equal(map.get(key), expected.get(key), `get(${key})`);
  }
}

const key = fc.integer({ min: 0, max: 120 }).map((n) => `k${n}`);
const change = fc.tuple(key, fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: undefined }));
const chain = fc.array(fc.array(change, { maxLength: 12 }), { minLength: 1, maxLength: 60 });

describe("withChanges()", () => {
  it("should read, count and iterate like a copied Map after any chain of changes, old versions too", () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 100 }), chain, (initialKeys, steps) => {
        const start = new Map(initialKeys.map((k, i) => [k, i]));
        const versions: Array<{ map: ReadonlyMap<string, number>; expected: Map<string, number> }> = [
          { map: start, expected: new Map(start) },
        ];
        for (const step of steps) {
          const changes = new Map(step);
          const last = versions.at(-1)!;
          versions.push({ map: withChanges(last.map, changes), expected: copied(last.expected, changes) });
        }
        const probes = Array.from({ length: 121 }, (_, n) => `k${n}`);
        for (const { map, expected } of versions) assertSameMap(map, expected, probes);
        // Any two versions: where they differ must be among the keys said to possibly differ.
        for (const a of versions)
          for (const b of versions) {
            const candidates = keysThatMayDiffer(a.map, b.map);
            if (!candidates) continue;
            for (const key of probes)
              if (a.expected.get(key) !== b.expected.get(key)) assert.ok(candidates.has(key), `${key} differs but is not a candidate`);
          }
      }),
      { numRuns: 200, seed: 13 },
    );
  });

  it("should name only overlay keys as possibly differing, and nothing for maps over different bases", () => {
    const base = new Map(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i]));
    const one = withChanges(base, new Map([["k1", -1]]));
    const two = withChanges(
      one,
      new Map<string, number | undefined>([
        ["k2", undefined],
        ["new", 5],
      ]),
    );
    assert.deepEqual([...(keysThatMayDiffer(one, two) ?? [])].sort(), ["k1", "k2", "new"]);
    assert.deepEqual([...(keysThatMayDiffer(base, two) ?? [])].sort(), ["k1", "k2", "new"]);
    assert.equal(keysThatMayDiffer(two, new Map(two)), undefined, "a flattened copy shares no base");
  });

  it("should leave the map it derives from as it was", () => {
    const base = new Map([
      ["a", 1],
      ["b", 2],
    ]);
    const next = withChanges(
      base,
      new Map<string, number | undefined>([
        ["a", undefined],
        ["c", 3],
      ]),
    );
    assert.deepEqual(
      [...base],
      [
        ["a", 1],
        ["b", 2],
      ],
    );
    assert.deepEqual(
      [...next],
      [
        ["b", 2],
        ["c", 3],
      ],
    );
    assert.deepEqual(
      [...withChanges(next, new Map([["a", 9]]))],
      [
        ["a", 9],
        ["b", 2],
        ["c", 3],
      ],
      "a key re-added keeps the base's place",
    );
  });

  it("should share the base until the overlay outgrows its limit, then flatten into a plain Map", () => {
    const base = new Map(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const limit = overlayLimit(base.size);
    assert.ok(limit < base.size / 10, `the overlay stays small next to its base (${limit} of ${base.size})`);
    let map: ReadonlyMap<string, number> = base;
    for (let i = 0; i < limit; i++) map = withChanges(map, new Map([[`k${i}`, -i]]));
    assert.ok(!(map instanceof Map), "still an overlay at the limit");
    map = withChanges(map, new Map([[`k${limit}`, -limit]]));
    assert.ok(map instanceof Map, "flattened past it");
    assert.equal(map.get("k0"), -0);
    assert.equal(map.get(`k${limit}`), -limit);
    assert.equal(map.get(`k${limit + 1}`), limit + 1);
    assert.equal(base.get("k0"), 0, "the original is untouched");
  });
});
