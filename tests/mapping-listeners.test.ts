// Listeners and routes per client kind: Envoy's HTTP listener and its virtual hosts, and per-service
// api_listeners for proxyless gRPC clients. The gRPC resources are also fed to grpc-js-xds's own
// decoders (which run its validation), so "valid" means what the real client accepts.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type DescMessage, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { ClusterLoadAssignmentSchema } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { type Listener, ListenerSchema } from "../src/gen/envoy/config/listener/v3/listener_pb.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { RouterSchema } from "../src/gen/envoy/extensions/filters/http/router/v3/router_pb.js";
import {
  type HttpConnectionManager,
  HttpConnectionManagerSchema,
} from "../src/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { envoyListenerName, envoyRouteConfigurationName, resolveMappingOptions, routerFilterName } from "../src/mapping/index.js";
import { healthEntry } from "./support/consul-entries.js";
import { mapEntries } from "./support/mapping-assertions.js";

function managerOf(listener: Listener): HttpConnectionManager {
  if (listener.apiListener?.apiListener) return fromBinary(HttpConnectionManagerSchema, listener.apiListener.apiListener.value);
  const filter = listener.filterChains[0]?.filters[0];
  assert.ok(filter?.configType.case === "typedConfig");
  assert.equal(filter.configType.value.typeUrl, `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`);
  return fromBinary(HttpConnectionManagerSchema, filter.configType.value.value);
}

function assertRdsOverAdsWithRouterLast(manager: HttpConnectionManager, routeConfigName: string): void {
  assert.equal(manager.routeSpecifier.case, "rds");
  assert.ok(manager.routeSpecifier.case === "rds");
  assert.equal(manager.routeSpecifier.value.routeConfigName, routeConfigName);
  assert.equal(manager.routeSpecifier.value.configSource?.configSourceSpecifier.case, "ads");
  const last = manager.httpFilters.at(-1)!;
  assert.equal(last.name, routerFilterName);
  assert.ok(last.configType.case === "typedConfig");
  assert.equal(last.configType.value.typeUrl, `type.googleapis.com/${RouterSchema.typeName}`);
}

const entries = [
  healthEntry({ service: "web", node: "n1", nodeAddress: "10.0.0.1", nodeMeta: { zone: "a" } }),
  healthEntry({ service: "web", node: "n2", address: "2001:db8::2", weights: { Passing: 200, Warning: 1 } }),
  healthEntry({
    service: "api",
    node: "n1",
    nodeAddress: "10.0.0.1",
    port: 9000,
    meta: { "xds-bridge-lb-policy": "ring_hash", "xds-bridge-hash-header": "x-user" },
  }),
  healthEntry({
    service: "rpc",
    node: "n3",
    nodeAddress: "10.0.0.3",
    port: 50051,
    meta: { "xds-bridge-protocol": "grpc", "xds-bridge-lb-policy": "least_request" },
  }),
  healthEntry({ service: "down", node: "n4", nodeAddress: "10.0.0.4", status: "critical" }),
  healthEntry({ service: "web", node: "r1", datacenter: "dc2", nodeAddress: "10.2.0.1" }),
  healthEntry({ service: "ext", node: "n5", address: "api.example.com" }),
];

describe("Envoy listener and routes", () => {
  it("should bind one HTTP listener on 0.0.0.0:10000 by default, RDS over ADS with the router last", () => {
    const mapping = mapEntries(entries, { failoverDatacenters: ["dc2"] });
    assert.equal(mapping.envoy.listeners.length, 1);
    const listener = mapping.envoy.listeners[0]!;
    assert.equal(listener.name, envoyListenerName);
    assert.equal(listener.apiListener, undefined, "Envoy never gets an api_listener");
    const socket = listener.address?.address.case === "socketAddress" ? listener.address.address.value : undefined;
    assert.deepEqual([socket?.address, socket?.portSpecifier.value], ["0.0.0.0", 10000]);
    assertRdsOverAdsWithRouterLast(managerOf(listener), envoyRouteConfigurationName);
  });

  it("should bind where configured", () => {
    const mapping = mapEntries(entries, { mapping: { envoyListener: { address: "::", port: 15001 } } });
    const listener = mapping.envoy.listeners[0]!;
    const socket = listener.address?.address.case === "socketAddress" ? listener.address.address.value : undefined;
    assert.deepEqual([socket?.address, socket?.portSpecifier.value, socket?.ipv4Compat], ["::", 15001, true]);
  });

  it("should refuse a bad listener configuration", () => {
    assert.throws(() => resolveMappingOptions({ envoyListener: { address: "localhost" } }), /IP literal/);
    assert.throws(() => resolveMappingOptions({ envoyListener: { port: 0 } }), /1–65535/);
    assert.throws(() => resolveMappingOptions({ envoyListener: { port: 65536 } }), /1–65535/);
  });

  it("should route each service's domains to its cluster, one virtual host per service sorted by name", () => {
    const mapping = mapEntries(entries, { failoverDatacenters: ["dc2"] });
    const route = mapping.envoy.routeConfigurations[0]!;
    assert.equal(route.name, envoyRouteConfigurationName);
    assert.deepEqual(
      route.virtualHosts.map((v) => v.name),
      ["api", "down", "ext", "rpc", "web"],
    );
    for (const host of route.virtualHosts) {
      assert.deepEqual(host.domains, [
        host.name,
        `${host.name}:*`,
        `${host.name}.service.consul`,
        `${host.name}.service.consul:*`,
        `${host.name}.service.dc1.consul`,
        `${host.name}.service.dc1.consul:*`,
      ]);
      const action = host.routes[0]!.action;
      assert.ok(action.case === "route");
      assert.deepEqual(action.value.clusterSpecifier, { case: "cluster", value: host.name });
      assert.deepEqual(host.routes[0]!.match?.pathSpecifier, { case: "prefix", value: "/" });
    }
    // Every virtual host's cluster exists for Envoy.
    const clusters = new Set(mapping.envoy.clusters.map((c) => c.name));
    for (const host of route.virtualHosts) assert.ok(clusters.has(host.name));
  });
});

describe("gRPC listeners and routes", () => {
  it("should give each EDS service an api_listener named like its target, RDS over ADS, router last", () => {
    const mapping = mapEntries(entries, { failoverDatacenters: ["dc2"] });
    assert.deepEqual(
      mapping.grpc.listeners.map((l) => l.name),
      ["api", "down", "rpc", "web"],
      "ext (hostnames) is not served to gRPC",
    );
    for (const listener of mapping.grpc.listeners) {
      assert.equal(listener.filterChains.length, 0, "gRPC never gets Envoy's filter chains");
      assert.equal(listener.address, undefined);
      assertRdsOverAdsWithRouterLast(managerOf(listener), listener.name);
    }
    for (const route of mapping.grpc.routeConfigurations) {
      assert.equal(route.virtualHosts.length, 1);
      const host = route.virtualHosts[0]!;
      assert.deepEqual(host.domains, [route.name]);
      const action = host.routes[0]!.action;
      assert.ok(action.case === "route");
      assert.deepEqual(action.value.clusterSpecifier, { case: "cluster", value: route.name });
      assert.deepEqual(host.routes[0]!.match?.pathSpecifier, { case: "prefix", value: "" });
    }
  });
});

describe("gRPC resources through grpc-js-xds's own decoders", () => {
  type Decoder = { decode(context: unknown, resource: { type_url: string; value: Buffer }): { error?: string } };
  const decoders = new Map<string, Decoder>();

  before(async () => {
    // Registers LB policies and HTTP filters as a real client does.
    const xds = (await import("@grpc/grpc-js-xds")) as unknown as { register(): void };
    xds.register();
    const base = "@grpc/grpc-js-xds/build/src/xds-resource-type";
    const types = await Promise.all([
      import(`${base}/cluster-resource-type.js`).then((m) => [ClusterSchema, m.ClusterResourceType] as const),
      import(`${base}/endpoint-resource-type.js`).then((m) => [ClusterLoadAssignmentSchema, m.EndpointResourceType] as const),
      import(`${base}/listener-resource-type.js`).then((m) => [ListenerSchema, m.ListenerResourceType] as const),
      import(`${base}/route-config-resource-type.js`).then((m) => [RouteConfigurationSchema, m.RouteConfigurationResourceType] as const),
    ]);
    for (const [schema, type] of types) decoders.set(schema.typeName, (type as { get(): Decoder }).get());
  });

  function assertAccepted(schema: DescMessage, message: Message): void {
    const typeUrl = `type.googleapis.com/${schema.typeName}`;
    const result = decoders
      .get(schema.typeName)!
      .decode(
        { server: {}, bootstrap: { certificateProviders: {} } },
        { type_url: typeUrl, value: Buffer.from(toBinary(schema, message as never)) },
      );
    assert.equal(result.error, undefined, `${schema.typeName} rejected by grpc-js-xds`);
  }

  it("should be accepted by grpc-js-xds for every gRPC resource the mapping emits", () => {
    const mapping = mapEntries(entries, { failoverDatacenters: ["dc2"] });
    for (const cluster of mapping.grpc.clusters) assertAccepted(ClusterSchema, cluster);
    for (const assignment of mapping.grpc.assignments) assertAccepted(ClusterLoadAssignmentSchema, assignment);
    for (const listener of mapping.grpc.listeners) assertAccepted(ListenerSchema, listener);
    for (const route of mapping.grpc.routeConfigurations) assertAccepted(RouteConfigurationSchema, route);
  });
});
