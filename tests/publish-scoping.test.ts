// Per-proxy scoping: a node whose metadata names `consul-xds-bridge.upstreams` is served from a
// group holding only those services — their clusters, assignments and virtual hosts, the very
// encoded objects of the unscoped group — and a service it names that does not exist yet is served
// once it appears.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { NodeSchema } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { envoyListenerName, envoyRouteConfigurationName } from "../src/mapping/index.js";
import { ServiceModel } from "../src/model/service-model.js";
import { createSnapshotPublisher } from "../src/publish/index.js";
import { clusterType, endpointType, listenerType, routeType, type Snapshot } from "../src/snapshot/index.js";
import { instance } from "./support/consul-entries.js";

function setInstances(model: ServiceModel, service: string, count: number, status: "passing" | "critical" = "passing"): void {
  model.setService(
    "dc1",
    service,
    Array.from({ length: count }, (_, i) => instance({ service, node: `node-${i}`, nodeAddress: `10.0.${i}.1`, status })),
  );
}

const envoyNode = (upstreams?: unknown) =>
  create(NodeSchema, {
    id: "proxy-1",
    userAgentName: "envoy",
    ...(upstreams !== undefined ? { metadata: { "consul-xds-bridge.upstreams": upstreams as string } } : {}),
  });

const names = (snapshot: Snapshot, type: Parameters<Snapshot["get"]>[0]) => [...snapshot.get(type).resources.keys()].sort();
const virtualHosts = (snapshot: Snapshot) =>
  fromBinary(RouteConfigurationSchema, fromBinary(AnySchema, snapshot.get(routeType).resources.get(envoyRouteConfigurationName)!.any).value)
    .virtualHosts.map((host) => host.name)
    .sort();

async function started() {
  const model = new ServiceModel({ localDatacenter: "dc1" });
  for (const service of ["web", "api", "db", "cache"]) setInstances(model, service, 2);
  const publisher = createSnapshotPublisher({ model, debounceMs: 0 });
  model.markSynced();
  await publisher.nextPublish();
  return { model, publisher };
}

describe("per-proxy scoping (node metadata consul-xds-bridge.upstreams)", () => {
  it("should serve a scoped node only its services, sharing the unscoped group's encoded resources", async () => {
    const { publisher } = await started();
    const group = publisher.nodeGroup(envoyNode(["web", "api"]));
    assert.notEqual(group, "envoy");
    const scoped = publisher.cache.getSnapshot(group)!;
    const all = publisher.cache.getSnapshot("envoy")!;
    assert.deepEqual(names(scoped, clusterType), ["api", "web"]);
    assert.deepEqual(names(scoped, endpointType), ["api", "web"]);
    assert.deepEqual(names(scoped, listenerType), [envoyListenerName]);
    assert.deepEqual(virtualHosts(scoped), ["api", "web"]);
    assert.deepEqual(virtualHosts(all), ["api", "cache", "db", "web"]);
    for (const type of [clusterType, endpointType, listenerType] as const) {
      for (const [name, resource] of scoped.get(type).resources)
        assert.equal(resource, all.get(type).resources.get(name), `${type} ${name} shared`);
    }
    publisher.close();
  });

  it("should put nodes naming the same services in one group, whether listed or comma-separated", async () => {
    const { publisher } = await started();
    const listed = publisher.nodeGroup(envoyNode(["web", "api", "web"]));
    const commas = publisher.nodeGroup(envoyNode(" api,web ,"));
    assert.equal(listed, commas);
    assert.notEqual(publisher.nodeGroup(envoyNode("web")), listed);
    assert.equal(publisher.nodeGroup(envoyNode()), "envoy", "no key: every service");
    assert.equal(publisher.nodeGroup(envoyNode(42)), "envoy", "a value of another type is ignored");
    assert.equal(publisher.stats().scopes, 2);
    publisher.close();
  });

  it("should follow the services in scope, serve a named service once it appears, and ignore the others", async () => {
    const { model, publisher } = await started();
    const group = publisher.nodeGroup(envoyNode("web,later"));
    const before = publisher.cache.getSnapshot(group)!;
    assert.deepEqual(names(before, clusterType), ["web"]);

    setInstances(model, "db", 2, "critical");
    await publisher.nextPublish();
    assert.equal(publisher.cache.getSnapshot(group), before, "a change outside the scope leaves its snapshot alone");

    setInstances(model, "web", 2, "critical");
    await publisher.nextPublish();
    const flapped = publisher.cache.getSnapshot(group)!;
    assert.notEqual(flapped.get(endpointType).version, before.get(endpointType).version);
    assert.equal(
      flapped.get(endpointType).resources.get("web"),
      publisher.cache.getSnapshot("envoy")!.get(endpointType).resources.get("web"),
    );

    setInstances(model, "later", 1);
    await publisher.nextPublish();
    const appeared = publisher.cache.getSnapshot(group)!;
    assert.deepEqual(names(appeared, clusterType), ["later", "web"]);
    assert.deepEqual(virtualHosts(appeared), ["later", "web"]);

    model.removeService("dc1", "web");
    await publisher.nextPublish();
    assert.deepEqual(names(publisher.cache.getSnapshot(group)!, clusterType), ["later"]);
    assert.deepEqual(virtualHosts(publisher.cache.getSnapshot(group)!), ["later"]);
    publisher.close();
  });

  it("should scope gRPC clients too, and drop a scope once nobody watches it", async () => {
    const { publisher } = await started();
    const node = create(NodeSchema, { id: "g", userAgentName: "gRPC Node Pure JS", metadata: { "consul-xds-bridge.upstreams": "api" } });
    const group = publisher.nodeGroup(node);
    assert.match(group, /^grpc/);
    assert.deepEqual(names(publisher.cache.getSnapshot(group)!, listenerType), ["api"]);
    const unwatch = publisher.cache.watch(group, () => {});
    assert.equal(publisher.stats().scopes, 1);
    unwatch();
    assert.equal(publisher.stats().scopes, 0);
    assert.equal(publisher.cache.getSnapshot(group), undefined);
    // A client that comes back opens it again.
    publisher.nodeGroup(node);
    assert.deepEqual(names(publisher.cache.getSnapshot(group)!, clusterType), ["api"]);
    publisher.close();
  });

  it("should fill a scope opened before the initial sync with the first publish", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    for (const service of ["web", "api"]) setInstances(model, service, 1);
    const publisher = createSnapshotPublisher({ model, debounceMs: 0 });
    const group = publisher.nodeGroup(envoyNode(["api"]));
    assert.equal(publisher.cache.getSnapshot(group), undefined, "nothing is served before the initial sync");
    model.markSynced();
    await publisher.nextPublish();
    assert.deepEqual(names(publisher.cache.getSnapshot(group)!, clusterType), ["api"]);
    publisher.close();
  });
});
