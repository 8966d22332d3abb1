// The Consul HTTP API behaviour the bridge relies on, as a contract: it runs against the embedded
// catalog always, and against a real agent when CONSUL_HTTP_ADDR is set (CONSUL_HTTP_TOKEN for ACLs;
// for HTTPS with a private CA run node with NODE_EXTRA_CA_CERTS). Against a real agent, registrations
// reach the catalog asynchronously (anti-entropy), so every read that follows a write waits for the
// expected state with blocking queries instead of assuming it is there at once.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it, type TestContext } from "node:test";
import { createConsulClient } from "../src/consul/consul-client.js";
import { ServiceModel } from "../src/model/service-model.js";
import { type HttpAnswer, http, instancesOf, until, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";

interface Target {
  readonly url: string;
  readonly token?: string | undefined;
}

type Entry = {
  Node: Record<string, unknown>;
  Service: Record<string, unknown>;
  Checks: Array<Record<string, unknown>>;
};

const indexOf = (answer: HttpAnswer) => Number(answer.headers.get("x-consul-index"));

function client(target: Target) {
  const headers: Record<string, string> = target.token ? { "x-consul-token": target.token } : {};
  const get = (path: string) => http(target.url, "GET", path, undefined, headers);
  const put = async (path: string, body?: unknown) => {
    const answer = await http(target.url, "PUT", path, body, headers);
    assert.equal(answer.status, 200, `PUT ${path}: ${answer.status} ${answer.text}`);
    return answer;
  };
  /** Reads `path` until `predicate` holds, parking on blocking queries between reads. */
  const eventually = async (path: string, predicate: (answer: HttpAnswer) => boolean, timeoutMs = 10_000): Promise<HttpAnswer> => {
    const deadline = Date.now() + timeoutMs;
    let answer = await get(path);
    while (!predicate(answer)) {
      if (Date.now() > deadline)
        assert.fail(`${path} never reached the expected state; last answer ${answer.status} ${answer.text.slice(0, 300)}`);
      const separator = path.includes("?") ? "&" : "?";
      answer = await get(`${path}${separator}index=${indexOf(answer)}&wait=1s`);
    }
    return answer;
  };
  return { get, put, eventually };
}

/** A unique service name, deregistered when the test ends. */
function uniqueService(t: TestContext, target: Target, stem: string): string {
  const name = `cxb-contract-${randomBytes(4).toString("hex")}-${stem}`;
  const { put } = client(target);
  t.after(async () => {
    for (const id of [name, `${name}-2`]) await put(`/v1/agent/service/deregister/${id}`).catch(() => undefined);
  });
  return name;
}

function contract(useTarget: (t: TestContext) => Promise<Target>): void {
  it("should name the agent's datacenter in /v1/agent/self", async (t) => {
    const { get } = client(await useTarget(t));
    const self = await get("/v1/agent/self");
    assert.equal(self.status, 200);
    const datacenter = self.json<{ Config?: { Datacenter?: unknown } }>().Config?.Datacenter;
    assert.equal(typeof datacenter, "string");
    assert.notEqual(datacenter, "");
  });

  it("should register with the agent's defaults and show it in catalog and health", async (t) => {
    const target = await useTarget(t);
    const { put, eventually } = client(target);
    const name = uniqueService(t, target, "web");
    await put("/v1/agent/service/register", { Name: name, Port: 8080, Tags: ["a"], Check: { TTL: "60s" } });
    await put("/v1/agent/service/register", { Name: name, ID: `${name}-2`, Port: 8081, Tags: ["b"], Address: "10.0.0.2" });
    const catalog = await eventually("/v1/catalog/services", (a) => (a.json<Record<string, string[]>>()[name]?.length ?? 0) === 2);
    assert.deepEqual([...(catalog.json<Record<string, string[]>>()[name] ?? [])].sort(), ["a", "b"], "tags are the union over instances");
    const health = await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>().length === 2);
    assert.ok(indexOf(health) >= 1);
    assert.equal(health.headers.get("x-consul-knownleader"), "true");
    assert.ok(health.headers.has("x-consul-lastcontact"));
    const byId = new Map(health.json<Entry[]>().map((e) => [e.Service.ID, e]));
    const first = byId.get(name);
    assert.ok(first, "ID defaults to Name");
    for (const key of ["ID", "Node", "Address", "Datacenter", "TaggedAddresses", "Meta"]) assert.ok(key in first.Node, `Node.${key}`);
    assert.equal(typeof first.Node.Address, "string");
    assert.notEqual(first.Node.Address, "");
    assert.equal(first.Service.Address, "", "no Service.Address: the node's is used");
    assert.deepEqual(first.Service.Weights, { Passing: 1, Warning: 1 });
    assert.ok(!("Kind" in first.Service) || first.Service.Kind === "", "no Kind for a plain service");
    assert.deepEqual(first.Service.Tags, ["a"]);
    const serviceCheck = first.Checks.find((c) => c.ServiceID === name);
    assert.equal(serviceCheck?.CheckID, `service:${name}`);
    assert.equal(serviceCheck?.Status, "critical", "a new check starts critical");
    for (const check of first.Checks.filter((c) => c.CheckID !== `service:${name}`))
      assert.equal(check.ServiceID, "", "other checks are node checks");
    const second = byId.get(`${name}-2`);
    assert.deepEqual(second?.Service.Tags, ["b"]);
    assert.equal(second?.Service.Address, "10.0.0.2");
    assert.deepEqual(
      second?.Checks.filter((c) => c.ServiceID !== ""),
      [],
      "no service check",
    );
  });

  it("should move the health index but not the catalog index on check changes", async (t) => {
    const target = await useTarget(t);
    const { get, put, eventually } = client(target);
    const name = uniqueService(t, target, "idx");
    await put("/v1/agent/service/register", { Name: name, Port: 80, Check: { TTL: "60s", Status: "passing" } });
    const health = await eventually(`/v1/health/service/${name}?passing`, (a) => a.json<Entry[]>().length === 1);
    const catalog = await get("/v1/catalog/services");
    const parked = get(`/v1/health/service/${name}?index=${indexOf(health)}&wait=10s`);
    await put(`/v1/agent/check/warn/service:${name}?note=slow`);
    const woken = await parked;
    assert.ok(indexOf(woken) > indexOf(health), "the blocking query returned with a higher index");
    const check = woken.json<Entry[]>()[0]?.Checks.find((c) => c.ServiceID === name);
    assert.deepEqual([check?.Status, check?.Output], ["warning", "slow"]);
    const catalogAfter = await get("/v1/catalog/services");
    assert.ok(indexOf(catalogAfter) >= indexOf(catalog));
    assert.ok(indexOf(catalogAfter) < indexOf(woken), "catalog/services index did not move with the check");
    assert.deepEqual((await get(`/v1/health/service/${name}?passing`)).json(), [], "?passing drops warning instances");
    await put(`/v1/agent/check/fail/service:${name}`);
    await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>()[0]?.Checks.some((c) => c.Status === "critical") === true);
    await put(`/v1/agent/check/pass/service:${name}`);
    await eventually(`/v1/health/service/${name}?passing`, (a) => a.json<Entry[]>().length === 1);
  });

  it("should move no index on an identical re-registration", async (t) => {
    const target = await useTarget(t);
    const { get, put, eventually } = client(target);
    const name = uniqueService(t, target, "same");
    const body = { Name: name, Port: 80, Tags: ["x"], Meta: { v: "1" }, Check: { TTL: "60s", Status: "passing" } };
    await put("/v1/agent/service/register", body);
    const health = await eventually(`/v1/health/service/${name}?passing`, (a) => a.json<Entry[]>().length === 1);
    const catalog = await get("/v1/catalog/services");
    await put("/v1/agent/service/register", body);
    const again = await get(`/v1/health/service/${name}?index=${indexOf(health)}&wait=300ms`);
    assert.equal(indexOf(again), indexOf(health));
    assert.equal(indexOf(await get("/v1/catalog/services")), indexOf(catalog));
  });

  it("should answer a blocking query that sees no change after wait with the same index", async (t) => {
    const target = await useTarget(t);
    const { get } = client(target);
    const first = await get("/v1/health/service/cxb-contract-never-registered");
    assert.deepEqual(first.json(), [], "an unknown service is an empty list");
    const started = Date.now();
    const second = await get(`/v1/health/service/cxb-contract-never-registered?index=${indexOf(first)}&wait=300ms`);
    assert.ok(Date.now() - started >= 290);
    assert.equal(second.status, 200);
    assert.ok(indexOf(second) >= 1);
  });

  it("should list checks with their service and indexes in /v1/health/state/any", async (t) => {
    const target = await useTarget(t);
    const { put, eventually } = client(target);
    const name = uniqueService(t, target, "state");
    await put("/v1/agent/service/register", { Name: name, Port: 80, Check: { TTL: "60s", Status: "passing" } });
    type Row = Record<string, unknown>;
    const rowOf = (a: HttpAnswer) => a.json<Row[]>().find((c) => c.ServiceName === name);
    const before = await eventually("/v1/health/state/any", (a) => rowOf(a) !== undefined);
    const row = rowOf(before);
    assert.equal(row?.CheckID, `service:${name}`);
    assert.equal(row?.ServiceID, name);
    assert.equal(typeof row?.Node, "string");
    assert.equal(typeof row?.ModifyIndex, "number");
    await put(`/v1/agent/check/fail/service:${name}`);
    const after = await eventually("/v1/health/state/any", (a) => rowOf(a)?.Status === "critical");
    const modified = rowOf(after)?.ModifyIndex as number;
    assert.ok(modified > (row?.ModifyIndex as number) && modified <= indexOf(after), "ModifyIndex moved to the write's index");
  });

  it("should filter /v1/health/state/any as the watcher asks, and refuse raft indexes in filters", async (t) => {
    const target = await useTarget(t);
    const { get, put, eventually } = client(target);
    const name = uniqueService(t, target, "unhealthy");
    await put("/v1/agent/service/register", { Name: name, Port: 80, Check: { TTL: "60s", Status: "passing" } });
    type Row = Record<string, unknown>;
    const unhealthy = `/v1/health/state/any?filter=${encodeURIComponent('Status != "passing"')}`;
    const ours = (a: HttpAnswer) => a.json<Row[]>().filter((c) => c.ServiceName === name);
    await eventually("/v1/health/state/any", (a) => ours(a).length === 1);
    assert.deepEqual(ours(await get(unhealthy)), [], "a passing check is not in the filtered feed");
    await put(`/v1/agent/check/fail/service:${name}`);
    const failing = await eventually(unhealthy, (a) => ours(a).length === 1);
    assert.ok(
      failing.json<Row[]>().every((c) => c.Status !== "passing"),
      "only checks that are not passing",
    );
    await put(`/v1/agent/check/pass/service:${name}`);
    await eventually(unhealthy, (a) => ours(a).length === 0);
    const serviceChecks = await get(`/v1/health/state/any?filter=${encodeURIComponent('ServiceID != ""')}`);
    assert.ok(serviceChecks.json<Row[]>().length >= 1);
    assert.ok(
      serviceChecks.json<Row[]>().every((c) => c.ServiceID !== ""),
      "service checks only, no node checks",
    );
    const byIndex = await get(`/v1/health/state/any?filter=${encodeURIComponent("ModifyIndex == 1")}`);
    assert.equal(byIndex.status, 500, 'raft indexes are not selectable (structs.RaftIndex is bexpr:"-")');
    assert.match(byIndex.text, /^Failed to create boolean expression evaluator/);
  });

  it("should add and remove the service maintenance check", async (t) => {
    const target = await useTarget(t);
    const { put, eventually } = client(target);
    const name = uniqueService(t, target, "maint");
    await put("/v1/agent/service/register", { Name: name, Port: 80, Check: { TTL: "60s", Status: "passing" } });
    await eventually(`/v1/health/service/${name}?passing`, (a) => a.json<Entry[]>().length === 1);
    await put(`/v1/agent/service/maintenance/${name}?enable=true&reason=contract`);
    const on = await eventually(
      `/v1/health/service/${name}`,
      (a) => a.json<Entry[]>()[0]?.Checks.some((c) => c.CheckID === `_service_maintenance:${name}`) === true,
    );
    const check = on.json<Entry[]>()[0]?.Checks.find((c) => c.CheckID === `_service_maintenance:${name}`);
    assert.deepEqual([check?.Status, check?.ServiceID, check?.Notes], ["critical", name, "contract"]);
    await put(`/v1/agent/service/maintenance/${name}?enable=false`);
    await eventually(`/v1/health/service/${name}?passing`, (a) => a.json<Entry[]>().length === 1);
  });

  it("should narrow a service to instances with every tag, as the bridge's --tag reads it", async (t) => {
    const target = await useTarget(t);
    const { put, eventually } = client(target);
    const name = uniqueService(t, target, "tags");
    await put("/v1/agent/service/register", { Name: name, Port: 80, Tags: ["v1", "canary"] });
    await put("/v1/agent/service/register", { Name: name, ID: `${name}-2`, Port: 81, Tags: ["v1"] });
    await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>().length === 2);
    // Through the bridge's own Consul client, the path `serve --tag` takes.
    const consul = createConsulClient({ address: target.url, token: target.token });
    t.after(() => consul.close());
    const ids = async (tags: string[]) =>
      ((await consul.healthService(name, { tags, timeoutMs: 5_000 })).body as Entry[]).map((e) => e.Service.ID as string).sort();
    assert.deepEqual(await ids([]), [name, `${name}-2`]);
    assert.deepEqual(await ids(["v1"]), [name, `${name}-2`]);
    assert.deepEqual(await ids(["v1", "canary"]), [name], "repeated tags: every one must match");
    assert.deepEqual(await ids(["v2"]), []);
  });

  it("should keep weights as registered", async (t) => {
    const target = await useTarget(t);
    const { put, eventually } = client(target);
    const name = uniqueService(t, target, "weights");
    await put("/v1/agent/service/register", { Name: name, Port: 80, Weights: { Passing: 5, Warning: 2 } });
    const answer = await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>().length === 1);
    assert.deepEqual(answer.json<Entry[]>()[0]?.Service.Weights, { Passing: 5, Warning: 2 });
  });

  it("should answer errors with Consul's status codes and texts", async (t) => {
    const { get } = client(await useTarget(t));
    const cases: Array<[string, number, RegExp]> = [
      ["/v1/health/service/x?dc=cxb-no-such-dc", 500, /No path to datacenter/],
      ["/v1/health/service/x?wait=30", 400, /Invalid wait time/],
      ["/v1/health/service/x?index=abc", 400, /Invalid index/],
    ];
    for (const [path, status, text] of cases) {
      const answer = await get(path);
      assert.equal(answer.status, status, path);
      assert.match(answer.text, text, path);
    }
  });

  it("should empty the service after its last instance is deregistered, with a higher index", async (t) => {
    const target = await useTarget(t);
    const { get, put, eventually } = client(target);
    const name = uniqueService(t, target, "gone");
    await put("/v1/agent/service/register", { Name: name, Port: 80 });
    const present = await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>().length === 1);
    await put(`/v1/agent/service/deregister/${name}`);
    const gone = await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>().length === 0);
    assert.ok(indexOf(gone) > indexOf(present));
    await eventually("/v1/catalog/services", (a) => !(name in a.json<Record<string, unknown>>()));
    assert.equal((await get(`/v1/health/service/${name}`)).status, 200);
  });

  it("should be watched by the bridge's watcher end to end", async (t) => {
    const target = await useTarget(t);
    const { put } = client(target);
    const name = uniqueService(t, target, "watched");
    await put("/v1/agent/service/register", { Name: name, Port: 8080, Check: { TTL: "60s", Status: "passing" } });
    const model = new ServiceModel({ localDatacenter: "" });
    const h = useWatcher(t, target, { model, prefix: name, clientOptions: { token: target.token } });
    await model.whenSynced();
    const datacenter = h.watcher.status.localDatacenter ?? "dc1";
    await until(() => instancesOf(model, name, datacenter)?.length === 1, h.events, "service in the model", 10_000);
    await put(`/v1/agent/check/warn/service:${name}`);
    await until(() => instancesOf(model, name, datacenter)?.[0]?.health.status === "warning", h.events, "warning in the model", 10_000);
    await put(`/v1/agent/service/deregister/${name}`);
    await until(() => !model.view().services.has(name), h.events, "service gone from the model", 10_000);
  });
}

/**
 * `?filter=` is not used by the bridge; the embedded catalog implements Consul's bexpr itself
 * (src/bexpr/) for users who query it. These expressions, with results worked out by hand
 * from go-bexpr's rules (a selector on a list matches when any element does; `in` on a map looks
 * at keys; a missing key is "" for ==/!=), check that implementation against an agent.
 */
function filterContract(useTarget: (t: TestContext) => Promise<Target>): void {
  it("should evaluate bexpr filters as Consul does", async (t) => {
    const target = await useTarget(t);
    const { get, put, eventually } = client(target);
    const name = uniqueService(t, target, "filter");
    await put("/v1/agent/service/register", {
      Name: name,
      Port: 80,
      Tags: ["v1", "canary"],
      Meta: { version: "2", team: "edge" },
      Check: { TTL: "60s", Status: "warning" },
    });
    await put("/v1/agent/service/register", { Name: name, ID: `${name}-2`, Port: 81, Tags: ["v1"], Meta: { version: "1" } });
    await eventually(`/v1/health/service/${name}`, (a) => a.json<Entry[]>().length === 2);
    const ids = async (expression: string) =>
      (await get(`/v1/health/service/${name}?filter=${encodeURIComponent(expression)}`))
        .json<Entry[]>()
        .map((e) => e.Service.ID)
        .sort();
    const both = [name, `${name}-2`];
    const cases: Array<[string, string[]]> = [
      ['"canary" in Service.Tags', [name]],
      ['"canary" not in Service.Tags', [`${name}-2`]],
      ['Service.Meta.version == "1"', [`${name}-2`]],
      ['Service.Meta.team != "edge"', [`${name}-2`]],
      ['"team" in Service.Meta', [name]],
      ["Service.Port == 81", [`${name}-2`]],
      ['Checks.Status == "warning"', [name]],
      ['Checks.Status == "critical"', []],
      ["Service.Tags is not empty", both],
      ['Service.ID matches "-2$"', [`${name}-2`]],
      [`Service.Service == "${name}" and not "canary" in Service.Tags`, [`${name}-2`]],
      ['Service.Meta.version == "1" or Service.Meta.version == "2"', both],
    ];
    for (const [expression, expected] of cases) assert.deepEqual(await ids(expression), expected, expression);
    const bad = await get(`/v1/health/service/${name}?filter=${encodeURIComponent("Service.Tags ==")}`);
    assert.equal(bad.status, 500);
    assert.match(bad.text, /^Failed to create boolean expression evaluator/);
  });
}

describe("Consul API contract: embedded catalog", () => {
  contract(async (t) => ({ url: (await useEmbeddedConsul(t)).url }));
  filterContract(async (t) => ({ url: (await useEmbeddedConsul(t)).url }));
});

describe("Consul API contract: embedded catalog with ACLs on", () => {
  contract(async (t) => ({ url: (await useEmbeddedConsul(t, { aclTokens: ["contract-token"] })).url, token: "contract-token" }));
});

const realAddress = process.env.CONSUL_HTTP_ADDR;
const skipReal = realAddress ? false : "CONSUL_HTTP_ADDR is not set: no real Consul agent to run the contract against";
if (skipReal) console.log(`# consul-contract: real-agent suite skipped: ${skipReal}`);

describe("Consul API contract: real agent", { skip: skipReal }, () => {
  const address = realAddress ?? "";
  const scheme = process.env.CONSUL_HTTP_SSL === "true" ? "https" : "http";
  const url = /^https?:\/\//.test(address) ? address.replace(/\/+$/, "") : `${scheme}://${address}`;
  contract(async () => ({ url, token: process.env.CONSUL_HTTP_TOKEN }));
  filterContract(async () => ({ url, token: process.env.CONSUL_HTTP_TOKEN }));
});
