import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeConfigEntry } from "../src/consul/decode-config-entry.js";
import { ConfigEntryStore } from "../src/model/config-entry-store.js";
import { validateConfigEntry } from "../src/model/validate-config-entry.js";
import { decodeEntry } from "./support/config-entries.js";

describe("decodeConfigEntry()", () => {
  it("should read a resolver as Consul's API returns it", () => {
    const decoded = decodeConfigEntry(
      {
        Kind: "service-resolver",
        Name: "web",
        DefaultSubset: "v1",
        Subsets: { v1: { Filter: "Service.Meta.version == 1" }, v2: { Filter: "Service.Meta.version == 2", OnlyPassing: true } },
        Failover: { "*": { Datacenters: ["dc2"] } },
        ConnectTimeout: "15s",
        LoadBalancer: {
          Policy: "ring_hash",
          RingHashConfig: { MinimumRingSize: 1024 },
          HashPolicies: [{ Field: "header", FieldValue: "x-user", Terminal: true }],
        },
        CreateIndex: 10,
        ModifyIndex: 12,
      },
      "service-resolver",
    );
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.notes, { unknown: [], invalid: [] });
    assert.deepEqual(decoded.entry, {
      kind: "service-resolver",
      name: "web",
      modifyIndex: 12,
      defaultSubset: "v1",
      subsets: {
        v1: { filter: "Service.Meta.version == 1", onlyPassing: false },
        v2: { filter: "Service.Meta.version == 2", onlyPassing: true },
      },
      failover: { "*": { datacenters: ["dc2"], targets: [] } },
      connectTimeoutMs: 15_000,
      loadBalancer: {
        policy: "ring_hash",
        ringHash: { minimumRingSize: 1024 },
        hashPolicies: [{ field: "header", fieldValue: "x-user", sourceIp: false, terminal: true }],
      },
    });
  });

  it("should take snake_case spellings and nanosecond durations, as Consul's decoder does", () => {
    const entry = decodeEntry({
      Kind: "service-defaults",
      Name: "web",
      protocol: "HTTP",
      upstream_config: {
        defaults: {
          connect_timeout_ms: 250,
          passive_health_check: { interval: 10_000_000_000, max_failures: 5, base_ejection_time: "30s" },
        },
      },
    });
    assert.deepEqual(entry, {
      kind: "service-defaults",
      name: "web",
      modifyIndex: 0,
      protocol: "http",
      upstreamDefaults: { connectTimeoutMs: 250, passiveHealthCheck: { intervalMs: 10_000, maxFailures: 5, baseEjectionTimeMs: 30_000 } },
      upstreamOverrides: [],
    });
  });

  it("should note unknown fields and ignore wrongly typed ones without refusing the entry", () => {
    const decoded = decodeConfigEntry(
      {
        Kind: "service-router",
        Name: "web",
        Routes: [
          { Match: { HTTP: { PathPrefix: "/a", Fancy: true } }, Destination: { NumRetries: "three", RetryOn: ["5xx"] } },
          "nonsense",
        ],
        FutureField: { x: 1 },
      },
      "service-router",
    );
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.notes.unknown.sort(), ["FutureField", "Routes[0].Match.HTTP.Fancy"]);
    assert.deepEqual(decoded.notes.invalid.sort(), [
      "Routes[0].Destination.NumRetries is not a non-negative number; ignored",
      "Routes[1] is not an object",
    ]);
    assert.equal(decoded.entry.kind, "service-router");
    if (decoded.entry.kind === "service-router") {
      assert.equal(decoded.entry.routes.length, 1);
      assert.equal(decoded.entry.routes[0]?.match?.pathPrefix, "/a");
      assert.equal(decoded.entry.routes[0]?.destination?.numRetries, undefined);
      assert.deepEqual(decoded.entry.routes[0]?.destination?.retryOn, ["5xx"]);
    }
  });

  it("should keep a route Destination's negative timeouts, which Consul accepts (they disable the timeout)", () => {
    const decoded = decodeConfigEntry(
      { Kind: "service-router", Name: "web", Routes: [{ Destination: { RequestTimeout: "-1s", IdleTimeout: -2_000_000_000 } }] },
      "service-router",
    );
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.notes.invalid, []);
    const destination = decoded.entry.kind === "service-router" ? decoded.entry.routes[0]?.destination : undefined;
    assert.deepEqual([destination?.requestTimeoutMs, destination?.idleTimeoutMs], [-1000, -2000]);
    const resolver = decodeConfigEntry({ Kind: "service-resolver", Name: "web", ConnectTimeout: "-1s" }, "service-resolver");
    assert.ok(resolver.ok);
    assert.deepEqual(resolver.notes.invalid, ['ConnectTimeout is not a duration such as "15s"; ignored'], "a resolver's must be >= 0");
  });

  it("should read only protocol from proxy-defaults' free-form Config", () => {
    const entry = decodeEntry({
      Kind: "proxy-defaults",
      Name: "global",
      Config: { protocol: "gRPC", envoy_extra_static_clusters_json: "{}" },
    });
    assert.deepEqual(entry, { kind: "proxy-defaults", name: "global", modifyIndex: 0, protocol: "grpc" });
  });

  it("should refuse only what cannot be an entry, with a reason", () => {
    assert.deepEqual(decodeConfigEntry([], "service-router"), { ok: false, name: undefined, reason: "not a JSON object" });
    assert.deepEqual(decodeConfigEntry({ Kind: "service-router" }, "service-router"), { ok: false, name: undefined, reason: "no Name" });
    assert.deepEqual(decodeConfigEntry({ Kind: "service-splitter", Name: "x" }, "service-router"), {
      ok: false,
      name: "x",
      reason: 'Kind is "service-splitter", not service-router',
    });
  });
});

describe("validateConfigEntry()", () => {
  it("should give Consul's texts for entries Consul refuses", () => {
    const cases: Array<[Parameters<typeof decodeEntry>[0], string]> = [
      [{ Kind: "service-splitter", Name: "web", Splits: [] }, "no splits configured"],
      [
        { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 50 }, { Weight: 50 }] },
        'split destination occurs more than once: service="web", subset="", namespace="", partition=""',
      ],
      [
        { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 33.33 }, { Weight: 66.66, Service: "b" }] },
        "the sum of all split weights must be 100, not 99.990000",
      ],
      [{ Kind: "service-resolver", Name: "web", DefaultSubset: "v1" }, 'DefaultSubset "v1" is not a valid subset'],
      [{ Kind: "service-resolver", Name: "web", Subsets: { V1: {} } }, /^Subset "V1" is invalid: must be 63 characters or fewer/.source],
      [
        { Kind: "service-resolver", Name: "web", Redirect: { Service: "a" }, Failover: { "*": { Service: "b" } } },
        "Redirect and Failover cannot both be set",
      ],
      [{ Kind: "service-resolver", Name: "web", Failover: { v1: { Service: "b" } } }, 'Bad Failover["v1"]: not a valid subset subset'],
      [
        { Kind: "service-resolver", Name: "web", LoadBalancer: { Policy: "fastest" } },
        'Bad LoadBalancer policy: "fastest" is not supported',
      ],
      [
        {
          Kind: "service-resolver",
          Name: "web",
          LoadBalancer: { Policy: "round_robin", HashPolicies: [{ Field: "header", FieldValue: "x" }] },
        },
        'Bad LoadBalancer configuration: HashPolicies specified for non-hash-based Policy: "round_robin"',
      ],
      [
        { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { PathExact: "/a", PathPrefix: "/b" } } }] },
        "Route[0] should only contain at most one of PathExact, PathPrefix, or PathRegex",
      ],
      [
        { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { Header: [{ Name: "x" }] } } }] },
        "Route[0] Header[0] should only contain one of Present, Exact, Prefix, Suffix, or Regex",
      ],
      [
        { Kind: "service-router", Name: "web", Routes: [{ Match: { HTTP: { Methods: ["GET", "get"] } } }] },
        'Route[0] Methods contains "GET" more than once',
      ],
      [
        { Kind: "service-router", Name: "web", Routes: [{ Destination: { PrefixRewrite: "/" } }] },
        "Route[0] cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix",
      ],
      [
        { Kind: "service-router", Name: "web", Routes: [{ Destination: { RetryOn: ["sometimes"] } }] },
        'Route[0] contains an invalid retry condition: "sometimes"',
      ],
    ];
    for (const [raw, expected] of cases) {
      const problem = validateConfigEntry(decodeEntry(raw));
      if (expected.startsWith("^")) assert.match(problem ?? "", new RegExp(expected));
      else assert.equal(problem, expected);
    }
  });

  it("should accept the entries of Consul's documentation", () => {
    const entries = [
      {
        Kind: "service-splitter",
        Name: "web",
        Splits: [
          { Weight: 90, ServiceSubset: "v1" },
          { Weight: 10, ServiceSubset: "v2" },
        ],
      },
      {
        Kind: "service-resolver",
        Name: "web",
        DefaultSubset: "v1",
        Subsets: { v1: { Filter: "Service.Meta.version == v1" }, v2: { Filter: "Service.Meta.version == v2" } },
      },
      { Kind: "service-resolver", Name: "web", ConnectTimeout: "15s", Failover: { "*": { Datacenters: ["dc3", "dc4"] } } },
      {
        Kind: "service-router",
        Name: "web",
        Routes: [{ Match: { HTTP: { PathPrefix: "/admin" } }, Destination: { Service: "admin", PrefixRewrite: "/" } }],
      },
    ] as const;
    for (const raw of entries) assert.equal(validateConfigEntry(decodeEntry(raw as never)), undefined, JSON.stringify(raw));
  });
});

describe("ConfigEntryStore", () => {
  it("should report exactly the keys a kind's answer changed, ignoring rewrites with equal content", () => {
    const store = new ConfigEntryStore();
    const changes: string[][] = [];
    store.onChange((change) => changes.push([...change.keys].sort()));
    const resolver = (name: string, timeout: string, index: number) =>
      decodeEntry({ Kind: "service-resolver", Name: name, ConnectTimeout: timeout, ModifyIndex: index });
    store.replaceKind("service-resolver", [resolver("a", "1s", 5), resolver("b", "1s", 6)]);
    store.replaceKind("service-resolver", [resolver("a", "1s", 9), resolver("b", "2s", 10)]);
    store.replaceKind("service-resolver", [resolver("b", "2s", 10)]);
    assert.deepEqual(changes, [["service-resolver/a", "service-resolver/b"], ["service-resolver/b"], ["service-resolver/a"]]);
    assert.equal(store.view().resolver("b")?.connectTimeoutMs, 2000);
    assert.equal(store.view().resolver("a"), undefined);
  });

  it("should be synced once every kind has been read, or when told", async () => {
    const store = new ConfigEntryStore();
    let synced = false;
    void store.whenSynced().then(() => (synced = true));
    for (const kind of ["service-defaults", "proxy-defaults", "service-router", "service-splitter"] as const) store.replaceKind(kind, []);
    await Promise.resolve();
    assert.equal(synced, false);
    store.replaceKind("service-resolver", []);
    await Promise.resolve();
    assert.equal(synced, true);
  });
});
