// Provenance: every published version remembers the Consul answers it came from (the index per
// datacenter, and when the oldest answer it carries a change from arrived); the model keeps it with
// each state, the publisher stamps it on the versions it makes, and status, DumpConfig and CSDS show it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { startBridge } from "../src/bridge/start-bridge.js";
import { createEmbeddedConsul } from "../src/embedded-consul/index.js";
import { ClientStatusDiscoveryService } from "../src/gen/envoy/service/status/v3/csds_pb.js";
import { provenanceOf as combine } from "../src/model/provenance.js";
import { ServiceModel } from "../src/model/service-model.js";
import { createSnapshotPublisher } from "../src/publish/index.js";
import { endpointType, provenanceOf } from "../src/snapshot/index.js";
import type { XdsServerHooks } from "../src/xds/index.js";
import { instance } from "./support/consul-entries.js";
import { RawXdsClient, responseAssignments } from "./support/raw-xds-client.js";

const web = (status: "passing" | "critical" = "passing") => [instance({ service: "web", node: "n1", nodeAddress: "10.0.0.1", status })];

describe("provenanceOf() (model)", () => {
  it("should take the newest index per datacenter and the oldest answer", () => {
    const provenance = combine([
      { datacenter: "dc1", origin: { index: 10, at: 5_000 } },
      { datacenter: "dc1", origin: { index: 12, at: 6_000 } },
      { datacenter: "dc2", origin: { index: 3, at: 4_000 } },
    ]);
    assert.deepEqual(provenance, { consulIndex: { dc1: 12, dc2: 3 }, answeredAt: 4_000 });
    assert.equal(combine([]), undefined);
  });
});

describe("provenance through the model and the publisher", () => {
  it("should keep a state's origin until its content changes, and stamp each new version with its publish's", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    const changes: unknown[] = [];
    model.onChange((change) => changes.push(change.origin));
    model.setService("dc1", "web", web(), { index: 7, at: 1_000 });
    assert.deepEqual(model.view().services.get("web")!.get("dc1")!.origin, { index: 7, at: 1_000 });
    assert.equal(model.setService("dc1", "web", web(), { index: 8, at: 2_000 }), false, "same content: no change");
    assert.deepEqual(model.view().services.get("web")!.get("dc1")!.origin, { index: 7, at: 1_000 }, "the answer that brought it stays");
    assert.deepEqual(changes, [{ datacenter: "dc1", origin: { index: 7, at: 1_000 } }]);

    const publisher = createSnapshotPublisher({ model, debounceMs: 0 });
    model.markSynced();
    const first = await publisher.nextPublish();
    assert.deepEqual(first.provenance, { consulIndex: { dc1: 7 }, answeredAt: 1_000 });
    const firstEndpoints = publisher.cache.getSnapshot("envoy")!.get(endpointType);
    assert.deepEqual(provenanceOf(firstEndpoints), first.provenance);

    model.setService("dc1", "web", web("critical"), { index: 9, at: 3_000 });
    const second = await publisher.nextPublish();
    assert.deepEqual(second.provenance, { consulIndex: { dc1: 9 }, answeredAt: 3_000 });
    const endpoints = publisher.cache.getSnapshot("grpc")!.get(endpointType);
    assert.notEqual(endpoints, firstEndpoints);
    assert.deepEqual(provenanceOf(endpoints), second.provenance);
    assert.deepEqual(provenanceOf(firstEndpoints), first.provenance, "an older version keeps its own");
    publisher.close();
  });
});

describe("provenance as operators see it", () => {
  it("should show the Consul index and answer time of what a client was sent in ListClients, DumpConfig and CSDS", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    const register = await fetch(`${consul.url}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({ ID: "web-1", Name: "web", Address: "10.0.0.1", Port: 8080, Check: { TTL: "60s", Status: "passing" } }),
    });
    assert.equal(register.status, 200);
    const acked: string[] = [];
    const waiters: Array<() => void> = [];
    const hooks: XdsServerHooks = {
      onAck: (_stream, typeUrl) => {
        acked.push(typeUrl);
        for (const wake of waiters.splice(0)) wake();
      },
    };
    const bridge = await startBridge({
      consul: { address: consul.url },
      xds: { host: "127.0.0.1", port: 0 },
      admin: { host: "127.0.0.1", port: 0 },
      debounceMs: 0,
      xdsHooks: hooks,
    });
    t.after(() => bridge.close(1_000));
    const client = RawXdsClient.open({ baseUrl: `http://127.0.0.1:${bridge.xdsPort}`, node: { id: "proxy-1", cluster: "edge" } });
    t.after(() => client.close());

    client.subscribe(endpointType, ["web"]);
    const initial = await client.next();
    assert.equal(responseAssignments(initial)[0]!.endpoints[0]!.lbEndpoints.length, 1);
    client.ack(initial, ["web"]);

    const before = Date.now();
    const fail = await fetch(`${consul.url}/v1/agent/check/fail/service:web-1`, { method: "PUT" });
    assert.equal(fail.status, 200);
    // The index Consul now reports for web is what the version without web-1 must name.
    const health = await fetch(`${consul.url}/v1/health/service/web`);
    const consulIndex = Number(health.headers.get("x-consul-index"));
    const withdrawn = await client.next();
    assert.equal(responseAssignments(withdrawn)[0]!.endpoints.length, 0, "the failed instance left");
    client.ack(withdrawn, ["web"]);
    while (acked.filter((type) => type === endpointType).length < 2) await new Promise<void>((resolve) => waiters.push(resolve));

    const admin = `http://127.0.0.1:${bridge.adminPort}/consulxdsbridge.admin.v1.AdminService`;
    const post = async (method: string, body: unknown) =>
      (await (
        await fetch(`${admin}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      ).json()) as {
        clients?: Array<{
          nodeId: string;
          types: Array<{ shortName: string; provenance?: { consulIndex?: Record<string, string>; answeredAt?: string } }>;
        }>;
        types?: Array<{ shortName: string; provenance?: { consulIndex?: Record<string, string>; answeredAt?: string } }>;
      };
    const clients = await post("ListClients", {});
    const eds = clients.clients!.find((c) => c.nodeId === "proxy-1")!.types.find((type) => type.shortName === "EDS")!;
    assert.ok(eds.provenance, JSON.stringify(eds));
    const listed = Number(eds.provenance.consulIndex!.dc1);
    assert.ok(listed >= consulIndex, `ListClients names Consul index ${listed}, at least the ${consulIndex} of the failed check`);
    const answeredAt = Date.parse(eds.provenance.answeredAt!);
    assert.ok(answeredAt >= before - 1_000 && answeredAt <= Date.now(), `answered at ${eds.provenance.answeredAt}`);

    const dump = await post("DumpConfig", { nodeId: "proxy-1" });
    assert.deepEqual(dump.types!.find((type) => type.shortName === "EDS")!.provenance, eds.provenance, "DumpConfig tells the same");

    const csds = createClient(ClientStatusDiscoveryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${bridge.xdsPort}` }));
    const status = await csds.fetchClientStatus({});
    const node = status.config.find((config) => config.node?.id === "proxy-1")!.node!;
    const reported = node.metadata!["consul-xds-bridge.provenance"] as { EDS: { consulIndex: Record<string, number>; answeredAt: string } };
    assert.equal(reported.EDS.consulIndex.dc1, listed);
    assert.equal(Date.parse(reported.EDS.answeredAt), answeredAt);
  });
});
