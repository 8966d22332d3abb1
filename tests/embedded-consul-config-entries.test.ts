// The embedded catalog's /v1/config endpoints: what `consul config write/read/list/delete` talk to,
// with Consul's validation texts, ?cas=, 404s, ACLs and blocking reads on the table's own index.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { http, useEmbeddedConsul } from "./support/consul-test-support.js";

const get = (consul: EmbeddedConsul, path: string, headers?: Record<string, string>) => http(consul.url, "GET", path, undefined, headers);
const put = (consul: EmbeddedConsul, path: string, body?: unknown, headers?: Record<string, string>) =>
  http(consul.url, "PUT", path, body, headers);
const del = (consul: EmbeddedConsul, path: string) => http(consul.url, "DELETE", path);
const indexOf = (answer: { headers: Headers }) => Number(answer.headers.get("x-consul-index"));

const httpDefaults = { Kind: "service-defaults", Name: "web", Protocol: "http" };
const resolver = {
  Kind: "service-resolver",
  Name: "web",
  Subsets: { v1: { Filter: "Service.Meta.version == 1" }, v2: { Filter: "Service.Meta.version == 2" } },
};
const splitter = (v1: number, v2: number, extra: Record<string, unknown> = {}) => ({
  Kind: "service-splitter",
  Name: "web",
  Splits: [
    { Weight: v1, ServiceSubset: "v1" },
    { Weight: v2, ServiceSubset: "v2" },
  ],
  ...extra,
});

describe("embedded /v1/config", () => {
  it("should store entries and answer them with their indexes, by kind and by name", async (t) => {
    const consul = await useEmbeddedConsul(t);
    for (const entry of [httpDefaults, resolver, splitter(90, 10)]) {
      const answer = await put(consul, "/v1/config", entry);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.text, "true");
    }
    const list = await get(consul, "/v1/config/service-splitter");
    assert.equal(list.status, 200);
    const [stored] = list.json<Array<Record<string, unknown>>>();
    assert.equal(stored?.Kind, "service-splitter");
    assert.equal(stored?.Name, "web");
    assert.deepEqual(stored?.Splits, splitter(90, 10).Splits);
    assert.equal(typeof stored?.CreateIndex, "number");
    assert.equal(stored?.ModifyIndex, stored?.CreateIndex);
    assert.equal(indexOf(list), stored?.ModifyIndex, "the table index is the last write's");

    const one = await get(consul, "/v1/config/service-resolver/web");
    assert.equal(one.status, 200);
    assert.deepEqual(one.json<Record<string, unknown>>().Subsets, resolver.Subsets);
    const missing = await get(consul, "/v1/config/service-router/web");
    assert.equal(missing.status, 404);
    assert.equal(missing.text, 'Config entry not found for "service-router" / "web"');
    assert.deepEqual((await get(consul, "/v1/config/service-router")).json(), []);
  });

  it("should refuse what Consul refuses, with its status codes and texts", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/config", httpDefaults);
    await put(consul, "/v1/config", resolver);
    const cases: Array<[unknown, number, string]> = [
      [splitter(90, 20), 500, "the sum of all split weights must be 100, not 110.000000"],
      [
        { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, ServiceSubset: "v9" }] },
        500,
        'service "web" does not have a subset named "v9"',
      ],
      [
        { Kind: "service-splitter", Name: "api", Splits: [{ Weight: 100 }] },
        500,
        'discovery chain "api" uses a protocol "tcp" that does not permit advanced routing or splitting behavior',
      ],
      [
        { Kind: "service-resolver", Name: "db", Subsets: { v1: { Filter: "Service.Meta.version ==" } } },
        500,
        'Filter for subset "v1" is not a valid expression: 1:24 (23): no match found, expected a value',
      ],
      [
        { Kind: "service-resolver", Name: "web", DefaultSubset: "v3", Subsets: resolver.Subsets },
        500,
        'DefaultSubset "v3" is not a valid subset',
      ],
      [
        { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { PathPrefix: "admin" } } }] },
        500,
        "Route[0] PathPrefix doesn't start with '/': \"admin\"",
      ],
      [{ Kind: "service-defaults" }, 500, "Name is required"],
      [{ Name: "web" }, 400, "Request decoding failed: Payload does not contain a kind/Kind key at the top level"],
      [{ Kind: "service-routers", Name: "web" }, 400, "Request decoding failed: invalid config entry kind: service-routers"],
    ];
    for (const [body, status, text] of cases) {
      const answer = await put(consul, "/v1/config", body);
      assert.deepEqual([answer.status, answer.text], [status, text], JSON.stringify(body));
    }
    assert.deepEqual((await get(consul, "/v1/config/service-splitter")).json(), [], "nothing refused was stored");
  });

  it("should refuse a cyclic redirect and accept a regex RE2 refuses, as Consul does", async (t) => {
    const consul = await useEmbeddedConsul(t);
    assert.equal((await put(consul, "/v1/config", { Kind: "service-resolver", Name: "a", Redirect: { Service: "b" } })).text, "true");
    const cyclic = await put(consul, "/v1/config", { Kind: "service-resolver", Name: "b", Redirect: { Service: "a" } });
    assert.equal(cyclic.status, 500);
    assert.match(cyclic.text, /^detected circular resolver redirect: \[/);
    await put(consul, "/v1/config", httpDefaults);
    const lookahead = await put(consul, "/v1/config", {
      Kind: "service-router",
      Name: "web",
      Routes: [{ Match: { HTTP: { PathRegex: "/a(?=b)" } } }],
    });
    assert.equal(lookahead.text, "true", "Consul does not check regexes when an entry is written (the bridge refuses to apply it)");
  });

  it("should refuse a router on a service whose service-defaults has no Protocol, even with proxy-defaults' http, as Consul does", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/config", { Kind: "proxy-defaults", Name: "global", Config: { protocol: "http" } });
    const router = { Kind: "service-router", Name: "db", Routes: [{ Match: { HTTP: { PathPrefix: "/a" } } }] };
    assert.equal((await put(consul, "/v1/config", router)).text, "true", "db has proxy-defaults' http");
    const defaults = await put(consul, "/v1/config", { Kind: "service-defaults", Name: "db", MaxInboundConnections: 10 });
    assert.deepEqual(
      [defaults.status, defaults.text],
      [500, 'discovery chain "db" uses a protocol "tcp" that does not permit advanced routing or splitting behavior'],
      "a service-defaults without Protocol makes db tcp (hashicorp/consul#11457)",
    );
  });

  it('should accept a resolver subset named "constructor" with a "*" failover, as Consul does', async (t) => {
    const consul = await useEmbeddedConsul(t);
    const answer = await put(consul, "/v1/config", {
      Kind: "service-resolver",
      Name: "web",
      Subsets: { constructor: { Filter: "Service.Meta.version == 1" } },
      Failover: { "*": { Datacenters: ["dc2"] } },
    });
    assert.deepEqual([answer.status, answer.text], [200, "true"]);
    const proto = await put(consul, "/v1/config", JSON.parse('{"Kind":"service-resolver","Name":"api","Subsets":{"__proto__":{}}}'));
    assert.equal(proto.status, 500);
    assert.match(proto.text, /^Subset "__proto__" is invalid: must be 63 characters or fewer/);
  });

  it("should compare ?cas= with the ModifyIndex, 0 meaning create only", async (t) => {
    const consul = await useEmbeddedConsul(t);
    assert.equal((await put(consul, "/v1/config?cas=0", httpDefaults)).text, "true");
    assert.equal((await put(consul, "/v1/config?cas=0", httpDefaults)).text, "false", "it exists already");
    const modifyIndex = (await get(consul, "/v1/config/service-defaults/web")).json<{ ModifyIndex: number }>().ModifyIndex;
    assert.equal((await put(consul, `/v1/config?cas=${modifyIndex + 100}`, { ...httpDefaults, Protocol: "grpc" })).text, "false");
    assert.equal((await put(consul, `/v1/config?cas=${modifyIndex}`, { ...httpDefaults, Protocol: "grpc" })).text, "true");
    const after = (await get(consul, "/v1/config/service-defaults/web")).json<{
      Protocol: string;
      CreateIndex: number;
      ModifyIndex: number;
    }>();
    assert.equal(after.Protocol, "grpc");
    assert.ok(after.ModifyIndex > modifyIndex);
    assert.ok(after.CreateIndex < after.ModifyIndex, "CreateIndex stays");
    assert.equal((await del(consul, `/v1/config/service-defaults/web?cas=${modifyIndex}`)).text, "false");
    assert.equal((await del(consul, `/v1/config/service-defaults/web?cas=${after.ModifyIndex}`)).text, "true");
    assert.equal((await get(consul, "/v1/config/service-defaults/web")).status, 404);
  });

  it("should delete, refusing a delete that breaks a chain", async (t) => {
    const consul = await useEmbeddedConsul(t);
    for (const entry of [httpDefaults, resolver, splitter(50, 50)]) await put(consul, "/v1/config", entry);
    const breaking = await del(consul, "/v1/config/service-resolver/web");
    assert.equal(breaking.status, 500);
    assert.match(breaking.text, /does not have a subset named "v1"/);
    assert.deepEqual(
      [(await del(consul, "/v1/config/service-splitter/web")).text, (await del(consul, "/v1/config/service-resolver/web")).text],
      ["{}", "{}"],
    );
    assert.equal((await del(consul, "/v1/config/service-resolver/nothing")).text, "{}", "deleting an absent entry succeeds");
    assert.equal((await del(consul, "/v1/config/service-resolver")).status, 404);
  });

  it("should block a read until the table's index passes ?index", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, "/v1/config", httpDefaults);
    const first = await get(consul, "/v1/config/service-resolver");
    const index = indexOf(first);
    const blocked = get(consul, `/v1/config/service-resolver?index=${index}&wait=30s`);
    let answered = false;
    void blocked.then(() => (answered = true));
    await get(consul, "/v1/config/service-defaults"); // a round trip later, the read still waits
    assert.equal(answered, false);
    await put(consul, "/v1/config", resolver);
    const woken = await blocked;
    assert.ok(indexOf(woken) > index);
    assert.equal(woken.json<unknown[]>().length, 1);
  });

  it("should read nothing and write nothing anonymously when ACLs are on", async (t) => {
    const consul = await useEmbeddedConsul(t, { aclTokens: ["secret-token"] });
    const token = { "X-Consul-Token": "secret-token" };
    assert.equal((await put(consul, "/v1/config", httpDefaults, token)).text, "true");
    const anonymous = await get(consul, "/v1/config/service-defaults");
    assert.deepEqual(anonymous.json(), []);
    assert.equal(anonymous.headers.get("x-consul-results-filtered-by-acls"), "true");
    assert.equal((await get(consul, "/v1/config/service-defaults", token)).json<unknown[]>().length, 1);
    assert.equal((await put(consul, "/v1/config", httpDefaults)).status, 403);
    assert.equal((await get(consul, "/v1/config/service-defaults", { "X-Consul-Token": "wrong" })).status, 403);
  });
});
