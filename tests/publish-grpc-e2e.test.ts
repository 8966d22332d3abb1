// End to end with a real proxyless client: model → publisher → cache → xDS server → grpc-js-xds
// channel on `xds:///web` → real gRPC backends. A failed check moves traffic within a second; the
// local datacenter in maintenance moves it to the failover datacenter. (The model is fed directly
// here; the same flow through Consul watchers and the embedded catalog belongs with those parts.)
// Run with --test-force-exit: after a failover, grpc-js-xds's priority balancer keeps a ref'd
// 15-minute retention timer (load-balancer-priority.js) that no public API cancels.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { ServiceModel } from "../src/model/service-model.js";
import { createSnapshotPublisher, type SnapshotPublisher } from "../src/publish/index.js";
import { listenXds, type XdsListener, XdsServer } from "../src/xds/index.js";
import { type EntrySpec, instance } from "./support/consul-entries.js";
import { exitAfterSuite } from "./support/grpc-backends.js";

exitAfterSuite();

const method = "/e2e.Who/Am";
const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

/** A gRPC backend answering `method` with its own name. */
async function startBackend(name: string): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(
    {
      whoami: {
        path: method,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw.serialize,
        requestDeserialize: raw.deserialize,
        responseSerialize: raw.serialize,
        responseDeserialize: raw.deserialize,
      },
    },
    { whoami: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, server };
}

describe("proxyless gRPC end to end", () => {
  const backends = new Map<string, { port: number; server: grpc.Server }>();
  const model = new ServiceModel({ localDatacenter: "dc1", failoverDatacenters: ["dc2"] });
  let publisher: SnapshotPublisher;
  let listener: XdsListener;
  let client: grpc.Client;

  const entry = (name: string, extra: Partial<EntrySpec> = {}): EntrySpec => ({
    service: "web",
    id: `web-${name}`,
    node: `node-${name}`,
    address: "127.0.0.1",
    port: backends.get(name)!.port,
    ...extra,
  });
  const setDc1 = (a: Partial<EntrySpec>, b: Partial<EntrySpec>) =>
    model.setService("dc1", "web", [instance(entry("a", a)), instance(entry("b", b))]);

  /** Calls the service once; resolves with the backend's name. */
  const call = () =>
    new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(method, raw.serialize, raw.deserialize, Buffer.alloc(0), { deadline: Date.now() + 2000 }, (error, reply) =>
        error ? reject(error) : resolve(reply!.toString()),
      ),
    );

  /**
   * Calls in windows of `calls` until `accept` holds for one window; fails after `limitMs` (a guard
   * for a broken build, not a speed figure: how fast clients follow is measured by `npm run bench`).
   */
  async function until(accept: (seen: Set<string>) => boolean, calls = 10, limitMs = 15_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      const seen = new Set<string>();
      for (let i = 0; i < calls; i++) seen.add(await call().catch((e: Error) => `error: ${e.message}`));
      if (accept(seen)) return;
      if (Date.now() - started > limitMs) assert.fail(`not reached within ${limitMs} ms; last calls saw ${[...seen].join(", ")}`);
    }
  }

  before(async () => {
    for (const name of ["a", "b", "c"]) backends.set(name, await startBackend(name));
    publisher = createSnapshotPublisher({ model, debounceMs: 0 });
    const server = new XdsServer({ cache: publisher.cache });
    listener = await listenXds({
      host: "127.0.0.1",
      port: 0,
      routes: (router) => server.registerRoutes(router),
      endStreams: () => server.endStreams(),
    });
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${listener.port}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
      node: { id: "e2e-client", locality: {} },
    });
    const xds = (await import("@grpc/grpc-js-xds")) as unknown as { register(): void };
    xds.register();
    setDc1({}, {});
    model.setService("dc2", "web", [instance(entry("c", { datacenter: "dc2" }))]);
    model.markSynced();
    await publisher.nextPublish();
    client = new grpc.Client("xds:///web", grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    publisher?.close();
    await listener?.close(100);
    for (const { server } of backends.values()) server.forceShutdown();
  });

  it("should balance over both local instances", async () => {
    await until((seen) => seen.has("a") && seen.has("b") && seen.size === 2);
  });

  it("should move traffic off an instance once its check fails", async () => {
    setDc1({ status: "critical" }, {});
    await publisher.nextPublish();
    await until((seen) => seen.size === 1 && seen.has("b"));
  });

  it("should fail over to the failover datacenter when the local instances are in maintenance", async () => {
    setDc1({ status: "critical" }, { maintenance: "service" });
    await publisher.nextPublish();
    await until((seen) => seen.size === 1 && seen.has("c"));
  });

  it("should come back to the local datacenter once it recovers", async () => {
    setDc1({}, {});
    await until((seen) => !seen.has("c") && seen.has("a") && seen.has("b"));
  });
});
