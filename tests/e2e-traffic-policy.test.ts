// Traffic policy from Consul's config entries, end to end with a real proxyless client: entries
// written to the embedded catalog's /v1/config (as `consul config write` does) → bridge →
// @grpc/grpc-js-xds → real grpc-js backends. Shares are counted over hundreds of real calls and
// checked against the binomial spread; every change is awaited through the client's own ACK.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { type Bridge, startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { endpointType, routeType, type XdsTypeUrl } from "../src/snapshot/index.js";
import { exitAfterSuite, type GrpcBackend, grpcXdsBootstrap, startGrpcBackend, whoAmIPath } from "./support/grpc-backends.js";

exitAfterSuite();

const identity = (value: Buffer) => value;

async function consulRequest(consul: EmbeddedConsul, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${consul.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  assert.equal(response.status, 200, `${method} ${path}: ${text}`);
}

/** One WhoAmI call; resolves with the backend's name or the gRPC status code it failed with. */
function call(
  client: grpc.Client,
  metadata: Record<string, string> = {},
): Promise<{ ok: true; backend: string } | { ok: false; code: number }> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve) => {
    client.makeUnaryRequest(whoAmIPath, identity, identity, Buffer.alloc(0), md, { deadline: Date.now() + 5_000 }, (error, value) =>
      resolve(error ? { ok: false, code: error.code ?? -1 } : { ok: true, backend: value!.toString() }),
    );
  });
}

async function tally(client: grpc.Client, n: number, metadata: Record<string, string> = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const outcome = await call(client, metadata);
    const key = outcome.ok ? outcome.backend : `status ${outcome.code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Calls until `count` answers in a row come from `expected`: a client applies a new route at once but
 * may finish moving to clusters it has just started to follow a few calls later. The limit is a
 * failure guard, never a synchronisation.
 */
async function settle(client: grpc.Client, expected: readonly string[], metadata: Record<string, string> = {}, count = 20): Promise<void> {
  const started = Date.now();
  let streak = 0;
  while (streak < count) {
    assert.ok(Date.now() - started < 10_000, `traffic did not settle on ${expected.join(", ")}`);
    const outcome = await call(client, metadata);
    streak = outcome.ok && expected.includes(outcome.backend) ? streak + 1 : 0;
  }
}

/** `count` of `n` is within `z` standard deviations of a binomial(n, p) mean. */
function assertBinomial(count: number, n: number, p: number, what: string, z = 5): void {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(count - mean) <= z * sd, `${what}: ${count} of ${n}, expected ${mean} ± ${Math.ceil(z * sd)} (p = ${p})`);
}

/** A grpc-js backend whose odd-numbered calls fail with UNAVAILABLE. */
function startFlakyBackend(name: string): Promise<GrpcBackend> {
  return startGrpcBackend(name, (call) =>
    call % 2 === 1 ? { code: grpc.status.UNAVAILABLE, details: "flaky", metadata: new grpc.Metadata() } : undefined,
  );
}

const grpcDefaults = (name: string) => ({ Kind: "service-defaults", Name: name, Protocol: "grpc" });
const versions = {
  Kind: "service-resolver",
  Name: "greeter",
  Subsets: { v1: { Filter: "Service.Meta.version == v1" }, v2: { Filter: "Service.Meta.version == v2" } },
};
const split = (v1: number, v2: number) => ({
  Kind: "service-splitter",
  Name: "greeter",
  Splits: [
    { Weight: v1, ServiceSubset: "v1" },
    { Weight: v2, ServiceSubset: "v2" },
  ],
});

describe("traffic policy from config entries, through grpc-js-xds", () => {
  let consul: EmbeddedConsul;
  let bridge: Bridge;
  let backends: GrpcBackend[] = [];
  let flaky: GrpcBackend;
  const clients: grpc.Client[] = [];
  const nacks: string[] = [];
  const ackWaiters: Array<{ typeUrl: XdsTypeUrl; before: string | undefined; resolve: (version: string) => void }> = [];
  const acked = new Map<XdsTypeUrl, string>();
  const followWaiters: Array<{ typeUrl: string; names: string; resolve: () => void }> = [];

  /** Resolves when the client asks for exactly these assignments: it has moved to the clusters a change routes to. */
  function following(names: readonly string[]): Promise<void> {
    return new Promise((resolve) => followWaiters.push({ typeUrl: endpointType, names: [...names].sort().join(","), resolve }));
  }

  /** Resolves when the client ACKs a version of `typeUrl` other than the one it held when this was called. */
  function nextAck(typeUrl: XdsTypeUrl): Promise<string> {
    return new Promise((resolve) => ackWaiters.push({ typeUrl, before: acked.get(typeUrl), resolve }));
  }

  function client(target: string): grpc.Client {
    const created = new grpc.Client(target, grpc.credentials.createInsecure());
    clients.push(created);
    return created;
  }

  async function register(service: string, backend: GrpcBackend, meta: Record<string, string> = {}): Promise<void> {
    await consulRequest(consul, "PUT", "/v1/agent/service/register", {
      Name: service,
      ID: backend.name,
      Address: "127.0.0.1",
      Port: backend.port,
      Meta: meta,
      Check: { CheckID: `service:${backend.name}`, TTL: "10m", Status: "passing" },
    });
  }

  /**
   * Writes an entry (or deletes one: `DELETE <path>`) and waits until the client ACKs the route
   * configuration it changes and, when `clusters` is given, follows exactly those clusters' assignments.
   */
  async function write(entry: unknown, clusters?: readonly string[]): Promise<number> {
    const acknowledged = nextAck(routeType);
    const moved = clusters ? following(clusters) : Promise.resolve();
    const started = Date.now();
    if (typeof entry === "string" && entry.startsWith("DELETE ")) await consulRequest(consul, "DELETE", entry.slice(7));
    else await consulRequest(consul, "PUT", "/v1/config", entry);
    await acknowledged;
    const elapsed = Date.now() - started;
    await moved;
    return elapsed;
  }

  before(async () => {
    consul = await createEmbeddedConsul({ port: 0 });
    backends = await Promise.all(["greeter-v1", "greeter-v2", "primary-1", "backup-1"].map((name) => startGrpcBackend(name)));
    flaky = await startFlakyBackend("flaky-1");
    const [v1, v2, primary, backup] = backends as [GrpcBackend, GrpcBackend, GrpcBackend, GrpcBackend];
    await register("greeter", v1, { version: "v1" });
    await register("greeter", v2, { version: "v2" });
    await register("primary", primary);
    await register("backup", backup);
    await register("flaky", flaky);
    for (const entry of [grpcDefaults("greeter"), grpcDefaults("flaky"), versions, split(90, 10)]) {
      await consulRequest(consul, "PUT", "/v1/config", entry);
    }
    await consulRequest(consul, "PUT", "/v1/config", {
      Kind: "service-resolver",
      Name: "primary",
      Failover: { "*": { Service: "backup" } },
    });
    bridge = await startBridge({
      consul: { address: consul.url, datacenter: "dc1" },
      xds: { host: "127.0.0.1", port: 0 },
      debounceMs: 0,
      xdsHooks: {
        onAck: (_stream, typeUrl, version) => {
          acked.set(typeUrl, version);
          for (const waiter of [...ackWaiters]) {
            if (waiter.typeUrl === typeUrl && waiter.before !== version) {
              ackWaiters.splice(ackWaiters.indexOf(waiter), 1);
              waiter.resolve(version);
            }
          }
        },
        onNack: (_stream, typeUrl, version, message) => nacks.push(`${typeUrl} ${version}: ${message}`),
        onStreamRequest: (_stream, request) => {
          if (!("resourceNames" in request)) return;
          const names = [...request.resourceNames].sort().join(",");
          for (const waiter of [...followWaiters]) {
            if (waiter.typeUrl === request.typeUrl && waiter.names === names) {
              followWaiters.splice(followWaiters.indexOf(waiter), 1);
              waiter.resolve();
            }
          }
        },
      },
    });
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = grpcXdsBootstrap(bridge.xdsPort, "e2e-traffic-policy");
    grpcXds.register();
  });

  after(async () => {
    for (const c of clients) c.close();
    await bridge?.close(1_000);
    await Promise.all([...backends, ...(flaky ? [flaky] : [])].map((backend) => backend.close()));
    await consul?.close();
  });

  it("should split calls 90/10 between the subsets, within binomial tolerance over 500 calls", async () => {
    const greeter = client("xds:///greeter");
    const n = 500;
    const counts = await tally(greeter, n);
    assert.deepEqual(
      [...counts.keys()].filter((k) => k !== "greeter-v1" && k !== "greeter-v2"),
      [],
      "every call answered by a subset",
    );
    assertBinomial(counts.get("greeter-v2") ?? 0, n, 0.1, "greeter-v2's share");
  });

  it("should move the shares within seconds when the split changes while the channel is open", async () => {
    const greeter = client("xds:///greeter");
    await tally(greeter, 5);
    const elapsed = await write(split(50, 50));
    assert.ok(elapsed < 5_000, `the client ACKed the new routes ${elapsed} ms after the write`);
    const n = 400;
    const counts = await tally(greeter, n);
    assertBinomial(counts.get("greeter-v2") ?? 0, n, 0.5, "greeter-v2's share after 50/50");
    await write(split(0, 100), ["greeter:v2"]);
    await settle(greeter, ["greeter-v2"]);
    assert.deepEqual(Object.fromEntries(await tally(greeter, 50)), { "greeter-v2": 50 }, "a 0/100 split sends everything to v2");
  });

  it("should send 100 % to the DefaultSubset when the resolver alone decides", async () => {
    const greeter = client("xds:///greeter");
    await tally(greeter, 3);
    await write("DELETE /v1/config/service-splitter/greeter", ["greeter"]);
    await write({ ...versions, DefaultSubset: "v2" }, ["greeter:v2"]);
    await settle(greeter, ["greeter-v2"]);
    assert.deepEqual(Object.fromEntries(await tally(greeter, 100)), { "greeter-v2": 100 });
    await write({ ...versions, DefaultSubset: "v1" }, ["greeter:v1"]);
    await settle(greeter, ["greeter-v1"]);
    assert.deepEqual(Object.fromEntries(await tally(greeter, 100)), { "greeter-v1": 100 });
  });

  it("should send calls carrying the header to its route's subset only", async () => {
    const greeter = client("xds:///greeter");
    await tally(greeter, 3);
    await write(
      {
        Kind: "service-router",
        Name: "greeter",
        Routes: [{ Match: { HTTP: { Header: [{ Name: "x-canary", Exact: "yes" }] } }, Destination: { ServiceSubset: "v2" } }],
      },
      ["greeter:v1", "greeter:v2"],
    );
    await settle(greeter, ["greeter-v2"], { "x-canary": "yes" });
    assert.deepEqual(Object.fromEntries(await tally(greeter, 100, { "x-canary": "yes" })), { "greeter-v2": 100 });
    assert.deepEqual(Object.fromEntries(await tally(greeter, 100, { "x-canary": "no" })), { "greeter-v1": 100 });
    assert.deepEqual(Object.fromEntries(await tally(greeter, 100)), { "greeter-v1": 100 });
  });

  it("should keep the last good chain, with no NACK, when an entry turns invalid", async () => {
    const greeter = client("xds:///greeter");
    await tally(greeter, 3);
    let published = bridge.publisher.nextPublish();
    // Consul accepts a regex RE2 refuses (it checks none when an entry is written); the bridge must not.
    await consulRequest(consul, "PUT", "/v1/config", {
      Kind: "service-router",
      Name: "greeter",
      Routes: [{ Match: { HTTP: { PathRegex: "/x(?=y)" } }, Destination: { ServiceSubset: "v1" } }],
    });
    while (bridge.publisher.stats().chainsRefused === 0) {
      await published;
      published = bridge.publisher.nextPublish();
    }
    assert.deepEqual(
      Object.fromEntries(await tally(greeter, 50, { "x-canary": "yes" })),
      { "greeter-v2": 50 },
      "the header route still applies",
    );
    assert.deepEqual(nacks, [], "no client rejected anything");
  });

  it("should retry UNAVAILABLE calls when the router says so, and not otherwise", async () => {
    const service = client("xds:///flaky");
    const before = await Promise.all([call(service), call(service)]);
    assert.equal(before.filter((o) => !o.ok).length, 1, `one of two calls fails without retries: ${JSON.stringify(before)}`);
    await write({
      Kind: "service-router",
      Name: "flaky",
      Routes: [{ Match: { HTTP: { PathPrefix: "/" } }, Destination: { NumRetries: 2, RetryOn: ["unavailable"] } }],
    });
    const servedBefore = flaky.calls;
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await call(service));
    assert.deepEqual(
      outcomes.filter((o) => !o.ok),
      [],
      "every call succeeds with retries",
    );
    assert.ok(flaky.calls - servedBefore > 10, `the backend saw the retried attempts too (${flaky.calls - servedBefore} for 10 calls)`);
  });

  it("should fail over to another service when the service has no healthy instance", async () => {
    const primary = client("xds:///primary");
    assert.deepEqual(Object.fromEntries(await tally(primary, 10)), { "primary-1": 10 });
    const failed = nextAck(endpointType);
    await consulRequest(consul, "PUT", "/v1/agent/check/fail/service:primary-1?note=test");
    await failed;
    await settle(primary, ["backup-1"]);
    assert.deepEqual(Object.fromEntries(await tally(primary, 20)), { "backup-1": 20 });
    const passed = nextAck(endpointType);
    await consulRequest(consul, "PUT", "/v1/agent/check/pass/service:primary-1");
    await passed;
    await settle(primary, ["primary-1"]);
    assert.deepEqual(Object.fromEntries(await tally(primary, 20)), { "primary-1": 20 });
  });
});
