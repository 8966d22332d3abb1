import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import {
  checkSnapshotConsistency,
  clusterType,
  contentVersion,
  createSnapshot,
  createTypeSnapshot,
  diffTypeSnapshots,
  encodeResource,
  endpointType,
  listenerType,
  routeType,
  type Snapshot,
  SnapshotCache,
} from "../src/snapshot/index.js";
import { fixtureResources, fixtureSnapshot } from "./support/fixtures.js";

describe("encodeResource()", () => {
  it("should give equal digests to equal content and different ones to different names or content", () => {
    const a1 = fixtureResources("a", { connectTimeoutSeconds: 5 }).cluster;
    const a2 = fixtureResources("a", { connectTimeoutSeconds: 5 }).cluster;
    const a3 = fixtureResources("a", { connectTimeoutSeconds: 6 }).cluster;
    assert.notEqual(a1, a2);
    assert.equal(a1.hash, a2.hash);
    assert.notEqual(a1.hash, a3.hash);
    const cluster = create(ClusterSchema, { name: "same-bytes" });
    assert.notEqual(
      encodeResource(clusterType, ClusterSchema, cluster, "x").hash,
      encodeResource(clusterType, ClusterSchema, cluster, "y").hash,
      "the name is part of the digest",
    );
  });

  it("should refuse a schema that does not match the type URL", () => {
    assert.throws(() => encodeResource(endpointType, ClusterSchema, create(ClusterSchema, { name: "a" }), "a"), /does not match/);
  });
});

describe("contentVersion()", () => {
  it("should depend on content only, not on order or on which process computed it", () => {
    const first = [fixtureResources("a", {}).cluster, fixtureResources("b", {}).cluster];
    const rebuilt = [fixtureResources("b", {}).cluster, fixtureResources("a", {}).cluster];
    assert.equal(contentVersion(first), contentVersion(rebuilt));
    assert.notEqual(contentVersion(first), contentVersion([first[0]!]));
    assert.notEqual(contentVersion(first), contentVersion([first[0]!, fixtureResources("b", { connectTimeoutSeconds: 9 }).cluster]));
  });
});

describe("createTypeSnapshot()", () => {
  it("should refuse duplicate names and resources of another type", () => {
    const { cluster, assignment } = fixtureResources("a", {});
    assert.throws(() => createTypeSnapshot(clusterType, [cluster, cluster]), /duplicate/);
    assert.throws(() => createTypeSnapshot(clusterType, [assignment]), /not a/);
  });
});

describe("diffTypeSnapshots()", () => {
  it("should list changed and removed names by content, and share the result between callers", () => {
    const before = fixtureSnapshot({ a: {}, b: {}, c: {} }).get(clusterType);
    const after = fixtureSnapshot({ a: {}, b: { connectTimeoutSeconds: 7 }, d: {} }).get(clusterType);
    const diff = diffTypeSnapshots(before, after);
    assert.deepEqual([...diff.changed].sort(), ["b", "d"]);
    assert.deepEqual([...diff.removed], ["c"]);
    assert.equal(diffTypeSnapshots(before, after), diff);
    assert.equal(diffTypeSnapshots(after, after).changed.size, 0);
  });
});

describe("checkSnapshotConsistency()", () => {
  const parts = (name: string) => fixtureResources(name, {});
  const snapshotWith = (pick: { clusters?: string[]; assignments?: string[]; listeners?: string[]; routes?: string[] }): Snapshot =>
    createSnapshot({
      [clusterType]: (pick.clusters ?? []).map((n) => parts(n).cluster),
      [endpointType]: (pick.assignments ?? []).map((n) => parts(n).assignment),
      [listenerType]: (pick.listeners ?? []).map((n) => parts(n).listener),
      [routeType]: (pick.routes ?? []).map((n) => parts(n).route),
    });

  it("should accept a snapshot where every reference resolves", () => {
    assert.deepEqual(checkSnapshotConsistency(fixtureSnapshot({ a: {}, b: {} })), []);
  });
  it("should report a ClusterLoadAssignment without a cluster", () => {
    assert.deepEqual(checkSnapshotConsistency(snapshotWith({ assignments: ["a"] })), ["ClusterLoadAssignment a matches no cluster"]);
  });
  it("should report a cluster whose ClusterLoadAssignment is missing", () => {
    assert.deepEqual(checkSnapshotConsistency(snapshotWith({ clusters: ["a"] })), [
      "cluster a needs ClusterLoadAssignment a, which is missing",
    ]);
  });
  it("should report a RouteConfiguration without a listener", () => {
    assert.deepEqual(checkSnapshotConsistency(snapshotWith({ routes: ["a"] })), ["RouteConfiguration a matches no listener"]);
  });
  it("should report a listener whose RouteConfiguration is missing", () => {
    assert.deepEqual(checkSnapshotConsistency(snapshotWith({ listeners: ["a"] })), [
      "listener a needs RouteConfiguration a, which is missing",
    ]);
  });
});

describe("SnapshotCache", () => {
  it("should refuse an inconsistent snapshot and keep serving the previous one", () => {
    const cache = new SnapshotCache();
    const good = fixtureSnapshot({ a: {} });
    assert.deepEqual(cache.setSnapshot("g", good), { published: true });
    const bad = createSnapshot({ [clusterType]: [fixtureResources("b", {}).cluster] });
    const result = cache.setSnapshot("g", bad);
    assert.equal(result.published, false);
    assert.equal(cache.getSnapshot("g"), good);
  });

  it("should give watchers the current snapshot at once, then each new one, until they stop", () => {
    const cache = new SnapshotCache();
    const first = fixtureSnapshot({ a: {} });
    const second = fixtureSnapshot({ a: {}, b: {} });
    cache.setSnapshot("g", first);
    const seen: Snapshot[] = [];
    const stop = cache.watch("g", (snapshot) => seen.push(snapshot));
    cache.setSnapshot("other", second);
    cache.setSnapshot("g", second);
    stop();
    cache.setSnapshot("g", first);
    assert.deepEqual(seen, [first, second]);
    assert.equal(cache.watchCount(), 0);
  });

  it("should group nodes with the given function, and everyone in one group by default", () => {
    assert.equal(new SnapshotCache().nodeGroup(undefined), "default");
    const cache = new SnapshotCache({ nodeGroup: (node) => node?.cluster ?? "none" });
    assert.equal(cache.nodeGroup(undefined), "none");
  });
});
