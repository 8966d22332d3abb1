// The whole path with a second real xDS client, one nobody on this project wrote: gRPC C-core (the
// xDS client under gRPC C++/Python/Ruby/PHP; Debian's python3-grpcio) resolves xds:///greeter
// through the built `serve` CLI, which watches the embedded Consul catalog, and calls C-core echo
// backends registered there. Health changes in Consul must move C-core's traffic.
//
// ring_hash is deliberately absent: C-core 1.51's ring_hash policy segfaults inside C-core itself
// (issue 15 reproduced it with no bridge in the path; a C-core client of a ring_hash service here
// dies with SIGSEGV right after ACKing its assignment), so such a scenario would test C-core's
// crash, not the bridge. The grpc-js-xds suites cover ring_hash.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { listClients } from "./support/bridge-cli.js";
import { ccoreAckedTypes, ccoreGate, ccoreXdsProblems, lastFailed, lastFrom } from "./support/ccore-client.js";
import { type CcoreTestbed, startCcoreTestbed } from "./support/ccore-testbed.js";

const gate = ccoreGate("e2e-ccore-xds");
const target = "xds:///greeter";

describe("proxyless gRPC through the bridge with gRPC C-core's xDS client", { skip: gate.skip }, () => {
  let bed: CcoreTestbed;

  before(async () => {
    gate.assertPresent();
    bed = await startCcoreTestbed({ backends: ["greeter-a", "greeter-b"], services: { greeter: ["greeter-a", "greeter-b"] } });
  });

  after(async () => {
    await bed?.close();
  });

  it("should spread calls over both backends", async () => {
    const outcomes = await bed.client.callUntil(target, lastFrom(new Set(["greeter-a", "greeter-b"]), 1));
    const settled = await bed.client.call(target, { count: 10 });
    assert.ok(
      settled.every((o) => o.ok),
      JSON.stringify(settled),
    );
    const served = new Set(settled.map((o) => (o.ok ? o.backend : "")));
    assert.deepEqual(served, new Set(["greeter-a", "greeter-b"]), "round robin reaches both backends");
    const total = outcomes.filter((o) => o.ok).length + settled.length;
    assert.equal(bed.backends.calls("greeter-a") + bed.backends.calls("greeter-b"), total, "every answered call was served by a backend");
  });

  it("should show all four types ACKed, and no NACK, in the bridge's own status", async () => {
    const clients = await listClients(bed.bridge.adminUrl);
    const ccore = clients.find((c) => c.nodeId === bed.client.nodeId);
    assert.ok(ccore, `the C-core client is listed: ${JSON.stringify(clients)}`);
    assert.equal(ccore.clientKind, "grpc", "told apart from Envoy by its user agent");
    assert.match(ccore.userAgent ?? "", /^gRPC C-core/);
    const types = new Map((ccore.types ?? []).map((t) => [t.shortName, t]));
    for (const name of ["LDS", "RDS", "CDS", "EDS"]) {
      const type = types.get(name);
      assert.ok(type?.versionSent, `${name} was sent`);
      assert.equal(type.versionAcked, type.versionSent, `${name}: the version sent is ACKed`);
      assert.equal(type.lastNackMessage ?? "", "", `${name}: never NACKed`);
    }
  });

  it("should move all traffic off an instance whose check fails, and back when it passes", async () => {
    await bed.check("greeter-a", "fail");
    await bed.client.callUntil(target, lastFrom(new Set(["greeter-b"]), 8));
    const before = bed.backends.calls("greeter-a");
    const after = await bed.client.call(target, { count: 10 });
    assert.deepEqual(new Set(after.map((o) => (o.ok ? o.backend : o.code))), new Set(["greeter-b"]));
    assert.equal(bed.backends.calls("greeter-a"), before, "the failing instance gets no calls");
    await bed.check("greeter-a", "pass");
    await bed.client.callUntil(target, (outcomes) => outcomes.some((o) => o.ok && o.backend === "greeter-a"));
  });

  it("should fail calls fast with UNAVAILABLE while no instance is healthy", async () => {
    await bed.check("greeter-a", "fail");
    await bed.check("greeter-b", "fail");
    await bed.client.callUntil(target, lastFailed("UNAVAILABLE", 1));
    // A call that waited for an endpoint would end DEADLINE_EXCEEDED after its 10 s deadline instead.
    const failed = await bed.client.call(target, { count: 5, timeoutMs: 10_000 });
    for (const outcome of failed) {
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.equal(outcome.code, "UNAVAILABLE", outcome.details);
    }
    await bed.check("greeter-a", "pass");
    await bed.check("greeter-b", "pass");
    await bed.client.callUntil(target, (outcomes) => new Set(outcomes.flatMap((o) => (o.ok ? [o.backend] : []))).size === 2);
  });

  it("should leave no NACK and no validation error in C-core's xds_client trace", () => {
    const trace = bed.client.trace();
    assert.deepEqual(
      [...ccoreAckedTypes(trace)].sort(),
      ["Cluster", "ClusterLoadAssignment", "Listener", "RouteConfiguration"],
      "the trace shows C-core ACKing every type (so it is the trace of this exchange)",
    );
    assert.deepEqual(ccoreXdsProblems(trace), []);
  });
});
