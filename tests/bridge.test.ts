// The whole bridge in process: embedded Consul → watcher → model → publisher → xDS server, plus
// the admin port, the gRPC health service, CSDS and TLS on the xDS port.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { type Bridge, type BridgeConfig, startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { ClientResourceStatus } from "../src/gen/envoy/admin/v3/config_dump_shared_pb.js";
import { ClientStatusDiscoveryService, ConfigStatus } from "../src/gen/envoy/service/status/v3/csds_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../src/gen/grpc/health/v1/health_pb.js";
import { clusterType, endpointType } from "../src/snapshot/index.js";
import type { XdsServerHooks } from "../src/xds/index.js";
import { RawXdsClient, responseAssignments, responseNames } from "./support/raw-xds-client.js";
import { createTestPki } from "./support/test-pki.js";

type TestContext = { after: (fn: () => Promise<unknown> | undefined) => void };

/** Registers web-1 and web-2 with passing TTL checks through the agent API. */
async function registerWeb(consul: EmbeddedConsul): Promise<void> {
  for (const [id, address] of [
    ["web-1", "10.0.0.1"],
    ["web-2", "10.0.0.2"],
  ]) {
    const response = await fetch(`${consul.url}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({ Name: "web", ID: id, Address: address, Port: 8080, Check: { TTL: "60s", Status: "passing" } }),
    });
    assert.equal(response.status, 200);
  }
}

/** Starts a bridge on free ports against `consul`; both are closed when the test ends. */
async function bridgeOn(
  t: TestContext,
  consul: EmbeddedConsul,
  config: Partial<BridgeConfig> = {},
  hooks?: XdsServerHooks,
): Promise<Bridge> {
  const bridge = await startBridge({
    consul: { address: consul.url, prefix: "web", timing: { backoff: { baseMs: 20, maxMs: 50 } }, ...config.consul },
    xds: { host: "127.0.0.1", port: 0, ...config.xds },
    admin: { host: "127.0.0.1", port: 0 },
    debounceMs: 0,
    xdsHooks: hooks,
  });
  t.after(() => bridge.close(1_000));
  return bridge;
}

/** Resolves once the bridge has published configuration for Envoy clients. */
function whenPublished(bridge: Bridge): Promise<void> {
  if (bridge.cache.getSnapshot("envoy")) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = bridge.cache.onPublish(() => {
      stop();
      resolve();
    });
  });
}

function openClient(t: TestContext, bridge: Bridge, nodeId: string, tls?: { ca: string; cert?: string; key?: string }): RawXdsClient {
  const client = RawXdsClient.open({
    baseUrl: `${tls ? "https" : "http"}://${tls ? "localhost" : "127.0.0.1"}:${bridge.xdsPort}`,
    node: { id: nodeId, cluster: "edge" },
    ...(tls ? { tls } : {}),
  });
  t.after(() => client.close());
  return client;
}

/** Calls `wake` whenever a hook fires, so a test can wait on server events. */
function hookEvents() {
  const acks: Array<{ typeUrl: string; version: string }> = [];
  const nacks: string[] = [];
  let waiters: Array<() => void> = [];
  const wakeAll = () => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const hooks: XdsServerHooks = {
    onAck: (_stream, typeUrl, version) => {
      acks.push({ typeUrl, version });
      wakeAll();
    },
    onNack: (_stream, _typeUrl, _version, message) => {
      nacks.push(message);
      wakeAll();
    },
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { hooks, acks, nacks, until };
}

/** The value of one sample in Prometheus text, e.g. metric('x_total{type="CDS"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the bridge, assembled", () => {
  it("should move the expected metrics after a scripted scenario", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    await registerWeb(consul);
    const events = hookEvents();
    const bridge = await bridgeOn(t, consul, {}, events.hooks);
    // Connect after the initial publish, so that only the change below counts as change-to-ACK.
    await whenPublished(bridge);
    const envoy = openClient(t, bridge, "envoy-1");
    const rejecting = openClient(t, bridge, "envoy-2");
    envoy.subscribe(clusterType);
    rejecting.subscribe(clusterType);
    envoy.ack(await envoy.next());
    rejecting.nack(await rejecting.next(), "rejected for the test");
    envoy.subscribe(endpointType, ["web"]);
    const firstEds = await envoy.next();
    assert.equal(responseAssignments(firstEds)[0]!.endpoints[0]!.lbEndpoints.length, 2);
    envoy.ack(firstEds, ["web"]);

    // A Consul change: web-2's check fails; the new assignment reaches the client, which ACKs it.
    assert.equal((await fetch(`${consul.url}/v1/agent/check/fail/service:web-2`, { method: "PUT" })).status, 200);
    const update = await envoy.next();
    assert.equal(responseAssignments(update)[0]!.endpoints[0]!.lbEndpoints.length, 1);
    envoy.ack(update, ["web"]);
    await events.until(() => events.acks.some((a) => a.version === update.versionInfo));

    const metrics = await (await fetch(`http://127.0.0.1:${bridge.adminPort}/metrics`)).text();
    const p = "consul_xds_bridge_";
    assert.equal(sample(metrics, `${p}xds_streams{stream_type="ADS",client_kind="envoy"}`), 2);
    assert.equal(sample(metrics, `${p}xds_responses_total{type="CDS"}`), 2);
    assert.equal(sample(metrics, `${p}xds_responses_total{type="EDS"}`), 2);
    assert.equal(sample(metrics, `${p}xds_acks_total{type="EDS"}`), 2);
    assert.equal(sample(metrics, `${p}xds_nacks_total{type="CDS"}`), 1);
    assert.equal(sample(metrics, `${p}xds_change_to_ack_seconds_count{type="EDS"}`), 1, "the change after connecting is measured once");
    assert.ok(sample(metrics, `${p}consul_requests_total{endpoint="health-service",outcome="ok"}`)! >= 2);
    assert.ok(sample(metrics, `${p}consul_request_duration_seconds_count{endpoint="health-service",outcome="ok"}`)! >= 2);
    assert.equal(sample(metrics, `${p}model_services`), 1);
    assert.equal(sample(metrics, `${p}model_instances`), 2);
    assert.equal(sample(metrics, `${p}ready`), 1);
    assert.equal(sample(metrics, `${p}config_entries_enabled`), 1, "the catalog answers /v1/config");
    assert.equal(sample(metrics, `${p}config_entries`), 0);
    assert.ok(sample(metrics, `${p}consul_requests_total{endpoint="config-entries",outcome="ok"}`)! >= 5, "one read per kind");
    assert.equal(sample(metrics, `${p}consul_sync_staleness_seconds`), 0);
    assert.ok(sample(metrics, `${p}snapshots_published_total{client_kind="envoy"}`)! >= 2);
  });

  it("should give config only to clients with a certificate from the client CA (mutual TLS)", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    await registerWeb(consul);
    const pki = await createTestPki();
    const server = await pki.issue("bridge");
    const trusted = await pki.issue("envoy-1");
    const otherPki = await createTestPki("some other CA");
    const stranger = await otherPki.issue("envoy-2");
    const bridge = await bridgeOn(t, consul, { xds: { host: "127.0.0.1", port: 0, tls: { ...server, clientCa: pki.ca.cert } } });

    const withCert = openClient(t, bridge, "envoy-1", { ca: pki.ca.cert, ...trusted });
    withCert.subscribe(clusterType);
    assert.deepEqual(responseNames(await withCert.next()), ["web"]);

    const withoutCert = openClient(t, bridge, "anonymous", { ca: pki.ca.cert });
    withoutCert.subscribe(clusterType);
    assert.ok(await withoutCert.ended, "a client without a certificate is refused");

    const foreign = openClient(t, bridge, "envoy-2", { ca: pki.ca.cert, ...stranger });
    foreign.subscribe(clusterType);
    assert.ok(await foreign.ended, "a certificate from another CA is refused");
  });

  it("should report NOT_SERVING until the initial sync, then SERVING, and hold config until then", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    await registerWeb(consul);
    await consul.stop();
    const bridge = await bridgeOn(t, consul);
    const sessions = new Http2SessionManager(`http://127.0.0.1:${bridge.xdsPort}`);
    t.after(() => sessions.abort());
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${bridge.xdsPort}`, sessionManager: sessions }));
    assert.equal((await health.check({ service: "" })).status, Serving.NOT_SERVING);
    const client = openClient(t, bridge, "early");
    client.subscribe(clusterType);

    const statuses: Serving[] = [];
    const abort = new AbortController();
    t.after(() => abort.abort());
    const watching = (async () => {
      for await (const answer of health.watch(
        { service: "envoy.service.discovery.v3.AggregatedDiscoveryService" },
        { signal: abort.signal },
      )) {
        statuses.push(answer.status);
        if (answer.status === Serving.SERVING) return;
      }
    })();
    await consul.start();
    await watching;
    assert.deepEqual(statuses, [Serving.NOT_SERVING, Serving.SERVING]);
    assert.deepEqual(responseNames(await client.next()), ["web"], "the first answer is the synced state, not an empty one");
    await assert.rejects(health.check({ service: "no.such.Service" }), /unknown service/);
  });

  it("should report each client's resources in CSDS and dump config as Envoy JSON on the admin API", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    await registerWeb(consul);
    const events = hookEvents();
    const bridge = await bridgeOn(t, consul, {}, events.hooks);
    const good = openClient(t, bridge, "good-node");
    const bad = openClient(t, bridge, "bad-node");
    good.subscribe(clusterType);
    bad.subscribe(clusterType);
    const first = await good.next();
    good.ack(first);
    bad.nack(await bad.next(), "no thanks");
    await events.until(() => events.acks.length === 1 && events.nacks.length === 1);
    const sessions = new Http2SessionManager(`http://127.0.0.1:${bridge.xdsPort}`);
    t.after(() => sessions.abort());
    const csds = createClient(
      ClientStatusDiscoveryService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${bridge.xdsPort}`, sessionManager: sessions }),
    );
    const answer = await csds.fetchClientStatus({});
    const byNode = new Map(answer.config.map((c) => [c.node!.id, c.genericXdsConfigs]));
    assert.deepEqual([...byNode.keys()].sort(), ["bad-node", "good-node"]);
    const [goodWeb] = byNode.get("good-node")!;
    assert.equal(goodWeb!.name, "web");
    assert.equal(goodWeb!.typeUrl, clusterType);
    assert.equal(goodWeb!.versionInfo, first.versionInfo);
    assert.equal(goodWeb!.configStatus, ConfigStatus.SYNCED);
    assert.equal(goodWeb!.xdsConfig?.typeUrl, clusterType);
    const [badWeb] = byNode.get("bad-node")!;
    assert.equal(badWeb!.clientStatus, ClientResourceStatus.NACKED);
    assert.equal(badWeb!.errorState?.details, "no thanks");
    const filtered = await csds.fetchClientStatus({
      nodeMatchers: [{ nodeId: { matchPattern: { case: "prefix", value: "good" } } }],
      excludeResourceContents: true,
    });
    assert.deepEqual(
      filtered.config.map((c) => c.node!.id),
      ["good-node"],
    );
    assert.equal(filtered.config[0]!.genericXdsConfigs[0]!.xdsConfig, undefined);

    const dump = await fetch(`http://127.0.0.1:${bridge.adminPort}/consulxdsbridge.admin.v1.AdminService/DumpConfig`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ nodeId: "good-node" }),
    });
    assert.equal(dump.status, 200);
    const config = (await dump.json()) as {
      clientKind: string;
      types: Array<{ typeUrl: string; resources?: Array<Record<string, unknown>> }>;
    };
    assert.equal(config.clientKind, "envoy");
    const clusters = config.types.find((x) => x.typeUrl === clusterType)!.resources!;
    assert.equal(clusters[0]!["@type"], clusterType);
    assert.equal(clusters[0]!.name, "web");
  });
});
