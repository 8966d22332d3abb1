// The snapshot publisher: startup gate, coalescing, incremental rebuilds, last-good on validation
// failure, consistency, client-kind grouping — driven by events (an injected scheduler and the
// publish promise), never by sleeping.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { create, type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { NodeSchema } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { ClusterLoadAssignmentSchema } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../src/gen/envoy/config/listener/v3/listener_pb.js";
import { type RouteConfiguration, RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import {
  type ClientKind,
  envoyListenerName,
  envoyRouteConfigurationName,
  type MappingWarning,
  mapModel,
  mapService,
  type ResolvedMappingOptions,
  resolveMappingOptions,
  type ServiceMapping,
} from "../src/mapping/index.js";
import { type ModelView, ServiceModel } from "../src/model/service-model.js";
import {
  createSnapshotPublisher,
  type PublishScheduler,
  type SnapshotPublisherOptions,
  type ValidationFailure,
} from "../src/publish/index.js";
import {
  checkSnapshotConsistency,
  clusterType,
  encodeResource,
  endpointType,
  listenerType,
  routeType,
  type Snapshot,
  type XdsTypeUrl,
} from "../src/snapshot/index.js";
import { type EntrySpec, instance } from "./support/consul-entries.js";
import { assertRouteConfigurationLoads } from "./support/mapping-assertions.js";

// ---- helpers -----------------------------------------------------------------------------------

/** A scheduler the test fires by hand; it records what the publisher asked for. */
function manualScheduler() {
  const tasks: Array<{ task: () => void; delayMs: number; state: "pending" | "cancelled" | "ran" }> = [];
  const scheduler: PublishScheduler = (task, delayMs) => {
    const entry = { task, delayMs, state: "pending" as "pending" | "cancelled" | "ran" };
    tasks.push(entry);
    return () => {
      if (entry.state === "pending") entry.state = "cancelled";
    };
  };
  return {
    scheduler,
    pending: () => tasks.filter((t) => t.state === "pending"),
    /** Runs the one pending task (asserting there is exactly one) and returns its delay. */
    fire(): number {
      const pending = tasks.filter((t) => t.state === "pending");
      assert.equal(pending.length, 1, `expected one scheduled publish, found ${pending.length}`);
      pending[0]!.state = "ran";
      pending[0]!.task();
      return pending[0]!.delayMs;
    },
  };
}

/** Lets promise callbacks (e.g. whenSynced) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function spec(service: string, i: number, extra: Partial<EntrySpec> = {}): EntrySpec {
  return { service, node: `node-${i}`, nodeAddress: `10.0.${i}.1`, ...extra };
}

function setInstances(model: ServiceModel, service: string, specs: Array<Partial<EntrySpec>>, datacenter = "dc1"): void {
  model.setService(
    datacenter,
    service,
    specs.map((s, i) => instance(spec(service, i, { datacenter, ...s }))),
  );
}

function names(snapshot: Snapshot, type: XdsTypeUrl): string[] {
  return [...snapshot.get(type).resources.keys()].sort();
}

function decode<Desc extends DescMessage>(snapshot: Snapshot, type: XdsTypeUrl, name: string, schema: Desc): MessageShape<Desc> {
  const resource = snapshot.get(type).resources.get(name);
  assert.ok(resource, `${name} in ${type}`);
  return fromBinary(schema, fromBinary(AnySchema, resource.any).value);
}

function envoyRoutes(snapshot: Snapshot): RouteConfiguration {
  return decode(snapshot, routeType, envoyRouteConfigurationName, RouteConfigurationSchema);
}

/** Asserts that the publisher's snapshots equal the full mapping of the current model, encoded. */
function assertMatchesFullMapping(
  publisher: ReturnType<typeof createSnapshotPublisher>,
  view: ModelView,
  options: ResolvedMappingOptions,
): void {
  const full = mapModel(view, options);
  for (const kind of ["envoy", "grpc"] as const) {
    const snapshot = publisher.cache.getSnapshot(kind)!;
    assert.deepEqual(checkSnapshotConsistency(snapshot), []);
    const expected: Array<[XdsTypeUrl, Map<string, string>]> = [
      [clusterType, new Map(full[kind].clusters.map((m) => [m.name, encodeResource(clusterType, ClusterSchema, m, m.name).hash]))],
      [
        endpointType,
        new Map(
          full[kind].assignments.map((m) => [
            m.clusterName,
            encodeResource(endpointType, ClusterLoadAssignmentSchema, m, m.clusterName).hash,
          ]),
        ),
      ],
      [listenerType, new Map(full[kind].listeners.map((m) => [m.name, encodeResource(listenerType, ListenerSchema, m, m.name).hash]))],
      [
        routeType,
        new Map(full[kind].routeConfigurations.map((m) => [m.name, encodeResource(routeType, RouteConfigurationSchema, m, m.name).hash])),
      ],
    ];
    for (const [type, hashes] of expected) {
      const got = new Map([...snapshot.get(type).resources].map(([name, r]) => [name, r.hash]));
      assert.deepEqual(got, hashes, `${kind} ${type}`);
    }
  }
}

function createTestPublisher(model: ServiceModel, options: Partial<SnapshotPublisherOptions> = {}) {
  const clock = manualScheduler();
  const built: string[] = [];
  const failures: ValidationFailure[] = [];
  const warnings: Array<[string, readonly MappingWarning[]]> = [];
  const inner = options.mapService ?? mapService;
  const publisher = createSnapshotPublisher({
    model,
    scheduler: clock.scheduler,
    debounceMs: 50,
    onValidationFailure: (failure) => failures.push(failure),
    onWarnings: (service, list) => warnings.push([service, list]),
    ...options,
    mapService: (view, service, mappingOptions) => {
      built.push(service);
      return inner(view, service, mappingOptions);
    },
  });
  /** Fires the scheduled publish and waits for it. */
  const publish = async () => {
    const next = publisher.nextPublish();
    clock.fire();
    return next;
  };
  return { publisher, clock, built, failures, warnings, publish };
}

async function syncedPublisher(model: ServiceModel, options: Partial<SnapshotPublisherOptions> = {}) {
  const test = createTestPublisher(model, options);
  model.markSynced();
  await settle();
  await test.publish();
  test.built.length = 0;
  return test;
}

function threeServices(): ServiceModel {
  const model = new ServiceModel({ localDatacenter: "dc1" });
  setInstances(model, "web", [{}, {}]);
  setInstances(model, "api", [{}]);
  setInstances(model, "db", [{}, {}, {}]);
  return model;
}

// ---- tests -------------------------------------------------------------------------------------

describe("createSnapshotPublisher()", () => {
  it("should publish nothing before the model's initial sync, then every service at once", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    const { publisher, clock, built, publish } = createTestPublisher(model);
    setInstances(model, "web", [{}]);
    setInstances(model, "api", [{}]);
    await settle();
    assert.equal(clock.pending().length, 0, "nothing scheduled before sync");
    assert.deepEqual(publisher.cache.groups(), []);
    assert.equal(await publisher.flush(), undefined, "flush does not bypass the gate");
    assert.deepEqual(built, []);

    model.markSynced();
    await settle();
    assert.equal(clock.pending()[0]?.delayMs, 0, "the first publish is not delayed");
    const report = await publish();
    assert.equal(report.full, true);
    assert.equal(report.servicesBuilt, 2);
    assert.deepEqual([...report.published].sort(), ["envoy", "grpc"]);
    assert.deepEqual(publisher.cache.groups().sort(), ["envoy", "grpc"]);
    assert.deepEqual(names(publisher.cache.getSnapshot("grpc")!, listenerType), ["api", "web"]);
    publisher.close();
  });

  it("should publish an empty (but consistent) configuration for an empty model", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    const { publisher } = await syncedPublisher(model);
    const envoy = publisher.cache.getSnapshot("envoy")!;
    assert.deepEqual(names(envoy, listenerType), [envoyListenerName]);
    assert.deepEqual(envoyRoutes(envoy).virtualHosts, []);
    assert.deepEqual(names(publisher.cache.getSnapshot("grpc")!, clusterType), []);
    publisher.close();
  });

  it("should coalesce a burst of changes into one publish after the debounce window", async () => {
    const model = threeServices();
    const { publisher, clock, built, publish } = await syncedPublisher(model);
    setInstances(model, "web", [{ status: "critical" }, {}]);
    setInstances(model, "web", [{ status: "critical" }, { status: "critical" }]);
    setInstances(model, "api", [{ port: 9000 }]);
    assert.equal(clock.pending().length, 1, "one publish scheduled for the burst");
    assert.equal(clock.pending()[0]!.delayMs, 50);
    setInstances(model, "db", [{}]);
    assert.equal(clock.pending().length, 1, "later changes join the same window (no reset, no starvation)");
    const report = await publish();
    assert.equal(report.full, false);
    assert.deepEqual([...built].sort(), ["api", "db", "web"], "each changed service built once");
    assert.equal(report.servicesBuilt, 3);
    assert.equal(clock.pending().length, 0);
    publisher.close();
  });

  it("should not rebuild a virtual host when only instances changed, and rebuild it when its settings do", async () => {
    const model = threeServices();
    const { publisher, publish } = await syncedPublisher(model);
    const before = publisher.stats();
    setInstances(model, "web", [{ status: "critical" }, {}]);
    await publish();
    const afterFlap = publisher.stats();
    assert.equal(afterFlap.servicesBuilt - before.servicesBuilt, 1);
    assert.equal(afterFlap.virtualHostsBuilt - before.virtualHostsBuilt, 0, "a health flap does not touch Envoy's routes");
    setInstances(model, "web", [{ meta: { "xds-bridge-protocol": "grpc" } }]);
    await publish();
    assert.equal(
      publisher.stats().virtualHostsBuilt - afterFlap.virtualHostsBuilt,
      1,
      "a protocol change does (gRPC routes have no timeout)",
    );
    publisher.close();
  });

  it("should coalesce with debounceMs 0 on real timers (same tick → one publish)", async () => {
    const model = threeServices();
    const publisher = createSnapshotPublisher({ model, debounceMs: 0 });
    model.markSynced();
    await publisher.nextPublish();
    let publishes = 0;
    const next = publisher.nextPublish();
    publisher.nextPublish().then(
      () => (publishes += 1),
      () => undefined,
    );
    setInstances(model, "web", [{ status: "critical" }, {}]);
    setInstances(model, "api", [{ status: "critical" }]);
    const report = await next;
    assert.equal(report.servicesBuilt, 2);
    await settle();
    assert.equal(publishes, 1);
    assert.equal(publisher.stats().publishes, 2);
    publisher.close();
  });

  it("should rebuild only the changed service and keep every other resource object as is", async () => {
    const model = threeServices();
    const { publisher, built, publish } = await syncedPublisher(model);
    const before = { envoy: publisher.cache.getSnapshot("envoy")!, grpc: publisher.cache.getSnapshot("grpc")! };
    setInstances(model, "web", [{ status: "critical" }, {}]);
    await publish();
    assert.deepEqual(built, ["web"]);
    for (const kind of ["envoy", "grpc"] as const) {
      const after = publisher.cache.getSnapshot(kind)!;
      for (const other of ["api", "db"]) {
        assert.equal(after.get(clusterType).resources.get(other), before[kind].get(clusterType).resources.get(other));
        assert.equal(after.get(endpointType).resources.get(other), before[kind].get(endpointType).resources.get(other));
      }
      assert.notEqual(after.get(endpointType).resources.get("web")!.hash, before[kind].get(endpointType).resources.get("web")!.hash);
      // Only the assignment changed: the other types are the very same type snapshots.
      assert.equal(after.get(clusterType), before[kind].get(clusterType));
      assert.equal(after.get(listenerType), before[kind].get(listenerType));
      assert.equal(after.get(routeType), before[kind].get(routeType));
    }
    // With the same resources for both kinds, both kinds share one type snapshot (and streams one diff).
    assert.equal(publisher.cache.getSnapshot("grpc")!.get(endpointType), publisher.cache.getSnapshot("envoy")!.get(endpointType));
    publisher.close();
  });

  it("should group clients by kind: Envoy gets the HTTP listener, gRPC clients the api_listeners", async () => {
    const model = threeServices();
    const { publisher } = await syncedPublisher(model);
    const envoyNode = create(NodeSchema, { id: "e", userAgentName: "envoy" });
    const grpcNode = create(NodeSchema, { id: "g", userAgentName: "gRPC Node Pure JS" });
    assert.equal(publisher.cache.nodeGroup(envoyNode), "envoy");
    assert.equal(publisher.cache.nodeGroup(grpcNode), "grpc");
    const envoy = publisher.cache.getSnapshot(publisher.cache.nodeGroup(envoyNode))!;
    const grpc = publisher.cache.getSnapshot(publisher.cache.nodeGroup(grpcNode))!;
    assert.deepEqual(names(envoy, listenerType), [envoyListenerName]);
    assert.equal(decode(envoy, listenerType, envoyListenerName, ListenerSchema).apiListener, undefined);
    assert.deepEqual(names(grpc, listenerType), ["api", "db", "web"]);
    for (const name of names(grpc, listenerType)) assert.ok(decode(grpc, listenerType, name, ListenerSchema).apiListener);
    assert.deepEqual(names(envoy, routeType), [envoyRouteConfigurationName]);
    assert.deepEqual(names(grpc, routeType), ["api", "db", "web"]);
    publisher.close();
  });

  it("should remove every resource of a service that vanishes", async () => {
    const model = threeServices();
    const { publisher, publish } = await syncedPublisher(model);
    model.removeService("dc1", "api");
    await publish();
    for (const kind of ["envoy", "grpc"] as const) {
      const snapshot = publisher.cache.getSnapshot(kind)!;
      assert.deepEqual(names(snapshot, clusterType), ["db", "web"]);
      assert.deepEqual(names(snapshot, endpointType), ["db", "web"]);
    }
    assert.deepEqual(names(publisher.cache.getSnapshot("grpc")!, listenerType), ["db", "web"]);
    assert.deepEqual(
      envoyRoutes(publisher.cache.getSnapshot("envoy")!).virtualHosts.map((v) => v.name),
      ["db", "web"],
    );
    assert.equal(publisher.stats().services, 2);
    publisher.close();
  });

  it("should hand domains over incrementally when a conflicting service comes and goes", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    setInstances(model, "web", [{}]);
    const { publisher, built, publish } = await syncedPublisher(model);
    setInstances(model, "Web", [{ nodeAddress: "10.9.9.9" }]);
    await publish();
    assert.deepEqual(built, ["Web"], "the loser's virtual host is rebuilt without remapping its service");
    let routes = envoyRoutes(publisher.cache.getSnapshot("envoy")!);
    assertRouteConfigurationLoads(routes);
    assert.deepEqual(
      routes.virtualHosts.map((v) => v.name),
      ["Web"],
    );
    assert.equal(publisher.stats().warnings, 2, "web: domain-conflict + unrouted-service");
    model.removeService("dc1", "Web");
    await publish();
    routes = envoyRoutes(publisher.cache.getSnapshot("envoy")!);
    assert.deepEqual(
      routes.virtualHosts.map((v) => v.name),
      ["web"],
    );
    assert.equal(routes.virtualHosts[0]!.domains.length, 6);
    assert.equal(publisher.stats().warnings, 0);
    publisher.close();
  });

  it("should assemble Envoy's route configuration byte for byte like encoding the whole message", async () => {
    const model = threeServices();
    const options = resolveMappingOptions();
    const { publisher, publish } = await syncedPublisher(model);
    assertMatchesFullMapping(publisher, model.view(), options);
    setInstances(model, "zeta", [{}]);
    setInstances(model, "alpha", [{ meta: { "xds-bridge-protocol": "grpc" } }]);
    await publish();
    assertMatchesFullMapping(publisher, model.view(), options);
    publisher.close();
  });

  it("should agree with the full mapping after a long random series of changes", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1", failoverDatacenters: ["dc2"] });
    const options = resolveMappingOptions();
    const { publisher } = await syncedPublisher(model);
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const services = ["web", "Web", "api", "web.service.consul", "ext", "my svc", "rpc"];
    const statuses = ["passing", "warning", "critical"];
    for (let round = 0; round < 40; round++) {
      // Halfway, the local datacenter changes: every domain claim (`.service.<dc>.consul`) moves.
      if (round === 20) model.setLocalDatacenter("dc2");
      for (let k = 0; k < 1 + random(4); k++) {
        const service = services[random(services.length)]!;
        const dc = random(3) === 0 ? "dc2" : "dc1";
        if (random(6) === 0) {
          model.removeService(dc, service);
          continue;
        }
        const count = random(4);
        setInstances(
          model,
          service,
          Array.from({ length: count }, (_, i) => ({
            status: statuses[random(3)],
            address: service === "ext" ? `h${i}.example.com` : random(5) === 0 ? "10.0.0.1" : "",
            weights: { Passing: random(3) * 100, Warning: 1 },
            maintenance: random(8) === 0 ? ("node" as const) : undefined,
            meta:
              random(4) === 0
                ? { "xds-bridge-lb-policy": "random", "xds-bridge-when-unhealthy": "fail-open" }
                : ({} as Record<string, string>),
          })),
          dc,
        );
      }
      await publisher.flush();
      assertMatchesFullMapping(publisher, model.view(), options);
    }
    assert.equal(publisher.stats().rejectedSnapshots, 0);
    assert.equal(publisher.stats().validationFailures, 0);
    publisher.close();
  });

  it("should move traffic to the failover datacenter when the local instances go into maintenance", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1", failoverDatacenters: ["dc2"] });
    setInstances(model, "web", [{}, {}], "dc1");
    setInstances(model, "web", [{ nodeAddress: "10.2.0.1" }], "dc2");
    const { publisher, publish } = await syncedPublisher(model);
    const priorities = () =>
      decode(publisher.cache.getSnapshot("grpc")!, endpointType, "web", ClusterLoadAssignmentSchema).endpoints.map((g) => [
        g.priority,
        g.locality?.region,
        g.lbEndpoints.length,
      ]);
    assert.deepEqual(priorities(), [
      [0, "dc1", 2],
      [1, "dc2", 1],
    ]);
    setInstances(model, "web", [{ maintenance: "service" }, { maintenance: "node" }], "dc1");
    await publish();
    assert.deepEqual(priorities(), [[0, "dc2", 1]]);
    publisher.close();
  });

  it("should stop after close()", async () => {
    const model = threeServices();
    const { publisher, clock } = await syncedPublisher(model);
    publisher.close();
    setInstances(model, "web", [{ status: "critical" }]);
    assert.equal(clock.pending().length, 0);
    assert.equal(await publisher.flush(), undefined);
  });
});

describe("validation failures", () => {
  /** Wraps mapService to corrupt chosen resources of chosen services. */
  function corrupting(corrupt: Map<string, (mapping: ServiceMapping) => ServiceMapping>) {
    return (view: ModelView, service: string, options: ResolvedMappingOptions) => {
      const mapping = mapService(view, service, options);
      const change = corrupt.get(service);
      return mapping && change ? change(mapping) : mapping;
    };
  }

  /** An assignment with an endpoint on port 70000 (invalid for both kinds). */
  function badAssignment(mapping: ServiceMapping): ServiceMapping {
    const assignment = structuredClone(mapping.envoy.assignment!);
    const lbEndpoint = assignment.endpoints[0]!.lbEndpoints[0]!;
    if (lbEndpoint.hostIdentifier.case === "endpoint" && lbEndpoint.hostIdentifier.value.address?.address.case === "socketAddress") {
      lbEndpoint.hostIdentifier.value.address.address.value.portSpecifier = { case: "portValue", value: 70000 };
    }
    return { ...mapping, envoy: { ...mapping.envoy, assignment }, grpc: mapping.grpc && { ...mapping.grpc, assignment } };
  }

  /** A cluster with a negative connect timeout (Envoy requires > 0), for both kinds. */
  function badCluster(mapping: ServiceMapping): ServiceMapping {
    const cluster = structuredClone(mapping.envoy.cluster);
    cluster.connectTimeout = { $typeName: "google.protobuf.Duration", seconds: -1n, nanos: 0 };
    return { ...mapping, envoy: { ...mapping.envoy, cluster }, grpc: mapping.grpc && { ...mapping.grpc, cluster } };
  }

  function captureLogs() {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    return { logger: pino({ level: "debug" }, stream), lines };
  }

  it("should keep the last good assignment of an existing service, log it with the service name and count it", async () => {
    const model = threeServices();
    const corrupt = new Map<string, (m: ServiceMapping) => ServiceMapping>();
    const logs = captureLogs();
    const { publisher, failures, publish } = await syncedPublisher(model, { mapService: corrupting(corrupt), logger: logs.logger });
    const lastGood = publisher.cache.getSnapshot("grpc")!.get(endpointType).resources.get("web")!;
    corrupt.set("web", badAssignment);
    setInstances(model, "web", [{}, { status: "critical" }]);
    const report = await publish();
    assert.equal(report.validationFailures, 2, "rejected once per client kind");
    assert.equal(publisher.stats().validationFailures, 2);
    assert.deepEqual(failures.map((f) => [f.service, f.clientKind, f.typeUrl, f.kept]).sort(), [
      ["web", "envoy", endpointType, "last-good"],
      ["web", "grpc", endpointType, "last-good"],
    ]);
    assert.ok(failures[0]!.errors.some((e) => e.path.endsWith("port_value")));
    for (const kind of ["envoy", "grpc"] as const) {
      const snapshot = publisher.cache.getSnapshot(kind)!;
      assert.equal(snapshot.get(endpointType).resources.get("web")!.hash, lastGood.hash);
      assert.deepEqual(checkSnapshotConsistency(snapshot), []);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    const logged = logs.lines.filter((l) => l.msg === "resource failed validation and was not published");
    assert.equal(logged.length, 2);
    assert.ok(logged.every((l) => l.service === "web" && l.level === 40));

    // Once the mapping is good again, the new assignment goes out.
    corrupt.delete("web");
    setInstances(model, "web", [{ status: "critical" }, { status: "critical" }]);
    await publish();
    assert.equal(publisher.cache.getSnapshot("envoy")!.get(endpointType).resources.get("web")!.any.length < lastGood.any.length, true);
    assert.equal(publisher.stats().rejectedSnapshots, 0);
    publisher.close();
  });

  it("should keep a service's endpoints flowing while its cluster is rejected", async () => {
    const model = threeServices();
    const corrupt = new Map<string, (m: ServiceMapping) => ServiceMapping>();
    const { publisher, publish } = await syncedPublisher(model, { mapService: corrupting(corrupt) });
    const cluster = publisher.cache.getSnapshot("envoy")!.get(clusterType).resources.get("web")!;
    const assignment = publisher.cache.getSnapshot("envoy")!.get(endpointType).resources.get("web")!;
    corrupt.set("web", badCluster);
    setInstances(model, "web", [{ status: "critical" }, {}]);
    await publish();
    const snapshot = publisher.cache.getSnapshot("envoy")!;
    assert.equal(snapshot.get(clusterType).resources.get("web"), cluster, "last good cluster");
    assert.notEqual(snapshot.get(endpointType).resources.get("web")!.hash, assignment.hash, "new endpoints");
    publisher.close();
  });

  it("should leave a brand-new service out of the snapshot, consistently, until it validates", async () => {
    const model = threeServices();
    const corrupt = new Map<string, (m: ServiceMapping) => ServiceMapping>([["new", badCluster]]);
    const { publisher, failures, publish } = await syncedPublisher(model, { mapService: corrupting(corrupt) });
    setInstances(model, "new", [{}]);
    await publish();
    assert.ok(failures.every((f) => f.service === "new" && f.kept === "nothing"));
    assert.equal(failures.length, 2);
    for (const kind of ["envoy", "grpc"] as const) {
      const snapshot = publisher.cache.getSnapshot(kind)!;
      for (const type of [clusterType, endpointType, listenerType] as const)
        assert.ok(!snapshot.get(type).resources.has("new"), `${kind} ${type}`);
      assert.deepEqual(checkSnapshotConsistency(snapshot), []);
    }
    assert.ok(!publisher.cache.getSnapshot("grpc")!.get(routeType).resources.has("new"));
    assert.ok(!envoyRoutes(publisher.cache.getSnapshot("envoy")!).virtualHosts.some((v) => v.name === "new"));
    assert.equal(publisher.stats().rejectedSnapshots, 0);

    corrupt.delete("new");
    setInstances(model, "new", [{}, {}]);
    await publish();
    assert.ok(publisher.cache.getSnapshot("grpc")!.get(listenerType).resources.has("new"));
    assert.ok(envoyRoutes(publisher.cache.getSnapshot("envoy")!).virtualHosts.some((v) => v.name === "new"));
    publisher.close();
  });

  it("should reject a resource for one kind only and keep the other kind up to date", async () => {
    const model = threeServices();
    // A listener gRPC refuses (no api_listener) but Envoy's rules accept.
    const corrupt = new Map<string, (m: ServiceMapping) => ServiceMapping>([
      ["new", (m) => ({ ...m, grpc: m.grpc && { ...m.grpc, listener: create(ListenerSchema, { name: m.resourceName }) } })],
    ]);
    const { publisher, failures, publish } = await syncedPublisher(model, { mapService: corrupting(corrupt) });
    setInstances(model, "new", [{}]);
    await publish();
    assert.deepEqual(
      failures.map((f) => [f.clientKind, f.typeUrl, f.kept]),
      [["grpc", listenerType, "nothing"]],
    );
    assert.ok(publisher.cache.getSnapshot("envoy")!.get(clusterType).resources.has("new"));
    const grpc = publisher.cache.getSnapshot("grpc")!;
    for (const type of [clusterType, endpointType, listenerType, routeType] as const) assert.ok(!grpc.get(type).resources.has("new"), type);
    publisher.close();
  });

  it("should validate a gRPC route configuration against the authority its clients dial, and keep the last good", async () => {
    const model = threeServices();
    const corrupt = new Map<string, (m: ServiceMapping) => ServiceMapping>();
    const { publisher, failures, publish } = await syncedPublisher(model, { mapService: corrupting(corrupt) });
    const lastGood = publisher.cache.getSnapshot("grpc")!.get(routeType).resources.get("web")!;
    // Valid on its own for Envoy and for grpc-js, but no virtual host matches `xds:///web`: clients
    // would ACK it and then fail every RPC with "no matching route".
    const elsewhere = (m: ServiceMapping): ServiceMapping => {
      const routeConfiguration = structuredClone(m.grpc!.routeConfiguration);
      routeConfiguration.virtualHosts[0]!.domains = ["somewhere-else"];
      return { ...m, grpc: { ...m.grpc!, routeConfiguration } };
    };
    corrupt.set("web", elsewhere);
    setInstances(model, "web", [{ status: "critical" }, {}]);
    await publish();
    assert.deepEqual(
      failures.map((f) => [f.service, f.clientKind, f.typeUrl, f.kept]),
      [["web", "grpc", routeType, "last-good"]],
    );
    assert.ok(
      failures[0]!.errors.some((e) => /web/.test(e.message)),
      JSON.stringify(failures[0]!.errors),
    );
    const grpc = publisher.cache.getSnapshot("grpc")!;
    assert.equal(grpc.get(routeType).resources.get("web"), lastGood);
    assert.deepEqual(checkSnapshotConsistency(grpc), []);
    publisher.close();
  });

  it("should keep the last good virtual host when a new one fails validation", async () => {
    const model = threeServices();
    const corrupt = new Map<string, (m: ServiceMapping) => ServiceMapping>();
    const { publisher, failures, publish } = await syncedPublisher(model, { mapService: corrupting(corrupt) });
    const before = envoyRoutes(publisher.cache.getSnapshot("envoy")!);
    corrupt.set("web", (m) => ({ ...m, settings: { ...m.settings, lbPolicy: "ring_hash", hashHeader: "bad header\n" } }));
    setInstances(model, "web", [{ status: "critical" }, {}]);
    await publish();
    assert.deepEqual(
      failures.map((f) => [f.service, f.clientKind, f.typeUrl, f.kept]),
      [["web", "envoy", "type.googleapis.com/envoy.config.route.v3.VirtualHost", "last-good"]],
    );
    assert.deepEqual(envoyRoutes(publisher.cache.getSnapshot("envoy")!), before);
    publisher.close();
  });

  it("should count a mapping exception, keep the last good resources and carry on", async () => {
    const model = threeServices();
    let explode = false;
    const { publisher, publish } = await syncedPublisher(model, {
      mapService: (view, service, options) => {
        if (explode && service === "web") throw new Error("boom");
        return mapService(view, service, options);
      },
    });
    const before = publisher.cache.getSnapshot("envoy")!.get(endpointType).resources.get("web");
    explode = true;
    setInstances(model, "web", [{ status: "critical" }, {}]);
    setInstances(model, "api", [{ status: "critical" }]);
    await publish();
    assert.equal(publisher.stats().buildErrors, 1);
    assert.equal(publisher.cache.getSnapshot("envoy")!.get(endpointType).resources.get("web"), before);
    assert.equal(publisher.cache.getSnapshot("envoy")!.get(endpointType).resources.get("api")!.any.length > 0, true);
    publisher.close();
  });
});

describe("warnings", () => {
  it("should report a service's warnings when they change, not on every rebuild", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    setInstances(model, "web", [{ meta: { "xds-bridge-typo": "x" } }, {}]);
    const { publisher, warnings, publish } = await syncedPublisher(model);
    assert.deepEqual(
      warnings.map(([s, w]) => [s, w.map((x) => x.code)]),
      [["web", ["unknown-setting"]]],
    );
    setInstances(model, "web", [{ meta: { "xds-bridge-typo": "x" }, status: "critical" }, {}]);
    await publish();
    assert.equal(warnings.length, 1, "same warnings: not reported again");
    setInstances(model, "web", [{}, {}]);
    await publish();
    assert.deepEqual(warnings.at(-1), ["web", []]);
    assert.equal(publisher.stats().warnings, 0);
    publisher.close();
  });
});

describe("client kinds with a cache created by the caller", () => {
  it("should publish into the given cache under the kind groups", async () => {
    const { SnapshotCache } = await import("../src/snapshot/index.js");
    const { createClientKindNodeGroup } = await import("../src/publish/index.js");
    const cache = new SnapshotCache({ nodeGroup: createClientKindNodeGroup() });
    const model = threeServices();
    const publisher = createSnapshotPublisher({ model, cache, debounceMs: 0 });
    model.markSynced();
    await publisher.nextPublish();
    assert.equal(publisher.cache, cache);
    const kinds: ClientKind[] = ["envoy", "grpc"];
    assert.deepEqual(cache.groups().sort(), kinds);
    publisher.close();
  });
});
