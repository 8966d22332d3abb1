// Endpoint mapping from Consul-shaped health entries: health and weights (Consul's mapping),
// addresses (IPv4/IPv6, fallback, hostnames, duplicates, bad ports), localities and failover
// priorities. Every resource produced in every scenario is validated for its client kind.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cluster_DiscoveryType } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { HealthStatus } from "../src/gen/envoy/config/core/v3/health_check_pb.js";
import type { MappingWarningCode } from "../src/mapping/index.js";
import { type EntrySpec, healthEntry, instanceFromEntry } from "./support/consul-entries.js";
import { addressesOf, mapEntries, summarize } from "./support/mapping-assertions.js";

const { HEALTHY, UNKNOWN } = HealthStatus;

interface EndpointCase {
  name: string;
  entries: EntrySpec[];
  routeWarning?: boolean;
  /** Expected "address:port" → [health, weight], in order. */
  endpoints: Array<[string, HealthStatus, number]>;
  warnings?: MappingWarningCode[];
}

const web = (spec: Partial<EntrySpec>): EntrySpec => ({ service: "web", ...spec });

const cases: EndpointCase[] = [
  { name: "a passing instance, default weights", entries: [web({ nodeAddress: "10.0.0.1" })], endpoints: [["10.0.0.1:8080", HEALTHY, 1]] },
  {
    name: "Service.Address wins over Node.Address",
    entries: [web({ nodeAddress: "10.0.0.1", address: "192.168.1.5", port: 9000 })],
    endpoints: [["192.168.1.5:9000", HEALTHY, 1]],
  },
  {
    name: "empty Service.Address falls back to Node.Address",
    entries: [web({ nodeAddress: "10.0.0.7", address: "" })],
    endpoints: [["10.0.0.7:8080", HEALTHY, 1]],
  },
  { name: "a critical service check removes the instance", entries: [web({ status: "critical" })], endpoints: [] },
  { name: "a critical node check (serfHealth) removes the instance", entries: [web({ nodeStatus: "critical" })], endpoints: [] },
  { name: "an unknown check status counts as critical", entries: [web({ status: "bogus" })], endpoints: [] },
  { name: "a warning check removes the instance under the passing-only policy", entries: [web({ status: "warning" })], endpoints: [] },
  {
    name: "a warning check uses Weights.Warning when warnings are routed",
    entries: [web({ status: "warning", weights: { Passing: 10, Warning: 3 } })],
    routeWarning: true,
    endpoints: [["10.0.0.1:8080", HEALTHY, 3]],
  },
  {
    name: "Weights.Warning 0 removes a warning instance even when warnings are routed",
    entries: [web({ status: "warning", weights: { Passing: 10, Warning: 0 } })],
    routeWarning: true,
    endpoints: [],
  },
  { name: "service maintenance removes the instance", entries: [web({ maintenance: "service" })], endpoints: [] },
  { name: "node maintenance removes the instance", entries: [web({ maintenance: "node" })], endpoints: [] },
  { name: "weight 0 removes the instance", entries: [web({ weights: { Passing: 0, Warning: 1 } })], endpoints: [] },
  { name: "weight 1", entries: [web({ weights: { Passing: 1, Warning: 1 } })], endpoints: [["10.0.0.1:8080", HEALTHY, 1]] },
  { name: "weight 128", entries: [web({ weights: { Passing: 128, Warning: 1 } })], endpoints: [["10.0.0.1:8080", HEALTHY, 128]] },
  {
    name: "weight 200 is capped at 128",
    entries: [web({ weights: { Passing: 200, Warning: 1 } })],
    endpoints: [["10.0.0.1:8080", HEALTHY, 128]],
  },
  { name: "Weights null (catalog API) means 1", entries: [web({ weights: null })], endpoints: [["10.0.0.1:8080", HEALTHY, 1]] },
  {
    name: "IPv6 addresses, canonicalised",
    entries: [web({ node: "n1", address: "2001:DB8:0:0::1" }), web({ node: "n2", address: "::1", port: 9090 })],
    endpoints: [
      ["2001:db8::1:8080", HEALTHY, 1],
      ["::1:9090", HEALTHY, 1],
    ],
  },
  {
    name: "duplicate address:port keeps the first instance",
    entries: [
      web({ node: "n1", id: "a", address: "10.0.0.5" }),
      web({ node: "n2", id: "b", address: "10.0.0.5" }),
      web({ node: "n3", id: "c", address: "10.0.0.5", port: 8081 }),
    ],
    endpoints: [
      ["10.0.0.5:8080", HEALTHY, 1],
      ["10.0.0.5:8081", HEALTHY, 1],
    ],
    warnings: ["duplicate-address"],
  },
  {
    name: "IPv6 duplicates are found after canonicalisation",
    entries: [web({ node: "n1", address: "::1" }), web({ node: "n2", address: "0:0:0:0:0:0:0:1" })],
    endpoints: [["::1:8080", HEALTHY, 1]],
    warnings: ["duplicate-address"],
  },
  {
    name: "a duplicate of an unhealthy instance is not a duplicate",
    entries: [web({ node: "n1", address: "10.0.0.5", status: "critical" }), web({ node: "n2", address: "10.0.0.5" })],
    endpoints: [["10.0.0.5:8080", HEALTHY, 1]],
  },
  {
    name: "port 0 is skipped with a warning",
    entries: [web({ node: "n1", port: 0 }), web({ node: "n2", nodeAddress: "10.0.0.2" })],
    endpoints: [["10.0.0.2:8080", HEALTHY, 1]],
    warnings: ["invalid-port"],
  },
  { name: "port 70000 is skipped with a warning", entries: [web({ port: 70000 })], endpoints: [], warnings: ["invalid-port"] },
  {
    name: "an empty address (service and node) is skipped",
    entries: [web({ nodeAddress: "", address: "" })],
    endpoints: [],
    warnings: ["invalid-address"],
  },
  {
    name: "an address that is not an IP or hostname is skipped",
    entries: [web({ address: "not an address!" })],
    endpoints: [],
    warnings: ["invalid-address"],
  },
  {
    name: "a mistyped IPv4 address is not taken for a hostname",
    entries: [web({ address: "10.0.0.256" })],
    endpoints: [],
    warnings: ["invalid-address"],
  },
  { name: "0.0.0.0 is skipped", entries: [web({ address: "0.0.0.0" })], endpoints: [], warnings: ["invalid-address"] },
  { name: "a scoped IPv6 address is skipped", entries: [web({ address: "fe80::1%eth0" })], endpoints: [], warnings: ["invalid-address"] },
  {
    name: "a hostname instance next to IP instances is skipped with a warning",
    entries: [web({ node: "n1", address: "api.example.com" }), web({ node: "n2", nodeAddress: "10.0.0.2" })],
    endpoints: [["10.0.0.2:8080", HEALTHY, 1]],
    warnings: ["hostname-address"],
  },
];

describe("mapping endpoints from health entries", () => {
  for (const c of cases) {
    it(`should map: ${c.name}`, () => {
      const mapping = mapEntries(c.entries.map(healthEntry), { mapping: { healthPolicy: { routeWarning: c.routeWarning ?? false } } });
      const service = mapping.services.get("web");
      assert.ok(service, "service mapped");
      const assignment = service.envoy.assignment;
      assert.ok(assignment, "EDS assignment");
      const got = summarize(assignment).flatMap((group) => group.endpoints.map((e) => [e.address, e.health, e.weight]));
      assert.deepEqual(got, c.endpoints);
      assert.equal(service.grpc?.assignment, assignment, "gRPC gets the same assignment");
      assert.deepEqual([...new Set(service.warnings.map((w) => w.code))].sort(), [...(c.warnings ?? [])].sort());
      for (const warning of service.warnings) {
        assert.equal(warning.service, "web");
        if (["invalid-port", "invalid-address", "duplicate-address", "hostname-address"].includes(warning.code)) {
          assert.ok(warning.instance && warning.message.includes(warning.instance), `warning names the instance: ${warning.message}`);
        }
      }
    });
  }

  it("should send an empty assignment (no endpoints) when nothing is routable", () => {
    const mapping = mapEntries([healthEntry(web({ status: "critical" }))]);
    assert.deepEqual(
      mapping.envoy.assignments.map((a) => [a.clusterName, a.endpoints.length]),
      [["web", 0]],
    );
    assert.deepEqual(
      mapping.grpc.assignments.map((a) => [a.clusterName, a.endpoints.length]),
      [["web", 0]],
    );
  });

  it("should send an empty assignment for a service Consul knows with no instance", () => {
    const mapping = mapEntries([], { services: { dc1: ["ghost"] } });
    assert.deepEqual(
      mapping.envoy.clusters.map((c) => c.name),
      ["ghost"],
    );
    assert.equal(mapping.envoy.assignments[0]?.endpoints.length, 0);
  });

  it("should group endpoints by (datacenter, zone) localities weighted by the sum of endpoint weights", () => {
    const mapping = mapEntries([
      healthEntry(web({ node: "a1", nodeAddress: "10.0.1.1", nodeMeta: { zone: "a" }, weights: { Passing: 3, Warning: 1 } })),
      healthEntry(web({ node: "a2", nodeAddress: "10.0.1.2", nodeMeta: { zone: "a" }, weights: { Passing: 200, Warning: 1 } })),
      healthEntry(web({ node: "b1", nodeAddress: "10.0.2.1", nodeMeta: { zone: "b" } })),
      healthEntry(web({ node: "c1", nodeAddress: "10.0.3.1", nodeMeta: {} })),
    ]);
    const groups = summarize(mapping.services.get("web")!.envoy.assignment!);
    assert.deepEqual(
      groups.map((g) => [g.priority, g.region, g.zone, g.weight, g.endpoints.length]),
      [
        [0, "dc1", "a", 131, 2],
        [0, "dc1", "b", 1, 1],
        [0, "dc1", "", 1, 1],
      ],
    );
  });

  it("should read the zone from a configurable node-meta key", () => {
    const mapping = mapEntries([healthEntry(web({ nodeMeta: { zone: "ignored", "topology.zone": "eu-1a" } }))], {
      mapping: { zoneMetaKey: "topology.zone" },
    });
    assert.equal(summarize(mapping.services.get("web")!.envoy.assignment!)[0]?.zone, "eu-1a");
  });

  it("should convert health entries exactly as the Consul reference documents", () => {
    const entry = healthEntry({
      service: "web",
      id: "web-1",
      node: "n1",
      nodeAddress: "10.0.0.9",
      address: "",
      weights: null,
      status: "warning",
      maintenance: "service",
    });
    const instance = instanceFromEntry(entry);
    assert.equal(instance.address, "10.0.0.9");
    assert.deepEqual(instance.weights, { passing: 1, warning: 1 });
    assert.deepEqual(instance.health, { status: "critical", maintenance: "service" });
  });
});

describe("mapping failover datacenters", () => {
  const entries = (spec: { dc1?: string; dc2?: string; dc3?: string }) =>
    Object.entries(spec).map(([dc, status], i) =>
      healthEntry(web({ node: `${dc}-n`, datacenter: dc, nodeAddress: `10.${i + 1}.0.1`, status })),
    );
  const failover = { failoverDatacenters: ["dc2", "dc3"] };
  const table: Array<{ name: string; statuses: { dc1?: string; dc2?: string; dc3?: string }; expected: Array<[number, string]> }> = [
    {
      name: "every datacenter healthy: priorities 0, 1, 2",
      statuses: { dc1: "passing", dc2: "passing", dc3: "passing" },
      expected: [
        [0, "dc1"],
        [1, "dc2"],
        [2, "dc3"],
      ],
    },
    {
      name: "local datacenter down: dc2 moves to priority 0",
      statuses: { dc1: "critical", dc2: "passing", dc3: "passing" },
      expected: [
        [0, "dc2"],
        [1, "dc3"],
      ],
    },
    {
      name: "middle datacenter down: no gap",
      statuses: { dc1: "passing", dc2: "critical", dc3: "passing" },
      expected: [
        [0, "dc1"],
        [1, "dc3"],
      ],
    },
    {
      name: "a datacenter without the service: no gap",
      statuses: { dc1: "passing", dc3: "passing" },
      expected: [
        [0, "dc1"],
        [1, "dc3"],
      ],
    },
    { name: "only the last datacenter left", statuses: { dc1: "critical", dc2: "critical", dc3: "passing" }, expected: [[0, "dc3"]] },
    { name: "nothing routable anywhere", statuses: { dc1: "critical", dc2: "critical", dc3: "critical" }, expected: [] },
  ];
  for (const row of table) {
    it(`should assign contiguous priorities: ${row.name}`, () => {
      const mapping = mapEntries(entries(row.statuses), failover);
      const assignment = mapping.services.get("web")!.envoy.assignment!;
      assert.deepEqual(
        summarize(assignment).map((g) => [g.priority, g.region]),
        row.expected,
      );
    });
  }

  it("should ignore datacenters that are neither local nor failover, and a failover list naming the local one", () => {
    const mapping = mapEntries(
      [healthEntry(web({ datacenter: "dc1", nodeAddress: "10.1.0.1" })), healthEntry(web({ datacenter: "dc9", nodeAddress: "10.9.0.1" }))],
      { failoverDatacenters: ["dc1"] },
    );
    assert.deepEqual(addressesOf(mapping.services.get("web")!.envoy.assignment!), ["10.1.0.1:8080"]);
  });

  it("should keep the local instance when a failover instance has the same address", () => {
    const mapping = mapEntries(
      [healthEntry(web({ datacenter: "dc2", nodeAddress: "10.0.0.1" })), healthEntry(web({ datacenter: "dc1", nodeAddress: "10.0.0.1" }))],
      { failoverDatacenters: ["dc2"] },
    );
    const groups = summarize(mapping.services.get("web")!.envoy.assignment!);
    assert.deepEqual(
      groups.map((g) => [g.priority, g.region]),
      [[0, "dc1"]],
    );
  });

  it("should fail over to a datacenter when the local one is in maintenance", () => {
    const mapping = mapEntries(
      [
        healthEntry(web({ node: "l1", datacenter: "dc1", nodeAddress: "10.1.0.1", maintenance: "node" })),
        healthEntry(web({ node: "l2", datacenter: "dc1", nodeAddress: "10.1.0.2", maintenance: "service" })),
        healthEntry(web({ node: "r1", datacenter: "dc2", nodeAddress: "10.2.0.1" })),
      ],
      { failoverDatacenters: ["dc2"] },
    );
    assert.deepEqual(
      summarize(mapping.services.get("web")!.envoy.assignment!).map((g) => [g.priority, g.region, g.endpoints.length]),
      [[0, "dc2", 1]],
    );
  });
});

describe("mapping hostname services", () => {
  it("should serve an all-hostname service to Envoy as STRICT_DNS and leave it out for gRPC", () => {
    const mapping = mapEntries(
      [
        healthEntry({ service: "ext", node: "n1", address: "API.Example.com." }),
        healthEntry({ service: "ext", node: "n2", address: "api.example.com" }),
        healthEntry({ service: "ext", node: "n3", address: "backup.example.com", status: "critical" }),
        healthEntry({ service: "ext", node: "n4", address: "other.example.com", datacenter: "dc2" }),
      ],
      { failoverDatacenters: ["dc2"] },
    );
    const service = mapping.services.get("ext")!;
    assert.equal(service.grpc, undefined);
    assert.deepEqual(mapping.grpc.clusters, []);
    assert.deepEqual(mapping.grpc.listeners, []);
    const cluster = mapping.envoy.clusters.find((c) => c.name === "ext")!;
    assert.deepEqual(cluster.clusterDiscoveryType, { case: "type", value: Cluster_DiscoveryType.STRICT_DNS });
    assert.equal(service.envoy.assignment, undefined);
    assert.deepEqual(mapping.envoy.assignments, [], "no EDS assignment for a DNS cluster");
    const inline = cluster.loadAssignment!;
    assert.deepEqual(
      summarize(inline).map((g) => [g.priority, g.region, g.endpoints.map((e) => e.address)]),
      [
        [0, "dc1", ["api.example.com:8080"]],
        [1, "dc2", ["other.example.com:8080"]],
      ],
    );
    const codes = service.warnings.map((w) => w.code);
    assert.ok(codes.includes("dns-cluster"));
    assert.ok(codes.includes("duplicate-address"), "hostnames are deduplicated case-insensitively");
  });

  it("should keep the cluster type when health changes", () => {
    const healthy = mapEntries([healthEntry({ service: "ext", address: "api.example.com" })]);
    const down = mapEntries([healthEntry({ service: "ext", address: "api.example.com", status: "critical" })]);
    for (const mapping of [healthy, down]) {
      assert.deepEqual(mapping.envoy.clusters[0]!.clusterDiscoveryType, { case: "type", value: Cluster_DiscoveryType.STRICT_DNS });
    }
    assert.equal(down.envoy.clusters[0]!.loadAssignment!.endpoints.length, 0);
  });
});

describe("mapping with fail-open", () => {
  const failOpen = { "xds-bridge-when-unhealthy": "fail-open" };
  it("should serve every non-maintenance instance with UNKNOWN health when none is routable", () => {
    const mapping = mapEntries([
      healthEntry(web({ node: "n1", nodeAddress: "10.0.0.1", status: "critical", meta: failOpen })),
      healthEntry(web({ node: "n2", nodeAddress: "10.0.0.2", status: "warning", meta: failOpen, weights: { Passing: 50, Warning: 5 } })),
      healthEntry(web({ node: "n3", nodeAddress: "10.0.0.3", maintenance: "service", meta: failOpen })),
    ]);
    const service = mapping.services.get("web")!;
    const got = summarize(service.envoy.assignment!).flatMap((g) => g.endpoints.map((e) => [e.address, e.health, e.weight]));
    assert.deepEqual(got, [
      ["10.0.0.1:8080", UNKNOWN, 1],
      ["10.0.0.2:8080", UNKNOWN, 1],
    ]);
    assert.ok(service.warnings.some((w) => w.code === "fail-open"));
  });

  it("should not fail open while any datacenter has a routable instance", () => {
    const mapping = mapEntries(
      [
        healthEntry(web({ datacenter: "dc1", nodeAddress: "10.1.0.1", status: "critical", meta: failOpen })),
        healthEntry(web({ datacenter: "dc2", nodeAddress: "10.2.0.1", meta: failOpen })),
      ],
      { failoverDatacenters: ["dc2"] },
    );
    const got = summarize(mapping.services.get("web")!.envoy.assignment!).map((g) => [g.priority, g.region, g.endpoints[0]?.health]);
    assert.deepEqual(got, [[0, "dc2", HEALTHY]]);
  });

  it("should stay empty when failing closed (the default)", () => {
    const mapping = mapEntries([healthEntry(web({ status: "critical" }))]);
    assert.equal(mapping.services.get("web")!.envoy.assignment!.endpoints.length, 0);
  });
});
