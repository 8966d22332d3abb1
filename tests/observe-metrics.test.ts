// The bridge's Prometheus metrics that operators asked for: Consul request latency by endpoint,
// build_info, and a staleness gauge that is absent (not +Inf) before the first sync.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { BridgeMetrics } from "../src/observe/bridge-metrics.js";
import { readBuildInfo } from "../src/observe/build-info.js";
import type { StatusReading } from "../src/observe/status-reading.js";

const p = "consul_xds_bridge_";

/** The samples of one metric family in Prometheus text (name{labels} value). */
function samples(text: string, name: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

function reading(stalenessSeconds: number, synced: boolean): StatusReading {
  return {
    synced,
    ready: synced,
    notReadyReason: synced ? undefined : "initial sync with Consul not complete",
    stalenessSeconds,
    consulErrorClass: "",
    consulErrorMessage: "",
    services: 0,
    instances: 0,
    validationFailures: 0,
  };
}

describe("BridgeMetrics", () => {
  it("should leave the staleness gauge out before the initial sync, and report it after", async () => {
    const metrics = new BridgeMetrics({ processMetrics: false });
    let current = reading(Number.POSITIVE_INFINITY, false);
    metrics.setStatusSource(() => current);
    const before = await metrics.render();
    assert.deepEqual(samples(before, `${p}consul_sync_staleness_seconds`), [], "no sample before the first sync");
    assert.deepEqual(samples(before, `${p}ready`), [`${p}ready 0`]);
    current = reading(0, true);
    assert.deepEqual(samples(await metrics.render(), `${p}consul_sync_staleness_seconds`), [`${p}consul_sync_staleness_seconds 0`]);
    current = reading(42, true);
    assert.deepEqual(samples(await metrics.render(), `${p}consul_sync_staleness_seconds`), [`${p}consul_sync_staleness_seconds 42`]);
  });

  it("should histogram Consul request latency by endpoint and outcome", async () => {
    const metrics = new BridgeMetrics({ processMetrics: false });
    metrics.consulRequest("health-service", "ok", 120);
    metrics.consulRequest("health-service", "ok", 3);
    metrics.consulRequest("catalog-services", "unreachable", 2_000);
    const text = await metrics.render();
    const name = `${p}consul_request_duration_seconds`;
    assert.ok(samples(text, `${name}_bucket`).includes(`${name}_bucket{le="0.005",endpoint="health-service",outcome="ok"} 1`));
    assert.ok(samples(text, `${name}_bucket`).includes(`${name}_bucket{le="0.25",endpoint="health-service",outcome="ok"} 2`));
    assert.ok(samples(text, `${name}_count`).includes(`${name}_count{endpoint="health-service",outcome="ok"} 2`));
    assert.ok(samples(text, `${name}_sum`).includes(`${name}_sum{endpoint="health-service",outcome="ok"} 0.123`));
    assert.ok(samples(text, `${name}_bucket`).includes(`${name}_bucket{le="1",endpoint="catalog-services",outcome="unreachable"} 0`));
    assert.ok(samples(text, `${name}_bucket`).includes(`${name}_bucket{le="2.5",endpoint="catalog-services",outcome="unreachable"} 1`));
  });

  it("should export build_info with the package version, the Node.js version and the commit", async () => {
    const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
    const given = new BridgeMetrics({ processMetrics: false, buildInfo: { version: "1.2.3", nodeVersion: "v20.0.0", commit: "abc1234" } });
    assert.deepEqual(samples(await given.render(), `${p}build_info`), [
      `${p}build_info{version="1.2.3",node_version="v20.0.0",commit="abc1234"} 1`,
    ]);
    const unknown = new BridgeMetrics({ processMetrics: false, buildInfo: { version, nodeVersion: process.version, commit: undefined } });
    assert.deepEqual(samples(await unknown.render(), `${p}build_info`), [
      `${p}build_info{version="${version}",node_version="${process.version}",commit="unknown"} 1`,
    ]);
  });
});

describe("readBuildInfo()", () => {
  it("should read the version from package.json, and the commit the build recorded, else the environment's", (t) => {
    const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
    const dir = mkdtempSync(join(tmpdir(), "cxb-build-info-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const recordedFile = pathToFileURL(join(dir, "build-info.json"));
    writeFileSync(recordedFile, JSON.stringify({ commit: "feedc0ffee" }));
    const recorded = readBuildInfo({ env: { CONSUL_XDS_BRIDGE_COMMIT: "0123456789abcdef" }, recordedFile });
    assert.deepEqual(recorded, { version, nodeVersion: process.version, commit: "feedc0ffee" });
    writeFileSync(recordedFile, JSON.stringify({ commit: null }));
    assert.equal(readBuildInfo({ env: { CONSUL_XDS_BRIDGE_COMMIT: "0123456789abcdef" }, recordedFile }).commit, "0123456789abcdef");
    assert.equal(readBuildInfo({ env: {}, recordedFile: pathToFileURL(join(dir, "missing.json")) }).commit, undefined);
  });
});
