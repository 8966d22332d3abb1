// The discovery chain where Consul's own behaviour decides (agent/consul/discoverychain/compile.go,
// agent/xds/routes.go, agent/configentry/resolve.go): names that are also Object.prototype keys,
// UpstreamConfig merging, which routes a timeout applies to, the protocol of a service-defaults
// without Protocol, and destinations in other namespaces.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileDiscoveryChain } from "../src/discovery-chain/compile-discovery-chain.js";
import type { ChainContext, ChainTarget } from "../src/discovery-chain/discovery-chain.js";
import { checkConfigEntryGraph } from "../src/discovery-chain/index.js";
import type { ServiceResolverEntry } from "../src/model/config-entry.js";
import { type ConsulConfigEntry, decodeEntry, entriesOf, serviceDefaults } from "./support/config-entries.js";

const known = new Set(["web", "api", "backup"]);

function compile(service: string, raw: ConsulConfigEntry[], extra: Partial<ChainContext> = {}) {
  return compileDiscoveryChain(service, {
    entries: entriesOf(...raw),
    localDatacenter: "dc1",
    servedDatacenters: ["dc1"],
    hasService: (name) => known.has(name),
    downstreamService: "consul-xds-bridge",
    ...extra,
  });
}

function valid(service: string, ...raw: ConsulConfigEntry[]) {
  const result = compile(service, raw);
  assert.deepEqual(result.errors, [], "the chain compiles");
  assert.ok(result.chain);
  return { ...result, chain: result.chain };
}

const t = (service: string, subset = "", dc = "dc1") => JSON.stringify([service, subset, dc]);

function target(chain: { targets: ReadonlyMap<string, ChainTarget> }, id: string): ChainTarget {
  const found = chain.targets.get(id);
  assert.ok(found, `target ${id} in ${[...chain.targets.keys()].join(", ")}`);
  return found;
}

describe("compileDiscoveryChain()", () => {
  describe("entry-supplied names that are also Object.prototype keys", () => {
    it('should compile a subset named "constructor" with a "*" failover, as any other name', () => {
      const { chain } = valid(
        "web",
        serviceDefaults("web", "http"),
        serviceDefaults("backup", "http"),
        {
          Kind: "service-resolver",
          Name: "web",
          Subsets: { constructor: { Filter: 'Service.Meta.version == "1"' } },
          Failover: { "*": { Service: "backup" } },
        },
        { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, ServiceSubset: "constructor" }] },
      );
      const subset = target(chain, t("web", "constructor"));
      assert.equal(subset.filter, 'Service.Meta.version == "1"');
      assert.deepEqual(
        subset.failover.map((f) => [f.service, f.subset]),
        [["backup", undefined]],
        'the "*" failover applies to it',
      );
    });

    it("should refuse a subset that is only an Object.prototype key, naming it", () => {
      for (const name of ["constructor", "valueOf", "__proto__"]) {
        const result = compile("web", [
          serviceDefaults("web", "http"),
          { Kind: "service-resolver", Name: "web", Subsets: { v1: { Filter: "" } }, Failover: { "*": { Service: "backup" } } },
          { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, ServiceSubset: name }] },
        ]);
        assert.equal(result.chain, undefined, name);
        assert.equal(result.errors[0]?.message, `service "web" does not have a subset named ${JSON.stringify(name)}`);
      }
    });

    it('should keep a subset key "__proto__" a key, so Consul\'s name rule refuses it', () => {
      const raw = JSON.parse('{"Kind":"service-resolver","Name":"web","Subsets":{"__proto__":{"Filter":""}}}') as ConsulConfigEntry;
      const entry = decodeEntry(raw) as ServiceResolverEntry;
      assert.deepEqual(Object.keys(entry.subsets), ["__proto__"]);
      assert.equal(Object.getPrototypeOf(entry.subsets), Object.prototype, "the map's prototype is untouched");
      const result = compile("web", [raw]);
      assert.equal(result.chain, undefined);
      assert.match(result.errors[0]?.message ?? "", /Subset "__proto__" is invalid/);
    });
  });

  describe("UpstreamConfig", () => {
    const downstream = (upstream: Record<string, unknown>) => serviceDefaults("consul-xds-bridge", "http", { UpstreamConfig: upstream });
    const apiOf = (...raw: ConsulConfigEntry[]) => target(valid("api", ...raw).chain, t("api")).upstream;

    it("should merge an override over the Defaults field by field, as Consul's MergeInto does", () => {
      const upstream = apiOf(
        downstream({
          Defaults: {
            ConnectTimeoutMs: 1000,
            Limits: { MaxConcurrentRequests: 64, MaxConnections: 8 },
            PassiveHealthCheck: { Interval: "10s", MaxFailures: 4 },
            BalanceOutboundConnections: "exact_balance",
          },
          Overrides: [{ Name: "api", ConnectTimeoutMs: 2000, Limits: { MaxPendingRequests: 3 } }],
        }),
      );
      assert.deepEqual(upstream, {
        connectTimeoutMs: 2000,
        limits: { maxPendingRequests: 3 },
        passiveHealthCheck: { intervalMs: 10_000, maxFailures: 4 },
        balanceOutboundConnections: "exact_balance",
      });
    });

    it("should let a zero ConnectTimeoutMs leave the Defaults' in place, and the last override of a name count", () => {
      const upstream = apiOf(
        downstream({
          Defaults: { ConnectTimeoutMs: 1000 },
          Overrides: [
            { Name: "api", PassiveHealthCheck: { MaxFailures: 1 } },
            { Name: "api", ConnectTimeoutMs: 0, PassiveHealthCheck: { MaxFailures: 9 } },
          ],
        }),
      );
      assert.deepEqual(upstream, { connectTimeoutMs: 1000, passiveHealthCheck: { maxFailures: 9 } });
    });

    it("should apply an override without Defaults, and Defaults to a service without an override", () => {
      assert.deepEqual(apiOf(downstream({ Overrides: [{ Name: "api", ConnectTimeoutMs: 2000 }] })), { connectTimeoutMs: 2000 });
      const webOnly = downstream({ Defaults: { Limits: { MaxConnections: 5 } }, Overrides: [{ Name: "web", ConnectTimeoutMs: 1 }] });
      assert.deepEqual(apiOf(webOnly), { limits: { maxConnections: 5 } });
    });
  });

  describe("splits and routes into another namespace or partition", () => {
    const l7 = [serviceDefaults("web", "http"), serviceDefaults("api", "http")];

    it("should refuse the chain, naming the entry and field, instead of using the default namespace's service", () => {
      const cases: Array<[ConsulConfigEntry, string, string, RegExp]> = [
        [
          { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 50 }, { Weight: 50, Service: "api", Namespace: "team-b" }] },
          "service-splitter/web",
          "Splits[1]",
          /^a split to namespace "team-b": the bridge reads the default partition and namespace/,
        ],
        [
          { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, Service: "api", Partition: "p2" }] },
          "service-splitter/web",
          "Splits[0]",
          /^a split to partition "p2"/,
        ],
        [
          {
            Kind: "service-router",
            Name: "web",
            Routes: [{ Match: { HTTP: { PathPrefix: "/b" } }, Destination: { Service: "api", Namespace: "team-b" } }],
          },
          "service-router/web",
          "Routes[0].Destination",
          /^a route to namespace "team-b"/,
        ],
      ];
      for (const [entry, key, field, message] of cases) {
        const result = compile("web", [...l7, entry]);
        assert.equal(result.chain, undefined, `${key} ${field}`);
        assert.deepEqual([result.errors[0]?.entry, result.errors[0]?.field], [key, field]);
        assert.match(result.errors[0]?.message ?? "", message);
      }
    });

    it("should take the default namespace and partition, written out, as the local ones", () => {
      const { chain } = valid("web", ...l7, {
        Kind: "service-splitter",
        Name: "web",
        Splits: [
          { Weight: 50, Namespace: "default" },
          { Weight: 50, Service: "api", Namespace: "default", Partition: "default" },
        ],
      });
      assert.deepEqual(
        chain.routes[0]?.splits.map((s) => [s.weight, s.target]),
        [
          [5000, t("web")],
          [5000, t("api")],
        ],
      );
    });

    it("should accept them when checking a write, as Consul does", () => {
      const result = compile(
        "web",
        [...l7, { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, Service: "api", Namespace: "team-b" }] }],
        { mode: "consul-write" },
      );
      assert.deepEqual(result.errors, []);
    });
  });

  describe("route timeouts (Consul's agent/xds/routes.go)", () => {
    const resolver: ConsulConfigEntry = {
      Kind: "service-resolver",
      Name: "web",
      RequestTimeout: "3s",
      Subsets: { v1: { Filter: 'Service.Meta.version == "1"' }, v2: { Filter: 'Service.Meta.version == "2"' } },
    };
    const timeouts = (...raw: ConsulConfigEntry[]) =>
      valid("web", serviceDefaults("web", "http"), ...raw).chain.routes.map((r) => r.requestTimeoutMs);

    it("should put a resolver's RequestTimeout only on a chain that starts at the resolver", () => {
      assert.deepEqual(timeouts(resolver), [3000], "no router, no splitter: the resolver's timeout");
      assert.deepEqual(timeouts({ ...resolver, DefaultSubset: "v1" }), [3000], "a DefaultSubset is still the resolver");
      assert.deepEqual(
        timeouts(resolver, { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { PathPrefix: "/admin" } } }] }),
        [undefined, undefined],
        "router routes, the catch-all included, take Destination.RequestTimeout only",
      );
      assert.deepEqual(
        timeouts(resolver, {
          Kind: "service-router",
          Name: "web",
          Routes: [{ Match: { HTTP: { PathPrefix: "/v2" } }, Destination: { ServiceSubset: "v2" } }],
        }),
        [undefined, undefined],
        "even a route straight to one of the resolver's subsets",
      );
      assert.deepEqual(
        timeouts(resolver, { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 100, ServiceSubset: "v1" }] }),
        [undefined],
        "a splitter's route has none, even with a single split",
      );
    });

    it("should read a route Destination's timeouts as Consul does: negative disables (0), zero is unset", () => {
      const { chain } = valid("web", serviceDefaults("web", "http"), {
        Kind: "service-router",
        Name: "web",
        Routes: [
          { Match: { HTTP: { PathPrefix: "/a" } }, Destination: { RequestTimeout: "-1s", IdleTimeout: "-5s" } },
          { Match: { HTTP: { PathPrefix: "/b" } }, Destination: { RequestTimeout: "0s", IdleTimeout: "0s" } },
          { Match: { HTTP: { PathPrefix: "/c" } }, Destination: { RequestTimeout: "2.5s", IdleTimeout: "30s" } },
        ],
      });
      assert.deepEqual(
        chain.routes.map((r) => [r.requestTimeoutMs, r.idleTimeoutMs]),
        [
          [0, 0],
          [undefined, undefined],
          [2500, 30_000],
          [undefined, undefined],
        ],
      );
    });
  });

  describe("the protocol of a service-defaults without Protocol (hashicorp/consul#11457)", () => {
    const entries = [
      { Kind: "proxy-defaults" as const, Name: "global", Config: { protocol: "http" } },
      { Kind: "service-defaults" as const, Name: "web", UpstreamConfig: { Defaults: { ConnectTimeoutMs: 1000 } } },
      {
        Kind: "service-router" as const,
        Name: "web",
        Routes: [{ Match: { HTTP: { PathPrefix: "/a" } }, Destination: { Service: "api" } }],
      },
    ];

    it("should be tcp, as Consul reads it, even when proxy-defaults says http: the router is ignored, saying why", () => {
      const { chain, warnings } = valid("web", ...entries);
      assert.equal(chain.protocol, "tcp");
      assert.equal(chain.routes.length, 1, "the router's route is not applied");
      assert.match(
        warnings[0]?.message ?? "",
        /service-defaults\/web has no Protocol, which Consul reads as tcp even though proxy-defaults sets one/,
      );
      assert.equal(valid("api", ...entries).chain.protocol, "http", "a service without service-defaults takes proxy-defaults'");
    });

    it("should be refused when written, with Consul's text", () => {
      assert.equal(
        checkConfigEntryGraph(entriesOf(...entries)),
        'discovery chain "web" uses a protocol "tcp" that does not permit advanced routing or splitting behavior',
      );
    });
  });

  describe("failover Consul accepts that the bridge cannot serve in full", () => {
    it("should leave out a failover to a service the catalog does not have, with a warning, and keep the chain", () => {
      const { chain, warnings, dependencies } = valid("web", {
        Kind: "service-resolver",
        Name: "web",
        Failover: { "*": { Targets: [{ Service: "ghost" }, { Service: "backup" }] } },
      });
      assert.deepEqual(
        target(chain, t("web")).failover.map((f) => f.service),
        ["backup"],
      );
      assert.deepEqual(
        warnings.map((w) => [w.entry, w.field, w.message]),
        [
          [
            "service-resolver/web",
            "Failover",
            'failover to service "ghost" left out: it is not in the catalog the bridge reads (it applies once the service appears)',
          ],
        ],
      );
      assert.ok(dependencies.services.has("ghost"), "the chain is rebuilt when ghost appears");
    });

    it("should keep --failover-datacenters for the subsets a resolver's Failover does not cover", () => {
      const result = compile(
        "web",
        [
          {
            Kind: "service-resolver",
            Name: "web",
            Subsets: { v1: { Filter: 'Service.Meta.version == "1"' }, v2: { Filter: 'Service.Meta.version == "2"' } },
            Failover: { v1: { Service: "backup" } },
          },
        ],
        { servedDatacenters: ["dc1", "dc2"] },
      );
      assert.ok(result.chain);
      const v1 = target(result.chain, t("web", "v1"));
      const v2 = target(result.chain, t("web", "v2"));
      assert.deepEqual([v1.failoverByFlag, v1.failover.map((f) => f.service)], [false, ["backup"]], "v1: the resolver's failover");
      assert.deepEqual([v2.failoverByFlag, v2.failover], [true, []], "v2: no policy of its own, so the flag's datacenters");
    });
  });
});
