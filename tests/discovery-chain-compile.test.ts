import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileDiscoveryChain } from "../src/discovery-chain/compile-discovery-chain.js";
import type { ChainContext, ChainTarget } from "../src/discovery-chain/discovery-chain.js";
import type { ConfigEntriesView } from "../src/model/config-entry-store.js";
import { type ConsulConfigEntry, entriesOf, serviceDefaults } from "./support/config-entries.js";

const known = new Set(["web", "api", "billing", "backup", "legacy"]);

function context(entries: ConfigEntriesView, extra: Partial<ChainContext> = {}): ChainContext {
  return {
    entries,
    localDatacenter: "dc1",
    servedDatacenters: ["dc1", "dc2"],
    hasService: (name) => known.has(name),
    downstreamService: "consul-xds-bridge",
    ...extra,
  };
}

function compile(service: string, ...entries: ConsulConfigEntry[]) {
  return compileDiscoveryChain(service, context(entriesOf(...entries)));
}

function valid(service: string, ...entries: ConsulConfigEntry[]) {
  const result = compile(service, ...entries);
  assert.deepEqual(result.errors, [], "the chain compiles");
  assert.ok(result.chain);
  return { ...result, chain: result.chain };
}

function target(chain: { targets: ReadonlyMap<string, ChainTarget> }, id: string): ChainTarget {
  const found = chain.targets.get(id);
  assert.ok(found, `target ${id} in ${[...chain.targets.keys()].join(", ")}`);
  return found;
}

const t = (service: string, subset = "", dc = "dc1") => JSON.stringify([service, subset, dc]);

const versionResolver: ConsulConfigEntry = {
  Kind: "service-resolver",
  Name: "web",
  Subsets: { v1: { Filter: 'Service.Meta.version == "1"' }, v2: { Filter: 'Service.Meta.version == "2"', OnlyPassing: true } },
};

describe("compileDiscoveryChain()", () => {
  it("should give a default chain to a service no entry names", () => {
    const { chain, dependencies } = valid("web");
    assert.equal(chain.isDefault, true);
    assert.equal(chain.protocol, "tcp", "Consul's default protocol");
    assert.equal(chain.routes.length, 1);
    assert.deepEqual(
      chain.routes[0]?.splits.map((s) => [s.weight, s.target]),
      [[10_000, t("web")]],
    );
    assert.equal(target(chain, t("web")).failoverByFlag, true, "--failover-datacenters applies without a resolver");
    for (const key of [
      "service-router/web",
      "service-splitter/web",
      "service-resolver/web",
      "service-defaults/web",
      "proxy-defaults/global",
    ]) {
      assert.ok(dependencies.entries.has(key as never), `depends on ${key}`);
    }
    assert.deepEqual([...dependencies.services], ["web"]);
  });

  it("should split by weight to subsets whose filters select instances", () => {
    const { chain } = valid("web", serviceDefaults("web", "http"), versionResolver, {
      Kind: "service-splitter",
      Name: "web",
      Splits: [
        { Weight: 90, ServiceSubset: "v1" },
        { Weight: 10, ServiceSubset: "v2" },
      ],
    });
    assert.equal(chain.isDefault, false);
    assert.deepEqual(
      chain.routes[0]?.splits.map((s) => [s.weight, s.target]),
      [
        [9000, t("web", "v1")],
        [1000, t("web", "v2")],
      ],
    );
    const v1 = target(chain, t("web", "v1"));
    assert.equal(v1.filter, 'Service.Meta.version == "1"');
    assert.equal(v1.matches?.({ Service: { Meta: { version: "1" } } }), true);
    assert.equal(v1.matches?.({ Service: { Meta: { version: "2" } } }), false);
    assert.equal(target(chain, t("web", "v2")).onlyPassing, true);
    assert.equal(chain.routes[0]?.splitter, "service-splitter/web");
  });

  it("should keep every subset of the service's own resolver, and the whole service, as targets", () => {
    const { chain } = valid("web", { ...versionResolver, DefaultSubset: "v1" });
    assert.deepEqual([...chain.targets.keys()].sort(), [t("web"), t("web", "v1"), t("web", "v2")].sort());
    assert.deepEqual(
      chain.routes.flatMap((r) => r.splits.map((s) => s.target)),
      [t("web", "v1")],
      "routes use the default subset only",
    );
  });

  it("should keep Consul's two decimals of a weight", () => {
    const { chain } = valid("web", serviceDefaults("web", "http"), versionResolver, {
      Kind: "service-splitter",
      Name: "web",
      Splits: [
        { Weight: 33.33, ServiceSubset: "v1" },
        { Weight: 66.67, ServiceSubset: "v2" },
      ],
    });
    assert.deepEqual(
      chain.routes[0]?.splits.map((s) => s.weight),
      [3333, 6667],
    );
  });

  it("should multiply nested splitters out and merge their headers", () => {
    const { chain } = valid(
      "web",
      serviceDefaults("web", "http"),
      serviceDefaults("api", "http"),
      {
        Kind: "service-resolver",
        Name: "api",
        Subsets: { a: { Filter: "Service.Meta.a == x" }, b: { Filter: "Service.Meta.b == x" } },
      },
      {
        Kind: "service-splitter",
        Name: "web",
        Splits: [
          { Weight: 50, Service: "api", RequestHeaders: { Set: { "x-from": "web" } } },
          { Weight: 50, Service: "web" },
        ],
      },
      {
        Kind: "service-splitter",
        Name: "api",
        Splits: [
          { Weight: 50, ServiceSubset: "a", RequestHeaders: { Set: { "x-subset": "a" } } },
          { Weight: 50, ServiceSubset: "b" },
        ],
      },
    );
    const splits = chain.routes[0]?.splits ?? [];
    assert.deepEqual(
      splits.map((s) => [s.weight, s.target]),
      [
        [2500, t("api", "a")],
        [2500, t("api", "b")],
        [5000, t("web")],
      ],
    );
    assert.deepEqual(splits[0]?.requestHeaders?.set, { "x-from": "web", "x-subset": "a" });
    assert.deepEqual(splits[1]?.requestHeaders?.set, { "x-from": "web" });
  });

  it("should ignore routers and splitters on a tcp service, with a warning naming the entry", () => {
    const result = valid("web", versionResolver, {
      Kind: "service-splitter",
      Name: "web",
      Splits: [{ Weight: 100, ServiceSubset: "v1" }],
    });
    assert.equal(result.chain.routes.length, 1);
    assert.deepEqual(
      result.chain.routes[0]?.splits.map((s) => s.target),
      [t("web")],
    );
    assert.equal(result.warnings.length, 1);
    assert.equal(result.warnings[0]?.entry, "service-splitter/web");
    assert.match(result.warnings[0]?.message ?? "", /protocol "tcp"/);
  });

  it("should route matches in order, ending with the service's own splitter or resolver", () => {
    const { chain } = valid("web", serviceDefaults("web", "http"), serviceDefaults("api", "http"), versionResolver, {
      Kind: "service-router",
      Name: "web",
      Routes: [
        {
          Match: { HTTP: { Header: [{ Name: "x-canary", Exact: "1" }] } },
          Destination: { ServiceSubset: "v2", NumRetries: 3, RetryOn: ["unavailable"], RequestTimeout: "2s" },
        },
        { Match: { HTTP: { PathPrefix: "/admin" } }, Destination: { Service: "api", PrefixRewrite: "/" } },
      ],
    });
    assert.equal(chain.routes.length, 3);
    const [canary, admin, last] = chain.routes;
    assert.deepEqual(
      canary?.match?.header.map((h) => [h.name, h.exact]),
      [["x-canary", "1"]],
    );
    assert.deepEqual(
      canary?.splits.map((s) => s.target),
      [t("web", "v2")],
    );
    assert.equal(canary?.destination?.numRetries, 3);
    assert.equal(canary?.requestTimeoutMs, 2000);
    assert.deepEqual(canary?.source, { entry: "service-router/web", index: 0 });
    assert.equal(admin?.match?.pathPrefix, "/admin");
    assert.deepEqual(
      admin?.splits.map((s) => s.target),
      [t("api")],
    );
    assert.equal(last?.match, undefined);
    assert.equal(last?.source, undefined);
    assert.deepEqual(
      last?.splits.map((s) => s.target),
      [t("web")],
    );
  });

  it("should send a service to its DefaultSubset", () => {
    const { chain } = valid("web", { ...versionResolver, DefaultSubset: "v1" });
    assert.deepEqual(
      chain.routes[0]?.splits.map((s) => s.target),
      [t("web", "v1")],
    );
    assert.equal(chain.isDefault, false);
  });

  it("should follow a redirect and refuse a cyclic one", () => {
    const redirected = valid("legacy", { Kind: "service-resolver", Name: "legacy", Redirect: { Service: "web" } });
    assert.deepEqual(
      redirected.chain.routes[0]?.splits.map((s) => s.target),
      [t("web")],
    );
    assert.ok(redirected.dependencies.services.has("web"), "the redirect's service is a dependency");

    const cyclic = compile(
      "legacy",
      { Kind: "service-resolver", Name: "legacy", Redirect: { Service: "web" } },
      { Kind: "service-resolver", Name: "web", Redirect: { Service: "legacy" } },
    );
    assert.equal(cyclic.chain, undefined);
    assert.match(cyclic.errors[0]?.message ?? "", /^detected circular resolver redirect: \[legacy\.dc1 -> web\.dc1 -> legacy\.dc1\]$/);
  });

  it("should refuse a split loop between splitters", () => {
    const result = compile(
      "web",
      serviceDefaults("web", "http"),
      serviceDefaults("api", "http"),
      { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, Service: "api" }] },
      { Kind: "service-splitter", Name: "api", Splits: [{ Weight: 100, Service: "web" }] },
    );
    assert.equal(result.chain, undefined);
    assert.equal(result.errors[0]?.entry, "service-splitter/api");
    assert.match(result.errors[0]?.message ?? "", /^detected circular reference: \[web -> api -> web\]$/);
  });

  it("should refuse what Consul refuses, naming the entry", () => {
    const cases: Array<[ConsulConfigEntry[], string, RegExp]> = [
      [
        [
          serviceDefaults("web", "http"),
          versionResolver,
          { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 90, ServiceSubset: "v1" }] },
        ],
        "service-splitter/web",
        /^the sum of all split weights must be 100, not 90\.000000$/,
      ],
      [
        [serviceDefaults("web", "http"), { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, ServiceSubset: "v9" }] }],
        "service-splitter/web",
        /^service "web" does not have a subset named "v9"$/,
      ],
      [
        [serviceDefaults("web", "http"), { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, Service: "nowhere" }] }],
        "service-splitter/web",
        /^service "nowhere" does not exist in the catalog the bridge reads$/,
      ],
      [
        [{ Kind: "service-resolver", Name: "web", Subsets: { v1: { Filter: "Service.Meta.version ==" } } }],
        "service-resolver/web",
        /^Filter for subset "v1" is not a valid expression: 1:\d+ \(\d+\): /,
      ],
      [
        [{ Kind: "service-resolver", Name: "web", DefaultSubset: "v1", Subsets: { v1: { Filter: 'Instance.Meta.version == "1"' } } }],
        "service-resolver/web",
        /^Filter for subset "v1" is not a valid expression: 1:1 \(0\): Selector "Instance\.Meta\.version" is not valid$/,
      ],
      [
        [serviceDefaults("web", "http"), { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { PathRegex: "/a(?=b)" } } }] }],
        "service-router/web",
        /^"\/a\(\?=b\)" is not an RE2 regular expression/,
      ],
      [
        [serviceDefaults("web", "http"), { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { PathPrefix: "admin" } } }] }],
        "service-router/web",
        /^Route\[0\] PathPrefix doesn't start with '\/': "admin"$/,
      ],
      [
        [
          serviceDefaults("web", "http"),
          serviceDefaults("api", "grpc"),
          { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, Service: "api" }] },
        ],
        "service-defaults/api",
        /^discovery chain "web" uses inconsistent protocols; service "api" has "grpc" which is not "http"$/,
      ],
      [
        [{ Kind: "service-resolver", Name: "web", Redirect: { Datacenter: "dc9" } }],
        "service-resolver/web",
        /^datacenter "dc9" is not read by the bridge/,
      ],
    ];
    for (const [entries, entry, message] of cases) {
      const result = compile("web", ...entries);
      assert.equal(result.chain, undefined, message.source);
      assert.equal(result.errors[0]?.entry, entry, message.source);
      assert.match(result.errors[0]?.message ?? "", message);
    }
  });

  it("should fail over to another service, instead of --failover-datacenters", () => {
    const { chain, dependencies } = valid("web", {
      Kind: "service-resolver",
      Name: "web",
      Failover: { "*": { Service: "backup" } },
    });
    const web = target(chain, t("web"));
    assert.equal(web.failoverByFlag, false, "the resolver wins");
    assert.deepEqual(
      web.failover.map((f) => [f.service, f.datacenter]),
      [["backup", "dc1"]],
    );
    assert.ok(dependencies.services.has("backup"));
  });

  it("should fail over to datacenters the bridge reads and leave out the others with a warning", () => {
    const result = valid("web", {
      Kind: "service-resolver",
      Name: "web",
      Failover: { "*": { Datacenters: ["dc3", "dc2"] } },
    });
    assert.deepEqual(
      target(result.chain, t("web")).failover.map((f) => [f.service, f.datacenter]),
      [["web", "dc2"]],
    );
    assert.equal(result.warnings[0]?.entry, "service-resolver/web");
    assert.match(result.warnings[0]?.message ?? "", /"dc3"/);
  });

  it("should leave out failover to a peer, a namespace or a partition, and refuse a redirect to one", () => {
    const result = valid("web", {
      Kind: "service-resolver",
      Name: "web",
      Failover: { "*": { Targets: [{ Peer: "east" }, { Service: "backup", Namespace: "default" }, { Service: "api", Partition: "p2" }] } },
    });
    assert.deepEqual(
      target(result.chain, t("web")).failover.map((f) => [f.service, f.datacenter]),
      [["backup", "dc1"]],
      "only the target in the default namespace stays",
    );
    assert.deepEqual(
      result.warnings.map((w) => [w.entry, w.field, /peer "east"|partition "p2"/.test(w.message)]),
      [
        ["service-resolver/web", "Failover.Targets", true],
        ["service-resolver/web", "Failover.Targets", true],
      ],
    );
    const redirected = compile("web", { Kind: "service-resolver", Name: "web", Redirect: { Service: "api", Peer: "east" } });
    assert.equal(redirected.chain, undefined);
    assert.equal(redirected.errors[0]?.field, "Redirect");
    assert.match(redirected.errors[0]?.message ?? "", /peer "east".*not cluster peers/);
  });

  it("should take connection settings from the downstream service's UpstreamConfig, the override merged over the defaults", () => {
    const downstream = serviceDefaults("consul-xds-bridge", "http", {
      UpstreamConfig: {
        Defaults: { ConnectTimeoutMs: 1500, Limits: { MaxConnections: 10 } },
        Overrides: [{ Name: "api", PassiveHealthCheck: { Interval: "10s", MaxFailures: 3 } }],
      },
    });
    const web = target(valid("web", downstream, { Kind: "service-resolver", Name: "web", ConnectTimeout: "3s" }).chain, t("web"));
    assert.equal(web.connectTimeoutMs, 1500, "UpstreamConfig.ConnectTimeoutMs overrides the resolver's");
    assert.deepEqual(web.upstream?.limits, { maxConnections: 10 });
    const api = target(valid("api", downstream, { Kind: "service-resolver", Name: "api", ConnectTimeout: "3s" }).chain, t("api"));
    assert.equal(api.connectTimeoutMs, 1500, "the override sets no ConnectTimeoutMs: the Defaults' applies, over the resolver's");
    assert.deepEqual(api.upstream?.passiveHealthCheck, { intervalMs: 10_000, maxFailures: 3 });
    assert.deepEqual(api.upstream?.limits, { maxConnections: 10 }, "the override sets no Limits: the Defaults' stay (Consul's MergeInto)");
  });

  it("should put the resolver's hash policies and request timeout on the route", () => {
    const { chain } = valid("web", serviceDefaults("web", "http"), {
      Kind: "service-resolver",
      Name: "web",
      RequestTimeout: "7s",
      LoadBalancer: { Policy: "ring_hash", HashPolicies: [{ Field: "header", FieldValue: "x-user" }] },
    });
    const route = chain.routes[0];
    assert.equal(route?.requestTimeoutMs, 7000);
    assert.deepEqual(
      route?.hashPolicies.map((h) => [h.field, h.fieldValue]),
      [["header", "x-user"]],
    );
  });
});
