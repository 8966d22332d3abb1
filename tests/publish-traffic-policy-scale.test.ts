// Scale with config entries: 10,000 services and 1,000 config entries. One entry change rebuilds
// exactly the services whose discovery chain reads it — counted by the publisher's own build counter
// and the names mapped — not the catalog; a change to a service rebuilds the chains routing to it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapService } from "../src/mapping/index.js";
import type { ConfigEntryKind } from "../src/model/config-entry.js";
import { ConfigEntryStore } from "../src/model/config-entry-store.js";
import type { ServiceInstance } from "../src/model/service-instance.js";
import { ServiceModel } from "../src/model/service-model.js";
import { createSnapshotPublisher } from "../src/publish/index.js";
import { clusterType } from "../src/snapshot/index.js";
import { type ConsulConfigEntry, decodeEntry } from "./support/config-entries.js";

const SERVICES = 10_000;
const SHAPED = 250; // svc-0 … svc-249: service-defaults, resolver with subsets, splitter (750 entries)
const TIMED = 250; // svc-250 … svc-499: a resolver with a connect timeout (250 entries)

function instanceOf(service: number, i: number, meta: Record<string, string> = {}): ServiceInstance {
  return {
    id: `svc-${service}-${i}`,
    node: `node-${i}`,
    address: `10.${(service >> 8) & 255}.${service & 255}.${i + 1}`,
    port: 8080,
    tags: [],
    meta,
    weights: { passing: 1, warning: 1 },
    health: { status: "passing", maintenance: "none" },
    datacenter: "dc1",
    nodeMeta: {},
  };
}

const instances = (service: number, count = 4) =>
  Array.from({ length: count }, (_, i) => instanceOf(service, i, service < SHAPED ? { version: i % 2 === 0 ? "v1" : "v2" } : {}));

function splitter(service: number, v1: number): ConsulConfigEntry {
  return {
    Kind: "service-splitter",
    Name: `svc-${service}`,
    Splits:
      service === 0
        ? [
            { Weight: v1, ServiceSubset: "v1" },
            { Weight: 100 - v1, Service: "svc-1" },
          ]
        : [
            { Weight: v1, ServiceSubset: "v1" },
            { Weight: 100 - v1, ServiceSubset: "v2" },
          ],
  };
}

function entries(): Map<ConfigEntryKind, ConsulConfigEntry[]> {
  const byKind = new Map<ConfigEntryKind, ConsulConfigEntry[]>();
  const add = (entry: ConsulConfigEntry) => byKind.set(entry.Kind, [...(byKind.get(entry.Kind) ?? []), entry]);
  for (let s = 0; s < SHAPED; s++) {
    add({ Kind: "service-defaults", Name: `svc-${s}`, Protocol: "http" });
    add({
      Kind: "service-resolver",
      Name: `svc-${s}`,
      Subsets: { v1: { Filter: "Service.Meta.version == v1" }, v2: { Filter: "Service.Meta.version == v2" } },
    });
    add(splitter(s, 90));
  }
  for (let s = SHAPED; s < SHAPED + TIMED; s++) add({ Kind: "service-resolver", Name: `svc-${s}`, ConnectTimeout: "2s" });
  return byKind;
}

describe("publisher at scale with config entries", () => {
  it("should rebuild only the chains an entry change or a service change touches, out of 10,000", async (t) => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    for (let s = 0; s < SERVICES; s++) model.setService("dc1", `svc-${s}`, instances(s));
    const store = new ConfigEntryStore();
    const all = entries();
    assert.equal(
      [...all.values()].reduce((sum, list) => sum + list.length, 0),
      1_000,
    );
    const put = (kind: ConfigEntryKind, list: ConsulConfigEntry[]) => store.replaceKind(kind, list.map(decodeEntry));
    for (const kind of ["service-defaults", "proxy-defaults", "service-router", "service-splitter", "service-resolver"] as const) {
      put(kind, all.get(kind) ?? []);
    }
    const built: string[] = [];
    const publisher = createSnapshotPublisher({
      model,
      configEntries: store,
      debounceMs: 0,
      mapService: (view, service, options, chain) => {
        built.push(service);
        return mapService(view, service, options, chain);
      },
    });
    model.markSynced();
    const first = await publisher.nextPublish();
    t.diagnostic(`first publish: ${SERVICES} services, 1,000 config entries, ${first.durationMs.toFixed(0)} ms`);
    assert.equal(first.servicesBuilt, SERVICES);
    assert.equal(first.validationFailures, 0);
    const clusters = publisher.cache.getSnapshot("envoy")!.get(clusterType).resources;
    assert.ok(clusters.has("svc-100:v1") && clusters.has("svc-100:v2") && clusters.has("svc-0:v2:svc-1:dc1"), "chains are published");

    const change = async (what: () => void): Promise<string[]> => {
      built.length = 0;
      const before = publisher.stats().servicesBuilt;
      const next = publisher.nextPublish();
      what();
      const report = await next;
      t.diagnostic(`${built.length} service(s) rebuilt in ${report.durationMs.toFixed(1)} ms`);
      assert.equal(publisher.stats().servicesBuilt - before, built.length, "the counter agrees with the names mapped");
      return [...built].sort();
    };

    const splitters = all.get("service-splitter") ?? [];
    assert.deepEqual(
      await change(() =>
        put(
          "service-splitter",
          splitters.map((e) => (e.Name === "svc-100" ? splitter(100, 60) : e)),
        ),
      ),
      ["svc-100"],
    );
    const resolvers = (all.get("service-resolver") ?? []).map((e) => (e.Name === "svc-1" ? { ...e, ConnectTimeout: "3s" } : e));
    assert.deepEqual(
      await change(() => put("service-resolver", resolvers)),
      ["svc-0", "svc-1"],
      "svc-0 splits to svc-1, so its chain reads svc-1's resolver",
    );
    assert.deepEqual(await change(() => model.setService("dc1", "svc-1", instances(1, 5))), ["svc-0", "svc-1"], "and svc-1's instances");
    assert.deepEqual(
      await change(() => put("service-resolver", [...resolvers, { Kind: "service-resolver", Name: "svc-9000", ConnectTimeout: "1s" }])),
      ["svc-9000"],
      "a new entry rebuilds the service that read its absence",
    );
  });
});
