import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseGoDuration } from "../src/consul/index.js";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { http, until, useEmbeddedConsul } from "./support/consul-test-support.js";
import { manualClock } from "./support/manual-clock.js";

type Entry = {
  Node: Record<string, unknown>;
  Service: Record<string, unknown>;
  Checks: Array<Record<string, unknown>>;
};

const get = (consul: EmbeddedConsul, path: string, headers?: Record<string, string>) => http(consul.url, "GET", path, undefined, headers);
const put = (consul: EmbeddedConsul, path: string, body?: unknown, headers?: Record<string, string>) =>
  http(consul.url, "PUT", path, body, headers);
const indexOf = (answer: { headers: Headers }) => Number(answer.headers.get("x-consul-index"));

describe("parseGoDuration()", () => {
  it("should parse Go durations into milliseconds", () => {
    assert.equal(parseGoDuration("30s"), 30_000);
    assert.equal(parseGoDuration("1.5h"), 5_400_000);
    assert.equal(parseGoDuration("2h45m"), 9_900_000);
    assert.equal(parseGoDuration("300ms"), 300);
    assert.equal(parseGoDuration("10us"), 0.01);
    assert.equal(parseGoDuration("0"), 0);
  });

  it("should refuse what Go refuses", () => {
    for (const bad of ["30", "", "s", "1x", ".s", "1s2", "abc"]) assert.equal(parseGoDuration(bad), undefined, bad);
  });
});

describe("createEmbeddedConsul()", () => {
  it("should register through the agent API with Consul's defaults and JSON shapes", async (t) => {
    const consul = await useEmbeddedConsul(t);
    assert.equal((await put(consul, "/v1/agent/service/register", { Name: "web", Port: 8080 })).status, 200);
    const answer = await get(consul, "/v1/health/service/web");
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get("content-type") ?? "", /application\/json/);
    const [entry] = answer.json<Entry[]>();
    assert.ok(entry);
    assert.deepEqual(Object.keys(entry), ["Node", "Service", "Checks"]);
    assert.deepEqual(Object.keys(entry.Node), [
      "ID",
      "Node",
      "Address",
      "Datacenter",
      "TaggedAddresses",
      "Meta",
      "CreateIndex",
      "ModifyIndex",
    ]);
    assert.equal(entry.Node.Node, "agent-1");
    assert.equal(entry.Node.Datacenter, "dc1");
    const service = entry.Service;
    assert.equal(service.ID, "web", "ID defaults to Name");
    assert.deepEqual(service.Tags, [], "Tags is [] not null");
    assert.equal(service.Address, "");
    assert.deepEqual(service.Weights, { Passing: 1, Warning: 1 });
    assert.ok(!("Kind" in service), "no Kind for a plain service");
    assert.ok(!("TaggedAddresses" in service), "no tagged addresses without an address");
    assert.deepEqual(service.Meta, {});
    assert.equal(service.Port, 8080);
    assert.deepEqual(
      entry.Checks.map((c) => [c.CheckID, c.Status, c.ServiceID]),
      [["serfHealth", "passing", ""]],
    );
  });

  it("should start checks critical unless Status is given and name them service:<id>[:n]", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/agent/service/register", { Name: "a", Port: 1, Check: { TTL: "10s" } });
    await put(consul, "/v1/agent/service/register", {
      Name: "b",
      ID: "b-1",
      Address: "10.0.0.2",
      Port: 2,
      Checks: [
        { TTL: "10s", Status: "passing" },
        { TTL: "10s", Status: "warning", Notes: "slow" },
      ],
    });
    const a = (await get(consul, "/v1/health/service/a")).json<Entry[]>()[0]?.Checks.filter((c) => c.ServiceID !== "");
    assert.deepEqual(
      a?.map((c) => [c.CheckID, c.Status, c.Name, c.Type]),
      [["service:a", "critical", "Service 'a' check", "ttl"]],
    );
    const b = (await get(consul, "/v1/health/service/b")).json<Entry[]>()[0];
    assert.deepEqual(
      b?.Checks.filter((c) => c.ServiceID !== "").map((c) => [c.CheckID, c.Status, c.Notes]),
      [
        ["service:b-1:1", "passing", ""],
        ["service:b-1:2", "warning", "slow"],
      ],
    );
    assert.deepEqual(b?.Service.TaggedAddresses, {
      lan_ipv4: { Address: "10.0.0.2", Port: 2 },
      wan_ipv4: { Address: "10.0.0.2", Port: 2 },
    });
  });

  it("should answer bad registrations with Consul's 400 texts", async (t) => {
    const consul = await useEmbeddedConsul(t);
    const cases: Array<[unknown, RegExp]> = [
      [{ Name: "web", Address: "0.0.0.0", Port: 1 }, /^Invalid service address$/],
      [{ Port: 1 }, /^Missing service name$/],
      [{ Name: "web", Port: "80" }, /^Request decode failed/],
      [{ Name: "web", Weights: { Passing: 0, Warning: 1 } }, /Passing must be greater than 0/],
      [{ Name: "web", Check: { Notes: "no type" } }, /^Invalid check/],
      ["{not json", /^Request decode failed/],
    ];
    for (const [body, text] of cases) {
      const answer = await put(consul, "/v1/agent/service/register", body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.text, text);
    }
  });

  it("should accept snake_case and lower-case field names like Consul's decoder", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/agent/service/register", { name: "web", port: 80, tags: ["x"], enable_tag_override: true });
    const [entry] = (await get(consul, "/v1/health/service/web")).json<Entry[]>();
    assert.deepEqual([entry?.Service.Port, entry?.Service.Tags, entry?.Service.EnableTagOverride], [80, ["x"], true]);
  });

  it("should keep every index still on an identical re-registration", async (t) => {
    const consul = await useEmbeddedConsul(t);
    const body = { Name: "web", Port: 80, Tags: ["v1"], Check: { TTL: "10s", Status: "passing" } };
    await put(consul, "/v1/agent/service/register", body);
    const catalog = indexOf(await get(consul, "/v1/catalog/services"));
    const health = indexOf(await get(consul, "/v1/health/service/web"));
    const checks = indexOf(await get(consul, "/v1/health/state/any"));
    await put(consul, "/v1/agent/service/register", body);
    await put(consul, "/v1/agent/service/register", { ...body, Check: { TTL: "10s" } }); // no Status: keeps passing
    assert.equal(indexOf(await get(consul, "/v1/catalog/services")), catalog);
    assert.equal(indexOf(await get(consul, "/v1/health/service/web")), health);
    assert.equal(indexOf(await get(consul, "/v1/health/state/any")), checks);
  });

  it("should move the health index but not the catalog index on a check change", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80, Check: { TTL: "10s" } });
    await put(consul, "/v1/agent/service/register", { Name: "api", Port: 81, Check: { TTL: "10s" } });
    const catalog = indexOf(await get(consul, "/v1/catalog/services"));
    const web = indexOf(await get(consul, "/v1/health/service/web"));
    const api = indexOf(await get(consul, "/v1/health/service/api"));
    assert.equal((await put(consul, "/v1/agent/check/pass/service:web?note=fine")).status, 200);
    assert.equal(indexOf(await get(consul, "/v1/catalog/services")), catalog, "catalog index unmoved by checks");
    assert.ok(indexOf(await get(consul, "/v1/health/service/web")) > web, "web's index moved");
    assert.equal(indexOf(await get(consul, "/v1/health/service/api")), api, "api's index is its own");
    const check = (await get(consul, "/v1/health/service/web")).json<Entry[]>()[0]?.Checks.find((c) => c.CheckID === "service:web");
    assert.deepEqual([check?.Status, check?.Output], ["passing", "fine"]);
  });

  it("should block until the service changes, and wake only that service's waiters", async (t) => {
    // A virtual clock that never moves: a query can only return because of the change.
    const consul = await useEmbeddedConsul(t, { clock: manualClock() });
    consul.store.seed(
      "dc1",
      Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, instances: [{ port: 80 }] })),
    );
    const index = indexOf(await get(consul, "/v1/health/service/s0"));
    const others = Array.from({ length: 49 }, (_, i) =>
      fetch(`${consul.url}/v1/health/service/s${i + 1}?index=${index}&wait=5s`).catch(() => undefined),
    );
    const blocked = get(consul, `/v1/health/service/s0?index=${index}&wait=5s`);
    await until(() => consul.store.waiters.size === 50, consul.onRequest, "50 parked queries");
    const wakeups = consul.store.waiters.wakeups;
    consul.store.setCheckStatus("dc1", "node-0", "service:s0-0", "warning");
    const answer = await blocked;
    assert.ok(indexOf(answer) > index);
    assert.equal(answer.json<Entry[]>()[0]?.Checks.find((c) => c.ServiceID !== "")?.Status, "warning");
    assert.equal(consul.store.waiters.wakeups - wakeups, 1, "only s0's waiter was woken");
    assert.equal(consul.store.waiters.size, 49);
    await consul.stop(); // releases the other 49
    await Promise.all(others);
  });

  it("should answer a timed-out blocking query with the same index after wait plus at most wait/16", async (t) => {
    const clock = manualClock();
    const consul = await useEmbeddedConsul(t, { random: () => 0.999, clock });
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80 });
    const first = await get(consul, "/v1/health/service/web");
    const second = get(consul, `/v1/health/service/web?index=${indexOf(first)}&wait=160ms`);
    await until(() => clock.pending === 1, clock.changes, "the query parked");
    // Jitter is floor(random × wait/16): 9 ms at random 0.999, just under the 10 ms ceiling.
    assert.deepEqual(clock.deadlines(), [169]);
    clock.advance(168);
    assert.equal(clock.pending, 1, "not answered before wait + jitter");
    clock.advance(1);
    const answer = await second;
    assert.equal(indexOf(answer), indexOf(first));
    assert.equal(answer.text, first.text);
  });

  it("should block a client whose index is ahead for the whole wait and return the lower index", async (t) => {
    const clock = manualClock();
    const consul = await useEmbeddedConsul(t, { random: () => 0, clock });
    const pending = get(consul, "/v1/catalog/services?index=999999&wait=100ms");
    await until(() => clock.pending === 1, clock.changes, "the query parked");
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80 });
    assert.equal(clock.pending, 1, "a change below the client's index does not answer it");
    clock.advance(100);
    const answer = await pending;
    assert.ok(indexOf(answer) < 999999);
    assert.ok("web" in answer.json<Record<string, unknown>>(), "the answer is current");
  });

  it("should send Consul's headers and never an index of 0", async (t) => {
    const consul = await useEmbeddedConsul(t, { consulService: false });
    for (const path of ["/v1/catalog/services", "/v1/health/service/none", "/v1/health/state/any", "/v1/catalog/service/none"]) {
      const answer = await get(consul, path);
      assert.ok(indexOf(answer) >= 1, `${path}: ${answer.headers.get("x-consul-index")}`);
      assert.equal(answer.headers.get("x-consul-knownleader"), "true");
      assert.equal(answer.headers.get("x-consul-lastcontact"), "0");
      assert.equal(answer.headers.get("x-consul-effective-consistency"), "leader");
    }
    assert.equal((await get(consul, "/v1/catalog/services?stale")).headers.get("x-consul-effective-consistency"), "stale");
    assert.deepEqual((await get(consul, "/v1/health/service/none")).json(), []);
  });

  it("should answer bad parameters with Consul's status codes and texts", async (t) => {
    const consul = await useEmbeddedConsul(t);
    const cases: Array<[string, number, RegExp]> = [
      ["/v1/health/service/web?wait=30", 400, /^Invalid wait time$/],
      ["/v1/health/service/web?index=abc", 400, /^Invalid index$/],
      ["/v1/health/service/web?dc=nope", 500, /^No path to datacenter$/],
      ["/v1/catalog/services?stale&consistent", 400, /conflicting semantics/],
      ["/v1/health/service/web?ns=team", 400, /Enterprise/],
      ["/v1/health/service/web?filter=Service.Tags%20%3D%3D", 500, /^Failed to create boolean expression evaluator: /],
      ["/v1/health/state/", 400, /^Missing check state$/],
      ["/v1/health/service/", 400, /^Missing service name$/],
      ["/v1/health/node/", 400, /^Missing node name$/],
    ];
    for (const [path, status, text] of cases) {
      const answer = await get(consul, path);
      assert.equal(answer.status, status, path);
      assert.match(answer.text, text, path);
      assert.match(answer.headers.get("content-type") ?? "", /text\/plain/);
    }
    const wrongMethod = await get(consul, "/v1/agent/service/register");
    assert.deepEqual([wrongMethod.status, wrongMethod.text, wrongMethod.headers.get("allow")], [405, "method GET not allowed", "PUT"]);
    const unknownState = await get(consul, "/v1/health/state/nonsense");
    assert.deepEqual([unknownState.status, unknownState.json()], [200, []], "Consul accepts any state name: none has checks");
  });

  it("should filter health results by passing, repeated tags and bexpr", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed("dc1", [
      {
        name: "web",
        instances: [
          { id: "a", port: 1, tags: ["v1", "canary"], meta: { version: "1" } },
          { id: "b", port: 2, tags: ["v1"], meta: { version: "2" }, status: "warning" },
          { id: "c", port: 3, tags: ["v2"], meta: { version: "2" } },
        ],
      },
    ]);
    const ids = async (query: string) => (await get(consul, `/v1/health/service/web${query}`)).json<Entry[]>().map((e) => e.Service.ID);
    assert.deepEqual(await ids(""), ["a", "b", "c"]);
    assert.deepEqual(await ids("?passing"), ["a", "c"], "?passing drops warning instances too");
    assert.deepEqual(await ids("?passing=false"), ["a", "b", "c"]);
    assert.deepEqual(await ids("?tag=v1"), ["a", "b"]);
    assert.deepEqual(await ids("?tag=v1&tag=canary"), ["a"]);
    assert.deepEqual(await ids(`?filter=${encodeURIComponent('"v1" in Service.Tags')}`), ["a", "b"]);
    assert.deepEqual(await ids(`?filter=${encodeURIComponent('Service.Meta.version == "2"')}`), ["b", "c"]);
    const catalog = (await get(consul, "/v1/catalog/service/web?tag=v2")).json<Array<Record<string, unknown>>>();
    assert.deepEqual(
      catalog.map((r) => [r.ServiceID, r.ServicePort]),
      [["c", 3]],
    );
  });

  it("should list every check with /v1/health/state/:state", async (t) => {
    const consul = await useEmbeddedConsul(t, { consulService: false });
    consul.store.seed("dc1", [{ name: "web", instances: [{ port: 1 }, { port: 2, status: "critical" }] }]);
    const any = (await get(consul, "/v1/health/state/any")).json<Array<Record<string, unknown>>>();
    assert.deepEqual(
      any.map((c) => [c.Node, c.CheckID, c.ServiceName]),
      [
        ["agent-1", "serfHealth", ""],
        ["node-0", "service:web-0", "web"],
        ["node-1", "service:web-1", "web"],
      ],
    );
    const critical = (await get(consul, "/v1/health/state/critical")).json<Array<Record<string, unknown>>>();
    assert.deepEqual(
      critical.map((c) => c.CheckID),
      ["service:web-1"],
    );
  });

  it("should put services and nodes in maintenance with Consul's checks", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80, Check: { TTL: "10s", Status: "passing" } });
    assert.equal((await put(consul, "/v1/agent/service/maintenance/web?enable=true&reason=deploy")).status, 200);
    assert.equal((await put(consul, "/v1/agent/maintenance?enable=true")).status, 200);
    const checks = (await get(consul, "/v1/health/service/web")).json<Entry[]>()[0]?.Checks ?? [];
    const byId = new Map(checks.map((c) => [c.CheckID, c]));
    assert.deepEqual([byId.get("_service_maintenance:web")?.Status, byId.get("_service_maintenance:web")?.Notes], ["critical", "deploy"]);
    assert.deepEqual([byId.get("_node_maintenance")?.Status, byId.get("_node_maintenance")?.ServiceID], ["critical", ""]);
    await put(consul, "/v1/agent/service/maintenance/web?enable=false");
    await put(consul, "/v1/agent/maintenance?enable=false");
    const after = (await get(consul, "/v1/health/service/web")).json<Entry[]>()[0]?.Checks.map((c) => c.CheckID);
    assert.deepEqual(after, ["serfHealth", "service:web"]);
    assert.equal((await put(consul, "/v1/agent/service/maintenance/nope?enable=true")).status, 404);
    assert.equal((await put(consul, "/v1/agent/maintenance")).status, 400);
    const unknown = await put(consul, "/v1/agent/check/pass/nope");
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /Unknown check ID "nope"/);
  });

  it("should turn an unrefreshed TTL check critical", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80, Check: { TTL: "150ms" } });
    await put(consul, "/v1/agent/check/pass/service:web");
    const passing = await get(consul, "/v1/health/service/web?passing");
    assert.equal(passing.json<Entry[]>().length, 1);
    const expired = await get(consul, `/v1/health/service/web?index=${indexOf(passing)}&wait=5s`);
    const check = expired.json<Entry[]>()[0]?.Checks.find((c) => c.CheckID === "service:web");
    assert.deepEqual([check?.Status, check?.Output], ["critical", "TTL expired"]);
  });

  it("should deregister agent services, and answer an unknown ID with Consul's 404", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80 });
    const before = indexOf(await get(consul, "/v1/health/service/web"));
    assert.equal((await put(consul, "/v1/agent/service/deregister/web")).status, 200);
    const unknown = await put(consul, "/v1/agent/service/deregister/never-registered");
    assert.deepEqual(
      [unknown.status, unknown.text],
      [404, 'Unknown service ID "never-registered". Ensure that the service ID is passed, not the service name.'],
    );
    const after = await get(consul, "/v1/health/service/web");
    assert.deepEqual(after.json(), []);
    assert.ok(indexOf(after) > before, "the last instance's removal moves the index");
    assert.ok(!("web" in (await get(consul, "/v1/catalog/services")).json<Record<string, unknown>>()));
  });

  it("should serve several datacenters, with catalog registration into any of them", async (t) => {
    const consul = await useEmbeddedConsul(t, { datacenters: ["dc1", "dc2"] });
    assert.deepEqual((await get(consul, "/v1/catalog/datacenters")).json(), ["dc1", "dc2"]);
    const registration = {
      Datacenter: "dc2",
      Node: "far-1",
      Address: "10.9.0.1",
      NodeMeta: { zone: "z9" },
      Service: { Service: "web", Port: 80, Tags: ["remote"] },
      Check: { CheckID: "service:web", Name: "web", Status: "warning", ServiceID: "web" },
    };
    const registered = await put(consul, "/v1/catalog/register", registration);
    assert.deepEqual([registered.status, registered.text], [200, "true"]);
    assert.deepEqual((await get(consul, "/v1/health/service/web")).json(), []);
    const [entry] = (await get(consul, "/v1/health/service/web?dc=dc2")).json<Entry[]>();
    assert.deepEqual([entry?.Node.Datacenter, entry?.Node.Meta, entry?.Service.Weights], ["dc2", { zone: "z9" }, null]);
    assert.equal((await put(consul, "/v1/catalog/register", { ...registration, Datacenter: "dc7" })).status, 500);
    await put(consul, "/v1/catalog/deregister", { Datacenter: "dc2", Node: "far-1" });
    assert.deepEqual((await get(consul, "/v1/health/service/web?dc=dc2")).json(), []);
  });

  it("should describe the agent at /v1/agent/self", async (t) => {
    const consul = await useEmbeddedConsul(t, { datacenters: ["east", "west"] });
    const self = (await get(consul, "/v1/agent/self")).json<{ Config: { Datacenter: string; NodeName: string } }>();
    assert.deepEqual([self.Config.Datacenter, self.Config.NodeName], ["east", "agent-1"]);
  });

  it("should enforce ACL tokens like Consul", async (t) => {
    const consul = await useEmbeddedConsul(t, { aclTokens: ["root"] });
    consul.store.seed("dc1", [{ name: "web", instances: [{ port: 80 }] }]);
    const unknown = await get(consul, "/v1/health/service/web", { "x-consul-token": "bogus" });
    assert.deepEqual([unknown.status, unknown.text], [403, "ACL not found"]);
    const anonymous = await get(consul, "/v1/health/service/web");
    assert.deepEqual([anonymous.status, anonymous.json()], [200, []]);
    assert.equal(anonymous.headers.get("x-consul-results-filtered-by-acls"), "true");
    assert.equal((await get(consul, "/v1/agent/self")).status, 403);
    assert.equal((await put(consul, "/v1/agent/service/register", { Name: "x", Port: 1 })).status, 403);
    assert.equal((await get(consul, "/v1/health/service/web", { "x-consul-token": "root" })).json<Entry[]>().length, 1);
    assert.equal((await get(consul, "/v1/health/service/web", { authorization: "Bearer root" })).json<Entry[]>().length, 1);
  });

  it("should inject latency, error statuses, resets and zero indexes", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.faults.inject({ kind: "status", status: 500 }, { path: "/v1/catalog/", count: 2 });
    assert.equal((await get(consul, "/v1/catalog/services")).status, 500);
    assert.equal((await get(consul, "/v1/health/state/any")).status, 200, "path scoped");
    assert.equal((await get(consul, "/v1/catalog/services")).status, 500);
    assert.equal((await get(consul, "/v1/catalog/services")).status, 200, "count exhausted");

    consul.faults.inject({ kind: "status", status: 429 }, { count: 1 });
    const limited = await get(consul, "/v1/catalog/services");
    assert.equal(limited.status, 429);
    assert.match(limited.text, /too many concurrent connections/);

    consul.faults.inject({ kind: "reset" }, { count: 1 });
    await assert.rejects(get(consul, "/v1/catalog/services"));

    const removeZero = consul.faults.inject({ kind: "zero-index" });
    assert.equal((await get(consul, "/v1/catalog/services")).headers.get("x-consul-index"), "0");
    removeZero();
    assert.notEqual((await get(consul, "/v1/catalog/services")).headers.get("x-consul-index"), "0");

    consul.faults.inject({ kind: "latency", ms: 120 }, { count: 1 });
    const started = Date.now();
    await get(consul, "/v1/catalog/services");
    assert.ok(Date.now() - started >= 120);
    consul.faults.clear();
  });

  it("should reset indexes backwards and release every blocking query at once", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed(
      "dc1",
      Array.from({ length: 5 }, (_, i) => ({ name: `s${i}`, instances: [{ port: 80 }] })),
    );
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 80 });
    const high = indexOf(await get(consul, "/v1/catalog/services"));
    assert.ok(high > 2);
    const parked = get(consul, `/v1/catalog/services?index=${high}&wait=10s`);
    await until(() => consul.store.waiters.size === 1, consul.onRequest, "parked query");
    consul.store.resetIndexes();
    const answer = await parked;
    assert.ok(indexOf(answer) < high, "the index went backwards");
    assert.ok(indexOf(answer) >= 1);
  });

  it("should count concurrent and peak connections, and go down and up on the same port", async (t) => {
    const consul = await useEmbeddedConsul(t);
    const parked = Array.from({ length: 3 }, () => get(consul, "/v1/catalog/services?index=1000000&wait=5s").catch(() => undefined));
    await until(() => consul.store.waiters.size === 3, consul.onRequest, "3 parked queries");
    assert.equal(consul.connections.current, 3);
    assert.ok(consul.connections.peak >= 3);
    await consul.stop();
    await Promise.all(parked);
    await assert.rejects(get(consul, "/v1/catalog/services"), "refused while down");
    await consul.start();
    assert.equal((await get(consul, "/v1/catalog/services")).status, 200);
    consul.connections.resetPeak();
    assert.equal(consul.connections.peak, consul.connections.current);
  });
});
