import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { IncrementalConsistency } from "../src/snapshot/incremental-consistency.js";
import {
  checkSnapshotConsistency,
  clusterType,
  createTypeSnapshot,
  deriveTypeSnapshot,
  type EncodedResource,
  encodeResourceValue,
  endpointType,
  listenerType,
  routeType,
  SnapshotCache,
  snapshotOf,
  type TypeSnapshot,
  type XdsTypeUrl,
} from "../src/snapshot/index.js";
import { seededRandom } from "./support/seeded-random.js";

const random = seededRandom;

/** A resource whose bytes depend on `version`, referencing `references` (the check reads names and references only). */
function resource(type: XdsTypeUrl, name: string, version: number, references: readonly string[] = []): EncodedResource {
  const value = toBinary(ClusterSchema, create(ClusterSchema, { name: `${name}#${version}` }));
  return encodeResourceValue(type, value, name, references);
}

describe("IncrementalConsistency", () => {
  it("should give the verdict and the problems of the full check, snapshot after snapshot", () => {
    const next = random(11);
    const checker = new IncrementalConsistency();
    const names = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const allTypes: readonly XdsTypeUrl[] = [clusterType, endpointType, listenerType, routeType];
    const state = new Map<XdsTypeUrl, Map<string, EncodedResource>>(allTypes.map((t) => [t, new Map<string, EncodedResource>()] as const));
    // Start consistent: every name has all four resources.
    for (const name of names.slice(0, 8)) {
      state.get(clusterType)!.set(name, resource(clusterType, name, 0, [name]));
      state.get(endpointType)!.set(name, resource(endpointType, name, 0));
      state.get(listenerType)!.set(name, resource(listenerType, name, 0, [name]));
      state.get(routeType)!.set(name, resource(routeType, name, 0));
    }
    let previous = new Map<XdsTypeUrl, TypeSnapshot>();
    let refused = 0;
    for (let step = 0; step < 400; step++) {
      const types = new Map(previous);
      for (const type of [clusterType, endpointType, listenerType, routeType] as const) {
        if (previous.has(type) && next() < 0.5) continue; // keep the very same TypeSnapshot
        const map = new Map(state.get(type)!);
        const edits = Math.floor(next() * 3);
        for (let e = 0; e < edits; e++) {
          const name = names[Math.floor(next() * names.length)]!;
          const dice = next();
          const parent = type === clusterType || type === listenerType;
          if (dice < 0.3) map.delete(name);
          else if (dice < 0.5 && parent)
            map.set(name, resource(type, name, step, next() < 0.5 ? [] : [names[Math.floor(next() * names.length)]!]));
          else map.set(name, resource(type, name, step, parent ? [name] : []));
        }
        // Sometimes the same bytes with other references: only object identity tells them apart.
        if (next() < 0.1 && map.size > 0 && (type === clusterType || type === listenerType)) {
          const [name, old] = [...map][0]!;
          map.set(name, encodeResourceValue(type, old.any, name, old.references.length === 0 ? [name] : []));
        }
        state.set(type, map);
        const base = previous.get(type);
        if (base && next() < 0.5) {
          // Derived from the last consistent snapshot: the check then reads the recorded changes.
          const changes = new Map<string, EncodedResource | undefined>();
          for (const name of new Set([...base.resources.keys(), ...map.keys()]))
            if (base.resources.get(name) !== map.get(name)) changes.set(name, map.get(name));
          types.set(type, deriveTypeSnapshot(base, changes));
        } else types.set(type, createTypeSnapshot(type, map.values()));
      }
      const snapshot = snapshotOf(types);
      const expected = checkSnapshotConsistency(snapshot);
      assert.deepEqual(checker.check(snapshot), expected, `step ${step}`);
      if (expected.length === 0) previous = types;
      else {
        refused += 1;
        // A refused snapshot never becomes the base: go back to the last consistent one.
        for (const type of [clusterType, endpointType, listenerType, routeType] as const)
          state.set(type, new Map(previous.get(type)?.resources ?? []));
      }
    }
    assert.ok(refused > 20 && refused < 380, `a useful mix of verdicts (${refused} refused)`);
  });

  it("should be what SnapshotCache.setSnapshot decides with", () => {
    const cache = new SnapshotCache();
    const good = snapshotOf(
      new Map([
        [clusterType, createTypeSnapshot(clusterType, [resource(clusterType, "a", 0, ["a"])])],
        [endpointType, createTypeSnapshot(endpointType, [resource(endpointType, "a", 0)])],
      ]),
    );
    assert.deepEqual(cache.setSnapshot("g", good), { published: true });
    const bad = snapshotOf(
      new Map([
        [clusterType, good.get(clusterType)],
        [endpointType, createTypeSnapshot(endpointType, [])],
      ]),
    );
    assert.deepEqual(cache.setSnapshot("g", bad), {
      published: false,
      problems: ["cluster a needs ClusterLoadAssignment a, which is missing"],
    });
    assert.equal(cache.getSnapshot("g"), good);
  });
});
