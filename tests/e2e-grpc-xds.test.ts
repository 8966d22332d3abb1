// End to end with a real xDS client: @grpc/grpc-js-xds resolves xds:///greeter through the bridge's
// xDS server and load-balances real grpc-js backends with the endpoints it was given.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { clusterType, endpointType, listenerType, routeType, shortTypeName, type XdsTypeUrl } from "../src/snapshot/index.js";
import { type GrpcBackend, grpcXdsBootstrap, startGrpcBackend, whoAmI } from "./support/grpc-backends.js";
import { useXdsHarness, type XdsHarness } from "./support/xds-harness.js";

describe("proxyless gRPC through the xDS server (grpc-js-xds)", () => {
  const acked: Array<{ typeUrl: XdsTypeUrl; version: string }> = [];
  const waiters: Array<() => void> = [];
  let harness: XdsHarness;
  let backends: GrpcBackend[];
  let client: grpc.Client;

  before(async () => {
    harness = await useXdsHarness({
      closeWithTest: false,
      hooks: {
        onAck: (_stream, typeUrl, version) => {
          acked.push({ typeUrl, version });
          for (const wake of waiters.splice(0)) wake();
        },
      },
    });
    backends = await Promise.all([startGrpcBackend("backend-1"), startGrpcBackend("backend-2")]);
    harness.publish({ greeter: { endpoints: backends.map((b) => b.address) } });
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap(harness.port);
    grpcXds.register();
    client = new grpc.Client("xds:///greeter", grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await Promise.all((backends ?? []).map((backend) => backend.close()));
    await harness?.close();
  });

  /** Resolves once the client acknowledged `version` of `typeUrl`. */
  async function ackedVersion(typeUrl: string, version: string): Promise<void> {
    while (!acked.some((a) => a.typeUrl === typeUrl && a.version === version)) {
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  it("should round-robin RPCs across both backends and ACK all four types", async () => {
    const answers: string[] = [];
    for (let i = 0; i < 20; i++) answers.push(await whoAmI(client));
    const counts = backends.map((b) => answers.filter((a) => a === b.name).length);
    // Round robin starts as soon as one subchannel is ready, so the first call or two may repeat.
    assert.ok(Math.abs(counts[0]! - counts[1]!) <= 2, `round robin spreads calls evenly, got ${counts.join(" / ")}`);
    const tail = answers.slice(-10);
    assert.ok(
      tail.every((answer, i) => i === 0 || answer !== tail[i - 1]),
      `once both are ready, calls alternate: ${tail.join(",")}`,
    );
    const ackedTypes = new Set<string>(acked.map((a) => a.typeUrl));
    for (const typeUrl of [listenerType, routeType, clusterType, endpointType]) {
      assert.ok(ackedTypes.has(typeUrl), `${shortTypeName(typeUrl)} was acknowledged`);
    }
  });

  it("should move all traffic to the remaining backend after an EDS update removes one", async () => {
    harness.publish({ greeter: { endpoints: [backends[1]!.address] } });
    const version = harness.cache.getSnapshot("default")!.get(endpointType).version;
    await ackedVersion(endpointType, version);
    const before = backends[0]!.calls;
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) answers.push(await whoAmI(client));
    assert.deepEqual(new Set(answers), new Set(["backend-2"]));
    assert.equal(backends[0]!.calls, before, "the removed backend gets no more calls");
  });
});
