// The 90/10 split of the discovery chain with a second real client, gRPC C-core's xDS client
// (Debian's python3-grpcio): config entries written to the embedded catalog's /v1/config, the built
// `serve` CLI, C-core echo backends of two versions, hundreds of real calls.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listClients } from "./support/bridge-cli.js";
import { ccoreGate, lastFrom } from "./support/ccore-client.js";
import { type CcoreTestbed, startCcoreTestbed } from "./support/ccore-testbed.js";

const gate = ccoreGate("e2e-ccore-traffic-split");
const target = "xds:///greeter";

const split = (v1: number, v2: number) => ({
  Kind: "service-splitter",
  Name: "greeter",
  Splits: [
    { Weight: v1, ServiceSubset: "v1" },
    { Weight: v2, ServiceSubset: "v2" },
  ],
});

describe("a traffic split through gRPC C-core's xDS client", { skip: gate.skip }, () => {
  let bed: CcoreTestbed;

  async function write(entry: unknown): Promise<void> {
    const response = await fetch(`${bed.consul.url}/v1/config`, { method: "PUT", body: JSON.stringify(entry) });
    assert.equal(response.status, 200, await response.text());
  }

  before(async () => {
    gate.assertPresent();
    bed = await startCcoreTestbed({ backends: ["greeter-v1", "greeter-v2"] });
    await bed.register("greeter", "greeter-v1", { Meta: { version: "v1" } });
    await bed.register("greeter", "greeter-v2", { Meta: { version: "v2" } });
    await write({ Kind: "service-defaults", Name: "greeter", Protocol: "grpc" });
    await write({
      Kind: "service-resolver",
      Name: "greeter",
      Subsets: { v1: { Filter: "Service.Meta.version == v1" }, v2: { Filter: "Service.Meta.version == v2" } },
    });
  });

  after(async () => {
    await bed?.close();
  });

  it("should send 90 % of 500 calls to v1 and 10 % to v2, within binomial tolerance", async () => {
    // 0/100 first: 20 answers in a row from v2 show the chain applies (round robin would alternate).
    await write(split(0, 100));
    await bed.client.callUntil(target, lastFrom(new Set(["greeter-v2"]), 20));
    await write(split(90, 10));
    await bed.client.callUntil(target, lastFrom(new Set(["greeter-v1"]), 1));
    const n = 500;
    const outcomes = await bed.client.call(target, { count: n });
    assert.deepEqual(
      outcomes.filter((o) => !o.ok),
      [],
      "every call succeeded",
    );
    const v2 = outcomes.filter((o) => o.ok && o.backend === "greeter-v2").length;
    const v1 = outcomes.filter((o) => o.ok && o.backend === "greeter-v1").length;
    assert.equal(v1 + v2, n);
    const mean = n * 0.1;
    const sd = Math.sqrt(n * 0.1 * 0.9);
    assert.ok(Math.abs(v2 - mean) <= 5 * sd, `greeter-v2 answered ${v2} of ${n}, expected ${mean} ± ${Math.ceil(5 * sd)}`);
  });

  it("should have accepted every route configuration and cluster (no NACK)", async () => {
    const clients = await listClients(bed.bridge.adminUrl);
    const ccore = clients.find((c) => c.nodeId === bed.client.nodeId);
    assert.ok(ccore, `the C-core client is listed: ${JSON.stringify(clients)}`);
    for (const type of ccore.types ?? []) assert.equal(type.lastNackMessage ?? "", "", `${type.shortName}: never NACKed`);
  });
});
