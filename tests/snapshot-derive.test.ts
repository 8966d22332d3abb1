import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import {
  clusterType,
  createTypeSnapshot,
  derivedChanges,
  deriveTypeSnapshot,
  diffTypeSnapshots,
  type EncodedResource,
  encodeResourceValue,
} from "../src/snapshot/index.js";

const cluster = (name: string, version: number): EncodedResource =>
  encodeResourceValue(clusterType, toBinary(ClusterSchema, create(ClusterSchema, { name, altStatName: String(version) })), name);

describe("deriveTypeSnapshot()", () => {
  it("should give what createTypeSnapshot gives for the same resources, and record the diff", () => {
    const base = createTypeSnapshot(
      clusterType,
      Array.from({ length: 50 }, (_, i) => cluster(`c${i}`, 0)),
    );
    const changes = new Map<string, EncodedResource | undefined>([
      ["c1", cluster("c1", 1)], // changed content
      ["c2", cluster("c2", 0)], // a new object with the same content
      ["c3", undefined], // removed
      ["c99", cluster("c99", 0)], // added
      ["c4", base.resources.get("c4")], // the very same object: not a change
      ["nope", undefined], // removing what is not there: not a change
    ]);
    const derived = deriveTypeSnapshot(base, changes);
    const expected = createTypeSnapshot(
      clusterType,
      [...base.resources.values(), cluster("c99", 0)].filter((r) => r.name !== "c3").map((r) => changes.get(r.name) ?? r),
    );
    assert.equal(derived.version, expected.version);
    assert.deepEqual([...derived.resources.keys()].sort(), [...expected.resources.keys()].sort());
    for (const [name, resource] of expected.resources) assert.equal(derived.resources.get(name)?.hash, resource.hash);
    const diff = diffTypeSnapshots(base, derived);
    assert.deepEqual([...diff.changed].sort(), ["c1", "c99"]);
    assert.deepEqual([...diff.removed], ["c3"]);
    const fresh = diffTypeSnapshots(base, expected);
    assert.deepEqual([...fresh.changed].sort(), [...diff.changed].sort(), "the recorded diff is the computed one");
    assert.deepEqual([...(derivedChanges(base, derived) ?? [])].sort(), ["c1", "c2", "c3", "c99"]);
    assert.equal(derivedChanges(base, expected), undefined);
    assert.equal(deriveTypeSnapshot(base, new Map([["c4", base.resources.get("c4")]])), base, "no change, no new snapshot");
    assert.throws(() => deriveTypeSnapshot(base, new Map([["x", cluster("y", 0)]])), /named x/);
  });

  it("should diff versions two publishes apart over one base like two snapshots built whole", () => {
    const base = createTypeSnapshot(
      clusterType,
      Array.from({ length: 50 }, (_, i) => cluster(`c${i}`, 0)),
    );
    const first = deriveTypeSnapshot(
      base,
      new Map([
        ["c1", cluster("c1", 1)],
        ["c2", undefined],
      ]),
    );
    const second = deriveTypeSnapshot(
      first,
      new Map<string, EncodedResource | undefined>([
        ["c3", cluster("c3", 1)],
        ["c2", cluster("c2", 0)], // back, with its old content
        ["c4", undefined],
        ["c1", cluster("c1", 1)], // a new object, same content as in first
      ]),
    );
    const whole = (snapshot: typeof base) => createTypeSnapshot(clusterType, snapshot.resources.values());
    // Two publishes apart (a stream that skipped one): no recorded diff, only the shared base.
    assert.equal(derivedChanges(base, second), undefined);
    const expected = diffTypeSnapshots(whole(base), whole(second)); // no shared base: a full walk
    const diff = diffTypeSnapshots(base, second);
    assert.deepEqual([...diff.changed].sort(), [...expected.changed].sort());
    assert.deepEqual([...diff.removed].sort(), [...expected.removed].sort());
    assert.deepEqual([...diff.changed].sort(), ["c1", "c3"]);
    assert.deepEqual([...diff.removed], ["c4"]);
  });
});
