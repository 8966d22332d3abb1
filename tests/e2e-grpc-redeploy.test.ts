// A redeploy seen by @grpc/grpc-js-xds: a service's only instance deregisters and registers again
// in the embedded Consul catalog. The bridge keeps the vanished service's resources with no
// endpoints, so the channel fails fast with UNAVAILABLE meanwhile and recovers on the same channel
// with one EDS update.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { type Bridge, startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { endpointType, listenerType } from "../src/snapshot/index.js";
import { exitAfterSuite, type GrpcBackend, grpcXdsBootstrap, startGrpcBackend, whoAmI } from "./support/grpc-backends.js";

// An emptied assignment starts grpc-js-xds's priority retention timer, which nothing can cancel.
exitAfterSuite();

async function put(consul: EmbeddedConsul, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${consul.url}${path}`, { method: "PUT", body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(response.status, 200, `PUT ${path}: ${await response.text()}`);
}

/** The outcome of one call: the backend's name, or the gRPC status code and details. */
async function callOnce(client: grpc.Client): Promise<{ ok: true; backend: string } | { ok: false; code: number; details: string }> {
  try {
    return { ok: true, backend: await whoAmI(client, 1_000) };
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    return { ok: false, code, details };
  }
}

describe("a redeploy through the bridge with grpc-js-xds", () => {
  let consul: EmbeddedConsul;
  let bridge: Bridge;
  let backend: GrpcBackend;
  let client: grpc.Client;
  const register = () =>
    put(consul, "/v1/agent/service/register", {
      Name: "redeploy",
      ID: "redeploy-1",
      Address: "127.0.0.1",
      Port: backend.port,
      Check: { CheckID: "service:redeploy-1", TTL: "10m", Status: "passing" },
    });

  before(async () => {
    consul = await createEmbeddedConsul({ port: 0 });
    backend = await startGrpcBackend("redeploy-1");
    await register();
    bridge = await startBridge({ consul: { address: consul.url }, xds: { host: "127.0.0.1", port: 0 }, debounceMs: 0 });
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap(bridge.xdsPort, "grpc-redeploy");
    grpcXds.register();
    client = new grpc.Client("xds:///redeploy", grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await bridge?.close(1_000);
    await backend?.close();
    await consul?.close();
  });

  /** Calls until `done` holds for the latest outcome; fails after `limitMs` with the last outcomes. */
  async function callUntil(done: (outcome: Awaited<ReturnType<typeof callOnce>>) => boolean, limitMs: number) {
    const started = Date.now();
    const outcomes: Array<Awaited<ReturnType<typeof callOnce>>> = [];
    for (;;) {
      const outcome = await callOnce(client);
      outcomes.push(outcome);
      if (done(outcome)) return outcomes;
      assert.ok(Date.now() - started < limitMs, `not within ${limitMs} ms; the last outcomes: ${JSON.stringify(outcomes.slice(-3))}`);
    }
  }

  it("should fail fast while the only instance is gone, then recover on the same channel within 2 s of re-registration", async () => {
    await callUntil((o) => o.ok, 15_000);

    await put(consul, "/v1/agent/service/deregister/redeploy-1");
    const gone = await callUntil((o) => !o.ok, 15_000);
    const failed = gone.at(-1)!;
    assert.ok(!failed.ok && failed.code === grpc.status.UNAVAILABLE, JSON.stringify(failed));
    const served = bridge.cache.getSnapshot("grpc")!;
    assert.ok(served.get(listenerType).resources.has("redeploy"), "the listener is still served");
    assert.equal(served.get(endpointType).resources.has("redeploy"), true, "with its assignment, now empty");

    const registered = Date.now();
    await register();
    const recovering = await callUntil((o) => o.ok && o.backend === "redeploy-1", 2_000);
    assert.ok(Date.now() - registered < 2_000, `recovered ${Date.now() - registered} ms after re-registration`);
    for (const outcome of recovering.filter((o) => !o.ok)) {
      assert.ok(!outcome.ok && outcome.code === grpc.status.UNAVAILABLE, `fails fast, never waits: ${JSON.stringify(outcome)}`);
    }
  });
});
