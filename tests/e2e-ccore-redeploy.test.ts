// A redeploy seen by gRPC C-core (Debian's python3-grpcio): a service's only instance deregisters
// and registers again. Told that a listener does not exist, C-core 1.51 keeps failing on that channel
// long after the listener returns (it ignores the identical route configuration), so the bridge keeps
// a vanished service's resources, with no endpoints, for --vanished-service-grace (default 5m): the
// channel fails fast meanwhile and recovers with the one EDS update the re-registration brings.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { servedNames } from "./support/bridge-cli.js";
import { ccoreGate, lastFailed, lastFrom } from "./support/ccore-client.js";
import { type CcoreTestbed, startCcoreTestbed } from "./support/ccore-testbed.js";

const gate = ccoreGate("e2e-ccore-redeploy");
const target = "xds:///redeploy";

describe("a redeploy through the bridge with gRPC C-core's xDS client", { skip: gate.skip }, () => {
  let bed: CcoreTestbed;

  before(async () => {
    gate.assertPresent();
    bed = await startCcoreTestbed({ backends: ["redeploy-1"], services: { redeploy: ["redeploy-1"] } });
  });

  after(async () => {
    await bed?.close();
  });

  it("should fail fast while the only instance is gone, then recover on the same channel within 2 s of re-registration", async () => {
    await bed.client.callUntil(target, lastFrom(new Set(["redeploy-1"]), 1));

    await bed.deregister("redeploy-1");
    const gone = await bed.client.callUntil(target, lastFailed("UNAVAILABLE", 3));
    const last = gone.at(-1)!;
    assert.ok(!last.ok && !/does not exist/.test(last.details), `C-core still has the listener and route: ${JSON.stringify(last)}`);
    assert.deepEqual(await servedNames(bed.bridge.adminUrl, "grpc", "LDS"), ["redeploy"], "the listener is still served");
    assert.deepEqual(await servedNames(bed.bridge.adminUrl, "grpc", "EDS"), ["redeploy"], "with its (empty) assignment");

    const registered = Date.now();
    await bed.register("redeploy", "redeploy-1");
    const recovering = await bed.client.callUntil(target, lastFrom(new Set(["redeploy-1"]), 1), 2_000);
    const recoveredInMs = Date.now() - registered;
    assert.ok(recoveredInMs < 2_000, `recovered ${recoveredInMs} ms after re-registration`);
    for (const outcome of recovering.filter((o) => !o.ok)) {
      assert.ok(!outcome.ok && outcome.code === "UNAVAILABLE" && !/does not exist/.test(outcome.details), JSON.stringify(outcome));
    }
    const settled = await bed.client.call(target, { count: 5 });
    assert.ok(
      settled.every((o) => o.ok && o.backend === "redeploy-1"),
      JSON.stringify(settled),
    );
  });
});
