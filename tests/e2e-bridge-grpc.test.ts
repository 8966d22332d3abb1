// The whole path with a real xDS client: services registered in the embedded Consul catalog →
// bridge → @grpc/grpc-js-xds → real grpc-js backends. Health changes in Consul move real traffic.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { type Bridge, startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { exitAfterSuite, type GrpcBackend, grpcXdsBootstrap, startGrpcBackend, whoAmI } from "./support/grpc-backends.js";

exitAfterSuite();

/** PUTs to the Consul HTTP API as a user would with curl. */
async function put(consul: EmbeddedConsul, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${consul.url}${path}`, { method: "PUT", body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(response.status, 200, `PUT ${path}: ${await response.text()}`);
}

describe("proxyless gRPC through the bridge and Consul (grpc-js-xds)", () => {
  let consul: EmbeddedConsul;
  let bridge: Bridge;
  let local: GrpcBackend[];
  let remote: GrpcBackend;
  let client: grpc.Client;

  before(async () => {
    consul = await createEmbeddedConsul({ port: 0, datacenters: ["dc1", "dc2"] });
    [local, remote] = await Promise.all([Promise.all([startGrpcBackend("dc1-a"), startGrpcBackend("dc1-b")]), startGrpcBackend("dc2-a")]);
    for (const backend of local) {
      await put(consul, "/v1/agent/service/register", {
        Name: "greeter",
        ID: backend.name,
        Address: "127.0.0.1",
        Port: backend.port,
        Meta: { "xds-bridge-protocol": "grpc" },
        Check: { CheckID: `service:${backend.name}`, TTL: "10m", Status: "passing" },
      });
    }
    await put(consul, "/v1/catalog/register", {
      Datacenter: "dc2",
      Node: "dc2-node",
      Address: "127.0.0.1",
      Service: { ID: remote.name, Service: "greeter", Address: "127.0.0.1", Port: remote.port },
      Checks: [{ CheckID: `service:${remote.name}`, Name: "greeter", Status: "passing", ServiceID: remote.name }],
    });
    bridge = await startBridge({
      consul: { address: consul.url, datacenter: "dc1", failoverDatacenters: ["dc2"] },
      xds: { host: "127.0.0.1", port: 0 },
      debounceMs: 0,
    });
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap(bridge.xdsPort, "e2e-bridge");
    grpcXds.register();
    client = new grpc.Client("xds:///greeter", grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await bridge?.close(1_000);
    await Promise.all([...(local ?? []), ...(remote ? [remote] : [])].map((backend) => backend.close()));
    await consul?.close();
  });

  /**
   * Calls until `count` answers in a row come from `expected`; fails after `limitMs` (a guard for a
   * broken build: how fast traffic follows Consul is measured by `npm run bench`, not here).
   */
  async function untilOnly(expected: Set<string>, count = 6, limitMs = 15_000): Promise<void> {
    const started = Date.now();
    let streak = 0;
    while (streak < count) {
      assert.ok(Date.now() - started < limitMs, `traffic did not settle on ${[...expected].join(", ")}`);
      streak = expected.has(await whoAmI(client)) ? streak + 1 : 0;
    }
  }

  it("should balance over both local instances while both pass their checks", async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 12; i++) answers.add(await whoAmI(client));
    assert.deepEqual(answers, new Set(["dc1-a", "dc1-b"]), "only the local datacenter, both instances");
  });

  it("should move traffic off an instance once its check fails, and back when it passes", async () => {
    await put(consul, "/v1/agent/check/fail/service:dc1-a?note=test");
    await untilOnly(new Set(["dc1-b"]));
    const before = local[0]!.calls;
    for (let i = 0; i < 6; i++) assert.equal(await whoAmI(client), "dc1-b");
    assert.equal(local[0]!.calls, before, "the failing instance gets no calls");
    await put(consul, "/v1/agent/check/pass/service:dc1-a");
    await untilOnly(new Set(["dc1-a"]), 1);
  });

  it("should fail over to the next datacenter when every local instance is in maintenance", async () => {
    for (const backend of local) await put(consul, `/v1/agent/service/maintenance/${backend.name}?enable=true&reason=test`);
    await untilOnly(new Set(["dc2-a"]));
    for (const backend of local) await put(consul, `/v1/agent/service/maintenance/${backend.name}?enable=false`);
    await untilOnly(new Set(["dc1-a", "dc1-b"]));
  });
});
