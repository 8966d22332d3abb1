// Names both real gRPC clients agree on, grpc-js-xds's side: it asks for listener `my%20svc` as
// written in xds:///my%20svc (C-core's side is tests/e2e-ccore-names.test.ts), and the bridge
// resolves it down to endpoints. grpc-js 1.14 then cannot open the connection itself: its transport
// builds `http://my%20svc` from the target, which Node's URL parser rejects ("Invalid URL") — a
// grpc-js limitation for any control plane, asserted here so an upgrade that fixes it shows.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { type Bridge, startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { exitAfterSuite, type GrpcBackend, grpcXdsBootstrap, startGrpcBackend, whoAmI } from "./support/grpc-backends.js";

exitAfterSuite();

describe("a name with a space, through grpc-js-xds", () => {
  let consul: EmbeddedConsul;
  let bridge: Bridge;
  let backend: GrpcBackend;
  let client: grpc.Client;

  before(async () => {
    consul = await createEmbeddedConsul({ port: 0 });
    backend = await startGrpcBackend("spaced-a");
    const response = await fetch(`${consul.url}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({
        Name: "my svc",
        ID: "spaced-a",
        Address: "127.0.0.1",
        Port: backend.port,
        Meta: { "xds-bridge-protocol": "grpc" },
        Check: { TTL: "10m", Status: "passing" },
      }),
    });
    assert.equal(response.status, 200);
    bridge = await startBridge({ consul: { address: consul.url }, xds: { host: "127.0.0.1", port: 0 }, debounceMs: 0 });
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap(bridge.xdsPort, "e2e-grpc-names");
    grpcXds.register();
    client = new grpc.Client("xds:///my%20svc", grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await bridge?.close(1_000);
    // grpc-js's failed connects leave half-open connections a graceful shutdown would wait for.
    backend?.forceClose();
    await consul?.close();
  });

  it("should resolve xds:///my%20svc through all four types, ACKed, down to its endpoint", async () => {
    const error = await whoAmI(client).then(
      () => undefined,
      (failure: grpc.ServiceError) => failure,
    );
    // Resolution reached round_robin over the service's endpoint; only grpc-js's own connect failed.
    assert.ok(error, "grpc-js 1.14 cannot connect to a target holding %XX (if this passes, grpc-js was fixed: assert the answer instead)");
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.match(error.details, /round_robin: .*Invalid URL/);
    const streams = bridge.xdsServer.streams();
    assert.equal(streams.length, 1);
    const types = new Map(streams[0]!.types.map((type) => [type.typeUrl, type]));
    for (const [typeUrl, type] of types) {
      assert.ok(type.sentVersion, `${typeUrl} sent`);
      assert.equal(type.ackedVersion, type.sentVersion, `${typeUrl} ACKed`);
      assert.equal(type.lastNack, undefined, `${typeUrl} never NACKed`);
      const names = streams[0]!.delivered(typeUrl).map((entry) => entry.name);
      assert.deepEqual(names, ["my%20svc"], `${typeUrl}: grpc-js asked for the name as written`);
    }
    assert.equal(types.size, 4);
  });
});
