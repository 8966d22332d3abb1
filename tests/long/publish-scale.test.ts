// Scale: 10,000 services × 10 instances. The first publish builds everything once; one instance
// flap rebuilds one service and re-encodes only its resources (everything else keeps its encoded
// object); adding a service re-encodes one virtual host and re-assembles Envoy's route configuration
// from bytes. Timings are reported as test diagnostics only (speed is `npm run bench`'s job). A long job:
// scripts/run-tests.mjs runs tests/long/ after the unit suites.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapService } from "../../src/mapping/index.js";
import type { ServiceInstance } from "../../src/model/service-instance.js";
import { ServiceModel } from "../../src/model/service-model.js";
import { createSnapshotPublisher } from "../../src/publish/index.js";
import { clusterType, endpointType, listenerType, routeType, type Snapshot } from "../../src/snapshot/index.js";

const SERVICES = 10_000;
const INSTANCES = 10;

function instanceOf(service: number, i: number, status: "passing" | "critical" = "passing"): ServiceInstance {
  return {
    id: `svc-${service}-${i}`,
    node: `node-${i}`,
    address: `10.${(service >> 8) & 255}.${service & 255}.${i + 1}`,
    port: 8080,
    tags: [],
    meta: {},
    weights: { passing: 1, warning: 1 },
    health: { status, maintenance: "none" },
    datacenter: "dc1",
    nodeMeta: { zone: `zone-${i % 3}` },
  };
}

function instances(service: number, critical = -1): ServiceInstance[] {
  return Array.from({ length: INSTANCES }, (_, i) => instanceOf(service, i, i === critical ? "critical" : "passing"));
}

/** Counts resources whose encoded object differs between two snapshots. */
function changedObjects(before: Snapshot, after: Snapshot): number {
  let changed = 0;
  for (const type of [clusterType, endpointType, listenerType, routeType] as const) {
    for (const [name, resource] of after.get(type).resources) if (before.get(type).resources.get(name) !== resource) changed += 1;
  }
  return changed;
}

describe("publisher at scale", () => {
  it("should build 10,000 × 10 once, then rebuild one service per instance change", async (t) => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    for (let s = 0; s < SERVICES; s++) model.setService("dc1", `svc-${s}`, instances(s));
    const built: string[] = [];
    const publisher = createSnapshotPublisher({
      model,
      debounceMs: 0,
      mapService: (view, service, options) => {
        built.push(service);
        return mapService(view, service, options);
      },
    });
    model.markSynced();
    const first = await publisher.nextPublish();
    t.diagnostic(`first publish of ${SERVICES} services × ${INSTANCES} instances: ${first.durationMs.toFixed(0)} ms`);
    assert.equal(first.servicesBuilt, SERVICES);
    assert.equal(first.validationFailures, 0);
    const envoy0 = publisher.cache.getSnapshot("envoy")!;
    const grpc0 = publisher.cache.getSnapshot("grpc")!;
    assert.equal(envoy0.get(clusterType).resources.size, SERVICES);
    assert.equal(grpc0.get(listenerType).resources.size, SERVICES);

    // One instance flaps, several times (different services): one build each, one assignment re-encoded per kind.
    const durations: number[] = [];
    for (let k = 0; k < 20; k++) {
      const service = (k * 7919) % SERVICES;
      built.length = 0;
      const envoyBefore = publisher.cache.getSnapshot("envoy")!;
      const grpcBefore = publisher.cache.getSnapshot("grpc")!;
      model.setService("dc1", `svc-${service}`, instances(service, k % INSTANCES));
      const report = await publisher.nextPublish();
      durations.push(report.durationMs);
      assert.deepEqual(built, [`svc-${service}`]);
      assert.equal(changedObjects(envoyBefore, publisher.cache.getSnapshot("envoy")!), 1, "Envoy: only the assignment");
      assert.equal(changedObjects(grpcBefore, publisher.cache.getSnapshot("grpc")!), 1, "gRPC: only the assignment");
    }
    durations.sort((a, b) => a - b);
    const median = durations[durations.length >> 1]!;
    // Informative only: speed is measured by `npm run bench`; what this test holds is the work done per change.
    t.diagnostic(`one instance change: median ${median.toFixed(1)} ms, max ${durations.at(-1)!.toFixed(1)} ms (over ${durations.length})`);

    // A new service: its resources plus one virtual host; the route configuration is re-assembled.
    built.length = 0;
    const before = publisher.cache.getSnapshot("envoy")!;
    model.setService("dc1", "svc-new", instances(SERVICES + 1));
    const added = await publisher.nextPublish();
    t.diagnostic(`one service added: ${added.durationMs.toFixed(1)} ms`);
    assert.deepEqual(built, ["svc-new"]);
    assert.equal(changedObjects(before, publisher.cache.getSnapshot("envoy")!), 3, "cluster, assignment, route configuration");
    assert.equal(publisher.stats().rejectedSnapshots, 0);
    publisher.close();
  });
});
