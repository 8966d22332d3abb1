// A long job, run after the unit suites (scripts/run-tests.mjs): the embedded catalog seeded with
// 10,000 services × 10 instances must still answer correctly. Speed is measured by `npm run bench`;
// the figures printed here are informative.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmbeddedConsul } from "../../src/embedded-consul/index.js";
import { http, useEmbeddedConsul } from "../support/consul-test-support.js";

type Entry = {
  Node: Record<string, unknown>;
  Service: Record<string, unknown>;
  Checks: Array<Record<string, unknown>>;
};

const get = (consul: EmbeddedConsul, path: string) => http(consul.url, "GET", path);

describe("createEmbeddedConsul() at scale", () => {
  it("should seed 10,000 services × 10 instances and answer correctly at that size", async (t) => {
    const consul = await useEmbeddedConsul(t);
    const services = Array.from({ length: 10_000 }, (_, s) => ({
      name: `svc-${s}`,
      instances: Array.from({ length: 10 }, (_, i) => ({ port: 8000 + i, tags: [`t${i % 3}`] })),
    }));
    let started = Date.now();
    consul.store.seed("dc1", services);
    const seedMs = Date.now() - started;
    started = Date.now();
    const catalog = (await get(consul, "/v1/catalog/services")).json<Record<string, string[]>>();
    assert.equal(Object.keys(catalog).length, 10_001);
    assert.deepEqual(catalog["svc-42"], ["t0", "t1", "t2"]);
    const entries = (await get(consul, "/v1/health/service/svc-9999")).json<Entry[]>();
    assert.equal(entries.length, 10);
    const readMs = Date.now() - started;
    started = Date.now();
    for (let i = 0; i < 1_000; i += 1) consul.store.setCheckStatus("dc1", "node-3", `service:svc-${i}-3`, i % 2 ? "warning" : "critical");
    const writeMs = Date.now() - started;
    const changed = (await get(consul, "/v1/health/service/svc-1")).json<Entry[]>();
    assert.equal(changed.find((e) => e.Node.Node === "node-3")?.Checks.find((c) => c.CheckID === "service:svc-1-3")?.Status, "warning");
    // Speed is measured by the benchmarks (bench/), not asserted here; the figures are informative.
    t.diagnostic(`seed ${seedMs} ms, first reads ${readMs} ms, 1,000 check writes ${writeMs} ms`);
  });
});
