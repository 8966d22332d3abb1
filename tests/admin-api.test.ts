// The admin port as operators use it with curl: DumpConfig per node (what that node was sent, with
// the versions ListClients shows), clear errors for bad requests, and an index of every endpoint.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { type Bridge, startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { AdminService } from "../src/gen/consulxdsbridge/admin/v1/admin_pb.js";
import { clusterType, endpointType } from "../src/snapshot/index.js";
import type { XdsServerHooks } from "../src/xds/index.js";
import { RawXdsClient, responseAssignments } from "./support/raw-xds-client.js";

type TestContext = { after: (fn: () => Promise<unknown> | undefined) => void };

async function register(consul: EmbeddedConsul, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${consul.url}/v1/agent/service/register`, { method: "PUT", body: JSON.stringify(body) });
  assert.equal(response.status, 200);
}

/** An embedded catalog with web (web-1, web-2) and web-api (one instance), and a bridge reading it. */
async function bridgeWithWeb(t: TestContext, hooks?: XdsServerHooks): Promise<{ consul: EmbeddedConsul; bridge: Bridge; admin: string }> {
  const consul = await createEmbeddedConsul({ port: 0 });
  t.after(() => consul.close());
  for (const [id, name, address] of [
    ["web-1", "web", "10.0.0.1"],
    ["web-2", "web", "10.0.0.2"],
    ["web-api-1", "web-api", "10.0.0.3"],
  ] as const) {
    await register(consul, { ID: id, Name: name, Address: address, Port: 8080, Check: { TTL: "60s", Status: "passing" } });
  }
  const bridge = await startBridge({
    consul: { address: consul.url, prefix: "web" },
    xds: { host: "127.0.0.1", port: 0 },
    admin: { host: "127.0.0.1", port: 0 },
    debounceMs: 0,
    xdsHooks: hooks,
  });
  t.after(() => bridge.close(1_000));
  return { consul, bridge, admin: `http://127.0.0.1:${bridge.adminPort}` };
}

function openClient(t: TestContext, bridge: Bridge, nodeId: string): RawXdsClient {
  const client = RawXdsClient.open({ baseUrl: `http://127.0.0.1:${bridge.xdsPort}`, node: { id: nodeId, cluster: "edge" } });
  t.after(() => client.close());
  return client;
}

/** POSTs JSON to an AdminService method as curl would; returns the status and parsed body. */
async function rpc<T = Record<string, unknown>>(admin: string, method: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${admin}/consulxdsbridge.admin.v1.AdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

type TypeConfigJson = {
  typeUrl: string;
  shortName?: string;
  version?: string;
  versionAcked?: string;
  awaitingAck?: boolean;
  names?: string[];
  missing?: string[];
  resources?: Array<{ "@type": string; name?: string; clusterName?: string }>;
};
type DumpJson = { clientKind?: string; nodeId?: string; types?: TypeConfigJson[] };
type ClientsJson = { clients: Array<{ nodeId: string; types: Array<{ shortName: string; versionSent?: string; versionAcked?: string }> }> };

/** Resolves on the server's ACK of `version` (so the admin API has seen it). */
function ackEvents() {
  const acked = new Set<string>();
  const waiters: Array<() => void> = [];
  const hooks: XdsServerHooks = {
    onAck: (_stream, _typeUrl, version) => {
      acked.add(version);
      for (const wake of waiters.splice(0)) wake();
    },
  };
  const acknowledged = async (version: string) => {
    while (!acked.has(version)) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { hooks, acknowledged };
}

describe("DumpConfig", () => {
  it("should return what one node was sent and acknowledged, with the versions ListClients shows", async (t) => {
    const events = ackEvents();
    const { consul, bridge, admin } = await bridgeWithWeb(t, events.hooks);
    const edge = openClient(t, bridge, "edge-1");
    const other = openClient(t, bridge, "cds-only");
    edge.subscribe(clusterType);
    const clusters = await edge.next();
    edge.ack(clusters);
    edge.subscribe(endpointType, ["web"]);
    const endpoints = await edge.next();
    edge.ack(endpoints, ["web"]);
    other.subscribe(clusterType);
    other.ack(await other.next());
    await events.acknowledged(endpoints.versionInfo);

    // web-2 fails: the node is sent a new assignment and has not acknowledged it yet.
    assert.equal((await fetch(`${consul.url}/v1/agent/check/fail/service:web-2`, { method: "PUT" })).status, 200);
    const update = await edge.next();
    assert.equal(responseAssignments(update)[0]!.endpoints[0]!.lbEndpoints.length, 1);

    const dump = await rpc<DumpJson>(admin, "DumpConfig", { nodeId: "edge-1" });
    assert.equal(dump.status, 200, JSON.stringify(dump.body));
    assert.equal(dump.body.nodeId, "edge-1");
    assert.equal(dump.body.clientKind, "envoy");
    assert.deepEqual(
      dump.body.types!.map((type) => type.shortName),
      ["CDS", "EDS"],
      "only the types the node asked for",
    );
    const [cds, eds] = dump.body.types!;
    assert.equal(cds!.version, clusters.versionInfo);
    assert.equal(cds!.versionAcked, clusters.versionInfo);
    assert.deepEqual(cds!.names, ["web", "web-api"]);
    assert.deepEqual(
      cds!.resources!.map((r) => r.name),
      ["web", "web-api"],
    );
    assert.equal(eds!.version, update.versionInfo, "the version last sent");
    assert.equal(eds!.versionAcked, endpoints.versionInfo, "the version the node still runs");
    assert.equal(eds!.awaitingAck, true);
    assert.deepEqual(eds!.names, ["web"], "only the name it subscribed to");
    assert.deepEqual(
      eds!.resources!.map((r) => r.clusterName),
      ["web"],
    );

    const clients = await rpc<ClientsJson>(admin, "ListClients", {});
    const listed = clients.body.clients.find((c) => c.nodeId === "edge-1")!;
    for (const type of dump.body.types!) {
      const state = listed.types.find((x) => x.shortName === type.shortName)!;
      assert.equal(type.version, state.versionSent, `${type.shortName}: the version ListClients shows`);
      assert.equal(type.versionAcked, state.versionAcked);
    }

    const cdsOnly = await rpc<DumpJson>(admin, "DumpConfig", { nodeId: "cds-only" });
    assert.deepEqual(
      cdsOnly.body.types!.map((type) => type.shortName),
      ["CDS"],
    );
    // The client-kind dump is the whole served snapshot: every type, every assignment.
    const kind = await rpc<DumpJson>(admin, "DumpConfig", { clientKind: "envoy" });
    assert.equal(kind.status, 200);
    const kindEds = kind.body.types!.find((type) => type.typeUrl === endpointType)!;
    assert.deepEqual(kindEds.resources!.map((r) => r.clusterName).sort(), ["web", "web-api"]);
  });

  it("should answer invalid_argument for an unknown client kind, and not_found for a node that is not connected", async (t) => {
    const { admin } = await bridgeWithWeb(t);
    const unknown = await rpc<{ code: string; message: string }>(admin, "DumpConfig", { clientKind: "foo" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, "invalid_argument");
    assert.equal(unknown.body.message, 'unknown client kind "foo": expected envoy or grpc');
    const neither = await rpc<{ code: string; message: string }>(admin, "DumpConfig", {});
    assert.equal(neither.body.code, "invalid_argument");
    assert.match(neither.body.message, /give nodeId .* or clientKind/);
    const absent = await rpc<{ code: string; message: string }>(admin, "DumpConfig", { nodeId: "nobody" });
    assert.equal(absent.status, 404);
    assert.equal(absent.body.code, "not_found");
    assert.equal(absent.body.message, 'no connected client has node id "nobody" (no client is connected)');
  });
});

describe("the admin port's index and error answers", () => {
  it("should list every endpoint and admin method on GET /, each with an example that works as printed", async (t) => {
    const { admin } = await bridgeWithWeb(t);
    const index = await (await fetch(`${admin}/`)).text();
    for (const path of ["/ui", "/ui/state", "/ui/events", "/metrics", "/healthz", "/readyz"]) {
      assert.match(index, new RegExp(`^  ${path.replaceAll("/", "\\/")} +\\S`, "m"), `GET / lists ${path}`);
    }
    for (const method of AdminService.methods) {
      assert.match(index, new RegExp(`^  ${method.name} +\\S`, "m"), `GET / lists ${method.name}`);
    }
    // Every curl line runs as printed (the index names the address the caller used).
    const curls = index.split("\n").filter((line) => line.trim().startsWith("curl ") && !line.includes("/ui/events"));
    assert.equal(curls.length, 4 + AdminService.methods.length, "/ui/state, /metrics, /healthz, /readyz and every method");
    for (const command of curls) {
      // Asynchronously: the bridge answering it runs in this process.
      const result = await promisify(execFile)("sh", ["-c", `${command.trim()} -o /dev/null -w '%{http_code}'`], { encoding: "utf8" });
      // The DumpConfig example names a node that is not connected here: a well-formed request answered
      // not_found; ConfirmWithdrawal's, a hold when none is held: failed_precondition.
      const expected = command.includes("DumpConfig") ? "404" : command.includes("ConfirmWithdrawal") ? "400" : "200";
      assert.equal(result.stdout, expected, `${command.trim()} → ${result.stdout} ${result.stderr}`);
    }
  });

  it("should answer a wrong method or content type with what to send instead", async (t) => {
    const { admin } = await bridgeWithWeb(t);
    const rpcPath = `${admin}/consulxdsbridge.admin.v1.AdminService/ListClients`;
    const get = await fetch(rpcPath);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.match(
      await get.text(),
      /takes POST with a JSON body, e\.g\.\n {2}curl -s -H 'content-type: application\/json' -d '\{\}' http:\/\/127\.0\.0\.1:\d+\/consulxdsbridge/,
    );
    // What `curl -d '{}'` sends without -H: a form content type.
    const form = await fetch(rpcPath, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "{}" });
    assert.equal(form.status, 415);
    assert.match(await form.text(), /was sent content-type "application\/x-www-form-urlencoded": send content-type application\/json/);
    const post = await fetch(`${admin}/metrics`, { method: "POST", body: "" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    assert.match(await post.text(), /\/metrics answers GET only/);
    const unknown = await fetch(`${admin}/consulxdsbridge.admin.v1.AdminService/Nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /no admin method "Nope": the methods are ListClients, DumpConfig, GetSyncStatus, ListChanges/);
    const missing = await fetch(`${admin}/nowhere`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /GET \/ lists every endpoint/);
  });
});

describe("ListChanges", () => {
  it("should return the change log's recent records, newest last, filtered by service", async (t) => {
    const { consul, bridge, admin } = await bridgeWithWeb(t);
    await new Promise<void>((resolve) => {
      if (bridge.cache.getSnapshot("envoy")) return resolve();
      const stop = bridge.cache.onPublish(() => {
        stop();
        resolve();
      });
    });
    const recorded = new Promise<void>((resolve) => bridge.changeLog.onRecords(() => resolve()));
    assert.equal((await fetch(`${consul.url}/v1/agent/check/fail/service:web-2`, { method: "PUT" })).status, 200);
    await recorded;
    type ChangesJson = {
      changes?: Array<{ seq: string; service: string; instance: string; kind: string; from: string; to: string; message: string }>;
    };
    const all = await rpc<ChangesJson>(admin, "ListChanges", {});
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.changes!.map((c) => [c.service, c.instance, c.kind, c.from, c.to]),
      [["web", "web-2", "critical", "passing", "critical"]],
    );
    assert.match(all.body.changes![0]!.message, /^web-2 of web: passing → critical/);
    const other = await rpc<ChangesJson>(admin, "ListChanges", { service: "web-api" });
    assert.deepEqual(other.body.changes ?? [], []);
    const after = await rpc<ChangesJson>(admin, "ListChanges", { afterSeq: all.body.changes![0]!.seq });
    assert.deepEqual(after.body.changes ?? [], []);
  });
});
