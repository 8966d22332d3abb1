// The publisher with config entries Consul accepts but a careless mapping would turn into resources
// the gate refuses (and so take a service out): every service stays published, with what its
// clients can take.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cluster_LbPolicy, ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { clusterType } from "../src/snapshot/index.js";
import { serviceDefaults, versionSplit, versionSubsets } from "./support/config-entries.js";
import { decodeResource, syncEntries, trafficPolicyPublisher } from "./support/traffic-policy-publisher.js";

const versions = versionSubsets("web");
const split9010 = versionSplit("web", 90, 10);
const allClusters = ["api", "billing", "web", "web:v1", "web:v2"];

describe("createSnapshotPublisher() with entries Consul accepts", () => {
  it("should publish a fractional resolver ConnectTimeout (4.1ms) to the nanosecond, not drop the service", async () => {
    const { store, publisher, firstPublish } = trafficPolicyPublisher();
    syncEntries(store, serviceDefaults("web", "http"), { ...versions, ConnectTimeout: "4.1ms" }, split9010);
    await firstPublish();
    for (const kind of ["envoy", "grpc"] as const) {
      const snapshot = publisher.cache.getSnapshot(kind)!;
      assert.deepEqual([...snapshot.get(clusterType).resources.keys()].sort(), allClusters, `${kind} clusters`);
      const cluster = decodeResource(snapshot, clusterType, "web:v1", ClusterSchema);
      assert.deepEqual([cluster.connectTimeout?.seconds, cluster.connectTimeout?.nanos], [0n, 4_100_000]);
    }
    assert.equal(publisher.stats().buildErrors ?? 0, 0);
  });

  it("should keep web's clusters when a resolver's LeastRequestConfig.ChoiceCount is 1, with a warning", async () => {
    const { store, publisher, firstPublish, warnings } = trafficPolicyPublisher();
    syncEntries(
      store,
      serviceDefaults("web", "http"),
      { ...versions, LoadBalancer: { Policy: "least_request", LeastRequestConfig: { ChoiceCount: 1 } } },
      split9010,
    );
    await firstPublish();
    const snapshot = publisher.cache.getSnapshot("envoy")!;
    assert.deepEqual([...snapshot.get(clusterType).resources.keys()].sort(), allClusters);
    assert.equal(decodeResource(snapshot, clusterType, "web:v1", ClusterSchema).lbPolicy, Cluster_LbPolicy.LEAST_REQUEST);
    assert.ok((warnings.get("web") ?? []).some((w) => w.message.includes("LeastRequestConfig.ChoiceCount: 1 is below 2")));
  });

  it("should keep web's clusters when a resolver's ring maximum is below the default minimum", async () => {
    const { store, publisher, firstPublish } = trafficPolicyPublisher();
    syncEntries(
      store,
      serviceDefaults("web", "http"),
      { ...versions, LoadBalancer: { Policy: "ring_hash", RingHashConfig: { MaximumRingSize: 512 } } },
      split9010,
    );
    await firstPublish();
    for (const kind of ["envoy", "grpc"] as const) {
      const snapshot = publisher.cache.getSnapshot(kind)!;
      assert.deepEqual([...snapshot.get(clusterType).resources.keys()].sort(), allClusters, kind);
      assert.equal(decodeResource(snapshot, clusterType, "web:v1", ClusterSchema).lbPolicy, Cluster_LbPolicy.RING_HASH);
    }
  });

  it('should publish a subset named "constructor" with a "*" failover, without a mapping error', async () => {
    const { store, publisher, firstPublish, warnings } = trafficPolicyPublisher();
    syncEntries(
      store,
      serviceDefaults("web", "http"),
      serviceDefaults("api", "http"),
      {
        Kind: "service-resolver",
        Name: "web",
        Subsets: { constructor: { Filter: 'Service.Meta.version == "1"' } },
        Failover: { "*": { Service: "api" } },
      },
      { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, ServiceSubset: "constructor" }] },
    );
    await firstPublish();
    assert.equal(publisher.stats().buildErrors ?? 0, 0, "no mapping threw");
    const clusters = [...publisher.cache.getSnapshot("envoy")!.get(clusterType).resources.keys()];
    assert.ok(clusters.includes("web:constructor"), `Envoy clusters: ${clusters.join(", ")}; ${JSON.stringify(warnings.get("web"))}`);
  });

  it('should treat a Protocol "constructor" as the unknown protocol it is (no HTTP/2 upstream)', async () => {
    const { store, publisher, firstPublish } = trafficPolicyPublisher();
    syncEntries(store, serviceDefaults("web", "constructor"), versions);
    await firstPublish();
    const cluster = decodeResource(publisher.cache.getSnapshot("envoy")!, clusterType, "web:v1", ClusterSchema);
    assert.deepEqual(Object.keys(cluster.typedExtensionProtocolOptions), [], "HTTP/1.1, as for tcp");
  });

  it("should give a service whose service-defaults has no Protocol Consul's tcp, not proxy-defaults' grpc", async () => {
    const { store, publisher, firstPublish } = trafficPolicyPublisher();
    syncEntries(
      store,
      { Kind: "proxy-defaults", Name: "global", Config: { protocol: "grpc" } },
      { Kind: "service-defaults", Name: "web", UpstreamConfig: { Defaults: { ConnectTimeoutMs: 1000 } } },
      versions,
    );
    await firstPublish();
    const snapshot = publisher.cache.getSnapshot("envoy")!;
    const web = decodeResource(snapshot, clusterType, "web:v1", ClusterSchema);
    assert.deepEqual(Object.keys(web.typedExtensionProtocolOptions), [], "HTTP/1.1: tcp has no HTTP version of its own");
    const api = decodeResource(snapshot, clusterType, "api", ClusterSchema);
    assert.equal(Object.keys(api.typedExtensionProtocolOptions).length, 1, "api, without service-defaults, takes proxy-defaults' grpc");
  });
});
