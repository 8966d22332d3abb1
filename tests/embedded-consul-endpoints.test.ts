// The agent and catalog endpoints beyond registration and health reads: agent checks on their own,
// one node's services and checks, the agent's members, and the explicit answer for what the
// embedded catalog does not implement.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { http, useEmbeddedConsul } from "./support/consul-test-support.js";

const get = (consul: EmbeddedConsul, path: string) => http(consul.url, "GET", path);
const put = (consul: EmbeddedConsul, path: string, body?: unknown) => http(consul.url, "PUT", path, body);

describe("createEmbeddedConsul() endpoints", () => {
  it("should register and deregister agent checks with /v1/agent/check/register and /deregister", async (t) => {
    const consul = await useEmbeddedConsul(t, { runChecks: false });
    await put(consul, "/v1/agent/service/register", { Name: "web", ID: "web-1", Port: 80, Tags: ["v1"] });
    const node = await put(consul, "/v1/agent/check/register", { Name: "disk", TTL: "30s", Notes: "root volume" });
    assert.equal(node.status, 200, node.text);
    const service = await put(consul, "/v1/agent/check/register", {
      ID: "web-ping",
      Name: "ping",
      ServiceID: "web-1",
      TTL: "30s",
      Status: "passing",
    });
    assert.equal(service.status, 200, service.text);
    const checks = (await get(consul, "/v1/agent/checks")).json<Record<string, Record<string, unknown>>>();
    assert.deepEqual(
      [checks.disk?.Status, checks.disk?.Notes, checks.disk?.ServiceID, checks.disk?.Type],
      ["critical", "root volume", "", "ttl"],
      "the ID defaults to the name; a new check starts critical",
    );
    assert.deepEqual(
      [checks["web-ping"]?.Status, checks["web-ping"]?.ServiceName, checks["web-ping"]?.ServiceTags],
      ["passing", "web", ["v1"]],
    );
    const health = (await get(consul, "/v1/health/checks/web")).json<Array<{ CheckID: string }>>();
    assert.deepEqual(
      health.map((c) => c.CheckID),
      ["web-ping"],
    );

    const refusals: Array<[unknown, number, string]> = [
      [{ TTL: "30s" }, 400, "Missing check name"],
      [{ Name: "x", TTL: "30s", Status: "fine" }, 400, "Bad check status"],
      [{ Name: "x", ServiceID: "nope", TTL: "30s" }, 404, 'ServiceID "nope" does not exist'],
      [{ Name: "x" }, 400, "Invalid check: TTL must be > 0 for TTL checks"],
    ];
    for (const [body, status, text] of refusals) {
      const answer = await put(consul, "/v1/agent/check/register", body);
      assert.deepEqual([answer.status, answer.text], [status, text], JSON.stringify(body));
    }

    assert.equal((await put(consul, "/v1/agent/check/deregister/disk")).status, 200);
    assert.ok(!("disk" in (await get(consul, "/v1/agent/checks")).json<Record<string, unknown>>()));
    const unknown = await put(consul, "/v1/agent/check/deregister/disk");
    assert.deepEqual(
      [unknown.status, unknown.text],
      [404, 'Unknown check ID "disk". Ensure that the check ID is passed, not the check name.'],
    );
    const update = await put(consul, "/v1/agent/check/update/web-ping", { Status: "sideways" });
    assert.deepEqual([update.status, update.text], [400, "Invalid check status: 'sideways'"]);
  });

  it("should answer /v1/catalog/node/:node with the node and its services, and null for an unknown node", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/catalog/register", {
      Node: "n1",
      Address: "10.0.0.1",
      NodeMeta: { zone: "a" },
      Service: { ID: "api-1", Service: "api", Port: 9000, Tags: ["x"] },
    });
    await put(consul, "/v1/catalog/register", {
      Node: "n1",
      Address: "10.0.0.1",
      SkipNodeUpdate: true,
      Service: { Service: "db", Port: 5432 },
    });
    const answer = await get(consul, "/v1/catalog/node/n1");
    assert.equal(answer.status, 200);
    assert.ok(Number(answer.headers.get("x-consul-index")) >= 1);
    const body = answer.json<{ Node: Record<string, unknown>; Services: Record<string, Record<string, unknown>> }>();
    assert.deepEqual([body.Node.Node, body.Node.Address, body.Node.Meta], ["n1", "10.0.0.1", { zone: "a" }]);
    assert.deepEqual(Object.keys(body.Services), ["api-1", "db"]);
    assert.deepEqual([body.Services["api-1"]?.Service, body.Services["api-1"]?.Port, body.Services["api-1"]?.Tags], ["api", 9000, ["x"]]);
    const missing = await get(consul, "/v1/catalog/node/nowhere");
    assert.deepEqual([missing.status, missing.text], [200, "null"]);
  });

  it("should answer /v1/health/node/:node with the node's own and its services' checks", async (t) => {
    const consul = await useEmbeddedConsul(t, { nodeName: "agent-1" });
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const checks = (await get(consul, "/v1/health/node/agent-1")).json<Array<Record<string, unknown>>>();
    assert.deepEqual(
      checks.map((c) => [c.CheckID, c.Status, c.ServiceID]),
      [
        ["serfHealth", "passing", ""],
        ["service:web", "passing", "web"],
      ],
    );
    assert.deepEqual((await get(consul, "/v1/health/node/nowhere")).json(), []);
  });

  it("should list the agent as its only member, on the LAN and on the WAN", async (t) => {
    const consul = await useEmbeddedConsul(t, { nodeName: "agent-1", datacenters: ["east"] });
    const [lan] = (await get(consul, "/v1/agent/members")).json<Array<Record<string, unknown>>>();
    assert.deepEqual([lan?.Name, lan?.Addr, lan?.Port, lan?.Status], ["agent-1", "127.0.0.1", 8301, 1]);
    const tags = (lan?.Tags ?? {}) as Record<string, string>;
    assert.deepEqual([tags.dc, tags.role], ["east", "consul"]);
    const [wan] = (await get(consul, "/v1/agent/members?wan=1")).json<Array<Record<string, unknown>>>();
    assert.deepEqual([wan?.Name, wan?.Port], ["agent-1.east", 8302]);
    const bad = await get(consul, "/v1/agent/members?wan=1&segment=alpha");
    assert.deepEqual([bad.status, bad.text], [400, "Cannot provide a segment with wan=true"]);
  });

  it("should say plainly what it does not implement, and keep Consul's 405 for a wrong method", async (t) => {
    const consul = await useEmbeddedConsul(t);
    for (const [method, path] of [
      ["GET", "/v1/kv/app/config"],
      ["PUT", "/v1/session/create"],
      ["GET", "/v1/agent/service/web"],
    ] as const) {
      const answer = await http(consul.url, method, path);
      assert.equal(answer.status, 501, path);
      assert.match(
        answer.text,
        new RegExp(`^${method} ${path} is not implemented by consul-xds-bridge's embedded Consul catalog \\(dev mode\\)`),
      );
    }
    const wrong = await get(consul, "/v1/agent/check/pass/service:web");
    assert.deepEqual([wrong.status, wrong.text, wrong.headers.get("allow")], [405, "method GET not allowed", "PUT"]);
    assert.equal((await get(consul, "/not-the-api")).status, 404);
  });
});
