// The publisher with Consul's config entries: each service is published with its discovery chain,
// an entry change rebuilds only the services whose chain reads it, a change to a chain's target
// service rebuilds the chain's owner, and an invalid entry keeps the last good chain.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRegistry, type DescMessage, fromBinary, type MessageShape, toJson } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { type RouteConfiguration, RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { HttpProtocolOptionsSchema } from "../src/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import { envoyRouteConfigurationName, type MappingWarning } from "../src/mapping/index.js";
import type { ConfigEntryKind } from "../src/model/config-entry.js";
import { ConfigEntryStore } from "../src/model/config-entry-store.js";
import { ServiceModel } from "../src/model/service-model.js";
import { createSnapshotPublisher, type PublishScheduler } from "../src/publish/index.js";
import { checkSnapshotConsistency, clusterType, endpointType, routeType, type Snapshot, type XdsTypeUrl } from "../src/snapshot/index.js";
import { type ConsulConfigEntry, decodeEntry, serviceDefaults, versionSplit, versionSubsets } from "./support/config-entries.js";
import { type EntrySpec, instance } from "./support/consul-entries.js";

function manualScheduler() {
  const tasks: Array<{ task: () => void; done: boolean }> = [];
  const scheduler: PublishScheduler = (task) => {
    const entry = { task, done: false };
    tasks.push(entry);
    return () => {
      entry.done = true;
    };
  };
  return {
    scheduler,
    pending: () => tasks.filter((t) => !t.done).length,
    fire() {
      const pending = tasks.filter((t) => !t.done);
      assert.equal(pending.length, 1, `one scheduled publish, found ${pending.length}`);
      pending[0]!.done = true;
      pending[0]!.task();
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function put(store: ConfigEntryStore, kind: ConfigEntryKind, ...entries: ConsulConfigEntry[]): void {
  store.replaceKind(kind, entries.map(decodeEntry));
}

function setInstances(model: ServiceModel, service: string, specs: Partial<EntrySpec>[]): void {
  model.setService(
    "dc1",
    service,
    specs.map((s, i) => instance({ service, node: `${service}-node-${i}`, nodeAddress: `10.${service.length}.${i}.1`, ...s })),
  );
}

function decode<Desc extends DescMessage>(snapshot: Snapshot, type: XdsTypeUrl, name: string, schema: Desc): MessageShape<Desc> {
  const resource = snapshot.get(type).resources.get(name);
  assert.ok(resource, `${name} in ${type}`);
  return fromBinary(schema, fromBinary(AnySchema, resource.any).value);
}

/** The weighted clusters of a service's catch-all route in a route configuration. */
function splitsOf(routes: RouteConfiguration, virtualHost: string): Array<[string, number | undefined]> {
  const host = routes.virtualHosts.find((v) => v.name === virtualHost);
  assert.ok(host, `virtual host ${virtualHost}`);
  const action = host.routes.at(-1)?.action;
  assert.equal(action?.case, "route");
  const specifier = action?.case === "route" ? action.value.clusterSpecifier : undefined;
  if (specifier?.case === "cluster") return [[specifier.value, undefined]];
  assert.equal(specifier?.case, "weightedClusters");
  return specifier?.case === "weightedClusters" ? specifier.value.clusters.map((c) => [c.name, c.weight]) : [];
}

const versions = versionSubsets("web");
const split = (v1: number, v2: number) => versionSplit("web", v1, v2);

async function setUp() {
  const model = new ServiceModel({ localDatacenter: "dc1" });
  setInstances(model, "web", [{ meta: { version: "1" } }, { meta: { version: "2" } }]);
  setInstances(model, "api", [{}]);
  setInstances(model, "billing", [{}]);
  const store = new ConfigEntryStore();
  const clock = manualScheduler();
  const warnings = new Map<string, readonly MappingWarning[]>();
  const publisher = createSnapshotPublisher({
    model,
    configEntries: store,
    scheduler: clock.scheduler,
    onWarnings: (service, list) => warnings.set(service, list),
  });
  const publish = async () => {
    const next = publisher.nextPublish();
    clock.fire();
    return next;
  };
  return { model, store, clock, publisher, publish, warnings };
}

function syncEntries(store: ConfigEntryStore, ...entries: ConsulConfigEntry[]): void {
  for (const kind of ["service-defaults", "proxy-defaults", "service-router", "service-splitter", "service-resolver"] as const) {
    put(store, kind, ...entries.filter((e) => e.Kind === kind));
  }
}

describe("createSnapshotPublisher() with config entries", () => {
  it("should wait for the entries' first read before the first publish", async () => {
    const { model, store, clock } = await setUp();
    model.markSynced();
    await settle();
    assert.equal(clock.pending(), 0, "the model is synced, the entries are not");
    syncEntries(store);
    await settle();
    assert.equal(clock.pending(), 1);
  });

  it("should publish each service with its chain and rebuild only the services an entry change touches", async () => {
    const { model, store, publisher, publish } = await setUp();
    syncEntries(store, serviceDefaults("web", "http"), versions, split(90, 10));
    model.markSynced();
    await settle();
    await publish();
    for (const kind of ["envoy", "grpc"] as const) {
      const snapshot = publisher.cache.getSnapshot(kind)!;
      assert.deepEqual(checkSnapshotConsistency(snapshot), []);
      const clusters = [...snapshot.get(clusterType).resources.keys()].sort();
      assert.deepEqual(clusters, ["api", "billing", "web", "web:v1", "web:v2"], kind);
    }
    const envoyRoutes = () =>
      decode(publisher.cache.getSnapshot("envoy")!, routeType, envoyRouteConfigurationName, RouteConfigurationSchema);
    assert.deepEqual(splitsOf(envoyRoutes(), "web"), [
      ["web:v1", 9000],
      ["web:v2", 1000],
    ]);
    assert.deepEqual(splitsOf(envoyRoutes(), "api"), [["api", undefined]]);

    const before = publisher.stats().servicesBuilt;
    put(store, "service-splitter", split(50, 50));
    await publish();
    assert.equal(publisher.stats().servicesBuilt - before, 1, "only web's chain reads service-splitter/web");
    assert.deepEqual(splitsOf(envoyRoutes(), "web"), [
      ["web:v1", 5000],
      ["web:v2", 5000],
    ]);
    const grpcRoutes = decode(publisher.cache.getSnapshot("grpc")!, routeType, "web", RouteConfigurationSchema);
    assert.deepEqual(splitsOf(grpcRoutes, "web"), [
      ["web:v1", 5000],
      ["web:v2", 5000],
    ]);
  });

  it("should keep the last good chain when an entry turns invalid, with a warning naming it", async () => {
    const { model, store, publisher, publish, warnings } = await setUp();
    syncEntries(store, serviceDefaults("web", "http"), versions, split(90, 10));
    model.markSynced();
    await settle();
    await publish();
    put(store, "service-splitter", split(90, 20));
    await publish();
    const routes = decode(publisher.cache.getSnapshot("envoy")!, routeType, envoyRouteConfigurationName, RouteConfigurationSchema);
    assert.deepEqual(splitsOf(routes, "web"), [
      ["web:v1", 9000],
      ["web:v2", 1000],
    ]);
    const webWarnings = warnings.get("web") ?? [];
    assert.deepEqual(
      webWarnings.map((w) => [w.code, w.message]),
      [
        [
          "invalid-config-entry",
          "service-splitter/web: the sum of all split weights must be 100, not 110.000000; keeping the last good discovery chain",
        ],
      ],
    );
    assert.equal(publisher.stats().chainsRefused, 1);
    put(store, "service-splitter", split(80, 20));
    await publish();
    assert.deepEqual(
      splitsOf(decode(publisher.cache.getSnapshot("envoy")!, routeType, envoyRouteConfigurationName, RouteConfigurationSchema), "web"),
      [
        ["web:v1", 8000],
        ["web:v2", 2000],
      ],
    );
    assert.deepEqual(warnings.get("web"), [], "the warning clears with the fix");
  });

  it("should route plainly a service whose first chain is invalid", async () => {
    const { model, store, publisher, publish, warnings } = await setUp();
    syncEntries(store, serviceDefaults("web", "http"), versions, split(90, 20));
    model.markSynced();
    await settle();
    await publish();
    const routes = decode(publisher.cache.getSnapshot("envoy")!, routeType, envoyRouteConfigurationName, RouteConfigurationSchema);
    assert.deepEqual(splitsOf(routes, "web"), [["web", undefined]]);
    assert.match(warnings.get("web")?.[0]?.message ?? "", /plain routing until it is fixed$/);
  });

  it("should rebuild a chain's owner when a service it fails over to changes", async () => {
    const { model, store, publisher, publish } = await setUp();
    syncEntries(store, { Kind: "service-resolver", Name: "web", Failover: { "*": { Service: "billing" } } });
    model.markSynced();
    await settle();
    await publish();
    const before = publisher.stats().servicesBuilt;
    setInstances(model, "billing", [{}, { nodeAddress: "10.7.7.7" }]);
    await publish();
    assert.equal(publisher.stats().servicesBuilt - before, 2, "billing itself and web, whose failover reads it");
    const snapshot = publisher.cache.getSnapshot("envoy")!;
    const assignment = snapshot.get(endpointType).resources.get("web");
    assert.ok(assignment);
    assert.ok(Buffer.from(assignment.any).includes(Buffer.from("10.7.7.7")), "web's assignment holds billing's new instance as failover");
  });

  it("should put weighted clusters, retry policy and timeouts where Envoy reads them (its JSON, as in a config dump)", async () => {
    const { model, store, publisher, publish } = await setUp();
    syncEntries(
      store,
      serviceDefaults("web", "http"),
      versions,
      split(90, 10),
      {
        Kind: "service-router",
        Name: "web",
        Routes: [
          {
            Match: { HTTP: { PathPrefix: "/api/" } },
            Destination: {
              ServiceSubset: "v2",
              RequestTimeout: "2.5s",
              NumRetries: 3,
              RetryOn: ["5xx", "reset"],
              RetryOnStatusCodes: [503],
            },
          },
        ],
      },
      serviceDefaults("consul-xds-bridge", "http", {
        UpstreamConfig: { Defaults: { Limits: { MaxConcurrentRequests: 64 }, PassiveHealthCheck: { Interval: "10s", MaxFailures: 4 } } },
      }),
    );
    model.markSynced();
    await settle();
    await publish();
    const snapshot = publisher.cache.getSnapshot("envoy")!;
    const routes = toJson(RouteConfigurationSchema, decode(snapshot, routeType, envoyRouteConfigurationName, RouteConfigurationSchema)) as {
      virtualHosts: Array<{ name: string; routes: Array<{ match: Record<string, unknown>; route: Record<string, unknown> }> }>;
    };
    const web = routes.virtualHosts.find((v) => v.name === "web");
    assert.ok(web);
    assert.deepEqual(web.routes[0], {
      match: { prefix: "/api/" },
      route: {
        cluster: "web:v2",
        timeout: "2.500s",
        retryPolicy: { retryOn: "5xx,reset,retriable-status-codes", numRetries: 3, retriableStatusCodes: [503] },
      },
    });
    assert.deepEqual(web.routes[1], {
      match: { prefix: "/" },
      route: {
        weightedClusters: {
          clusters: [
            { name: "web:v1", weight: 9000 },
            { name: "web:v2", weight: 1000 },
          ],
        },
      },
    });
    const registry = createRegistry(HttpProtocolOptionsSchema);
    const cluster = toJson(ClusterSchema, decode(snapshot, clusterType, "web:v2", ClusterSchema), { registry }) as Record<string, unknown>;
    assert.deepEqual(cluster.circuitBreakers, { thresholds: [{ maxRequests: 64 }] });
    assert.deepEqual(cluster.outlierDetection, { consecutive5xx: 4, interval: "10s" });
  });
});
