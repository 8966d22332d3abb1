// Names both real gRPC clients agree on: a service whose name escaping changes (`my svc`, dialled
// as xds:///my%20svc). gRPC C-core percent-decodes the target and asks for listener `my svc`, so the
// bridge serves the decoded spelling too; without it C-core never resolves the service.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ccoreGate, ccoreXdsProblems, lastFrom } from "./support/ccore-client.js";
import { type CcoreTestbed, startCcoreTestbed } from "./support/ccore-testbed.js";

const gate = ccoreGate("e2e-ccore-names");

describe("a name with a space, through gRPC C-core", { skip: gate.skip }, () => {
  let bed: CcoreTestbed;

  before(async () => {
    gate.assertPresent();
    bed = await startCcoreTestbed({ backends: ["spaced-a"], services: { "my svc": ["spaced-a"] } });
  });

  after(async () => {
    await bed?.close();
  });

  it("should resolve xds:///my%20svc and reach its instance, with nothing NACKed", async () => {
    await bed.client.callUntil("xds:///my%20svc", lastFrom(new Set(["spaced-a"]), 3));
    const outcomes = await bed.client.call("xds:///my%20svc", { count: 5 });
    assert.ok(
      outcomes.every((o) => o.ok && o.backend === "spaced-a"),
      JSON.stringify(outcomes),
    );
    assert.deepEqual(ccoreXdsProblems(bed.client.trace()), []);
  });
});
