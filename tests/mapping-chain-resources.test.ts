import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@bufbuild/protobuf";
import { compileDiscoveryChain } from "../src/discovery-chain/compile-discovery-chain.js";
import { Cluster_LbPolicy } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { HeaderValueOption_HeaderAppendAction } from "../src/gen/envoy/config/core/v3/base_pb.js";
import type { ClusterLoadAssignment } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { Route } from "../src/gen/envoy/config/route/v3/route_components_pb.js";
import { buildChainResources, type ChainResources } from "../src/mapping/build-chain-resources.js";
import { buildChainRouteConfiguration } from "../src/mapping/build-chain-route-configuration.js";
import { type ClientKind, httpProtocolOptionsKey, resolveMappingOptions } from "../src/mapping/index.js";
import type { ModelView } from "../src/model/service-model.js";
import { validateXdsResource } from "../src/validate/index.js";
import { type ConsulConfigEntry, entriesOf, serviceDefaults, versionSplit, versionSubsets } from "./support/config-entries.js";
import { type EntrySpec, healthEntry, modelOf } from "./support/consul-entries.js";

const options = resolveMappingOptions();

/** The publisher's gate: Envoy's rules, plus grpc-js-xds's (with the authority clients dial) for gRPC. */
function assertValidFor(kind: ClientKind, message: Message, authority?: string): void {
  const result = validateXdsResource(message, { client: kind, ...(authority !== undefined ? { authority } : {}) });
  assert.ok(result.valid, `${message.$typeName} for ${kind} is invalid: ${result.valid ? "" : JSON.stringify(result.errors)}`);
}

function viewOf(specs: EntrySpec[], failoverDatacenters: string[] = []): ModelView {
  return modelOf(specs.map(healthEntry), { failoverDatacenters }).view();
}

/** The web service in two versions (meta `version`), two instances each, plus a backup service. */
const fleet: EntrySpec[] = [
  { service: "web", id: "web-v1-a", node: "n1", nodeAddress: "10.0.1.1", meta: { version: "1" } },
  { service: "web", id: "web-v1-b", node: "n2", nodeAddress: "10.0.1.2", meta: { version: "1" } },
  { service: "web", id: "web-v2-a", node: "n3", nodeAddress: "10.0.2.1", meta: { version: "2" } },
  { service: "web", id: "web-v2-b", node: "n4", nodeAddress: "10.0.2.2", meta: { version: "2" }, status: "warning" },
  { service: "backup", id: "backup-a", node: "n5", nodeAddress: "10.0.9.1" },
];

const subsets = versionSubsets("web");
const split9010 = versionSplit("web", 90, 10);

function build(kind: ClientKind, view: ModelView, ...raw: ConsulConfigEntry[]): ChainResources {
  const entries = entriesOf(...raw);
  const compiled = compileDiscoveryChain("web", {
    entries,
    localDatacenter: view.localDatacenter,
    servedDatacenters: [view.localDatacenter, ...view.failoverDatacenters],
    hasService: (name) => view.services.has(name),
    downstreamService: "consul-xds-bridge",
  });
  assert.deepEqual(compiled.errors, []);
  assert.ok(compiled.chain);
  const resources = buildChainResources({ view, chain: compiled.chain, entries, kind, options, downstreamService: "consul-xds-bridge" });
  for (const message of [...resources.clusters, ...resources.assignments]) assertValidFor(kind, message);
  const routeConfiguration = buildChainRouteConfiguration(
    kind === "grpc" ? "web" : "consul-xds-bridge:http",
    "web",
    ["web"],
    resources.routes,
  );
  assertValidFor(kind, routeConfiguration, kind === "grpc" ? "web" : undefined);
  return resources;
}

function endpointsOf(assignment: ClusterLoadAssignment | undefined): string[][] {
  assert.ok(assignment);
  const byPriority: string[][] = [];
  for (const locality of assignment.endpoints) {
    const list = (byPriority[locality.priority] ??= []);
    for (const lb of locality.lbEndpoints) {
      const endpoint = lb.hostIdentifier.case === "endpoint" ? lb.hostIdentifier.value : undefined;
      const socket = endpoint?.address?.address.case === "socketAddress" ? endpoint.address.address.value : undefined;
      list.push(socket?.address ?? "?");
    }
  }
  return byPriority.map((list) => list.sort());
}

function action(route: Route | undefined) {
  assert.ok(route);
  assert.equal(route.action.case, "route");
  return route.action.value;
}

const http = serviceDefaults("web", "http");

describe("buildChainResources()", () => {
  it("should give each subset its own cluster and assignment and split 90/10 between them", () => {
    for (const kind of ["envoy", "grpc"] as const) {
      const resources = build(kind, viewOf(fleet), http, subsets, split9010);
      assert.deepEqual(
        resources.clusters.map((c) => c.name),
        ["web:v1", "web:v2", "web"],
        "each subset, and web as a whole on standby (no route uses it now)",
      );
      const assignments = new Map(resources.assignments.map((a) => [a.clusterName, a]));
      assert.deepEqual(endpointsOf(assignments.get("web:v1")), [["10.0.1.1", "10.0.1.2"]]);
      assert.deepEqual(
        endpointsOf(assignments.get("web:v2")),
        [["10.0.2.1"]],
        "the warning instance is left out by the passing-only policy",
      );
      assert.equal(resources.routes.length, 1);
      const value = action(resources.routes[0]);
      assert.equal(value.clusterSpecifier.case, "weightedClusters");
      if (value.clusterSpecifier.case === "weightedClusters") {
        assert.deepEqual(
          value.clusterSpecifier.value.clusters.map((c) => [c.name, c.weight]),
          [
            ["web:v1", 9000],
            ["web:v2", 1000],
          ],
        );
        assert.equal(value.clusterSpecifier.value.totalWeight, kind === "grpc" ? 10_000 : undefined);
      }
    }
  });

  it("should route a header match to its subset, with Consul's retries and timeouts for Envoy and the gRPC subset of them", () => {
    const router: ConsulConfigEntry = {
      Kind: "service-router",
      Name: "web",
      Routes: [
        {
          Match: { HTTP: { Header: [{ Name: "x-canary", Exact: "yes" }] } },
          Destination: {
            ServiceSubset: "v2",
            NumRetries: 3,
            RetryOn: ["unavailable", "5xx"],
            RetryOnConnectFailure: true,
            RetryOnStatusCodes: [503],
            RequestTimeout: "2s",
            IdleTimeout: "30s",
          },
        },
      ],
    };
    const envoy = build("envoy", viewOf(fleet), http, subsets, router);
    assert.equal(envoy.routes.length, 2);
    const canary = envoy.routes[0]!;
    assert.deepEqual(
      canary.match?.headers.map((h) => [
        h.name,
        h.headerMatchSpecifier.case,
        h.headerMatchSpecifier.case === "stringMatch" ? h.headerMatchSpecifier.value.matchPattern.value : undefined,
      ]),
      [["x-canary", "stringMatch", "yes"]],
    );
    const envoyAction = action(canary);
    assert.deepEqual(envoyAction.clusterSpecifier, { case: "cluster", value: "web:v2" });
    assert.equal(envoyAction.retryPolicy?.retryOn, "unavailable,5xx,connect-failure,retriable-status-codes");
    assert.equal(envoyAction.retryPolicy?.numRetries, 3);
    assert.deepEqual(envoyAction.retryPolicy?.retriableStatusCodes, [503]);
    assert.equal(envoyAction.timeout?.seconds, 2n);
    assert.equal(envoyAction.idleTimeout?.seconds, 30n);
    assert.deepEqual(action(envoy.routes[1]).clusterSpecifier, { case: "cluster", value: "web" }, "the implicit last route");

    const grpc = build("grpc", viewOf(fleet), http, subsets, router);
    const grpcCanary = grpc.routes[0]!;
    assert.equal(grpcCanary.match?.headers[0]?.headerMatchSpecifier.case, "exactMatch");
    const grpcAction = action(grpcCanary);
    assert.equal(grpcAction.retryPolicy?.retryOn, "unavailable");
    assert.equal(grpcAction.retryPolicy?.numRetries, 3);
    assert.equal(grpcAction.timeout, undefined);
    assert.equal(grpcAction.maxStreamDuration?.maxStreamDuration?.seconds, 2n);
    assert.equal(grpcAction.idleTimeout, undefined);
    const leftOut = grpc.warnings.filter((w) => w.code === "unsupported-for-grpc").map((w) => w.message);
    for (const field of [
      "Destination.RetryOn",
      "Destination.RetryOnConnectFailure",
      "Destination.RetryOnStatusCodes",
      "Destination.IdleTimeout",
    ]) {
      assert.ok(
        leftOut.some((m) => m.startsWith(`service-router/web Routes[0].${field}:`)),
        `a warning names ${field}: ${leftOut.join(" | ")}`,
      );
    }
  });

  it("should leave out for gRPC the routes that could never match a gRPC call, and keep them for Envoy", () => {
    const router: ConsulConfigEntry = {
      Kind: "service-router",
      Name: "web",
      Routes: [
        { Match: { HTTP: { Methods: ["GET"] } }, Destination: { ServiceSubset: "v1" } },
        { Match: { HTTP: { QueryParam: [{ Name: "debug", Present: true }] } }, Destination: { ServiceSubset: "v2" } },
        { Match: { HTTP: { PathPrefix: "/api/", Methods: ["POST"] } }, Destination: { ServiceSubset: "v2", PrefixRewrite: "/" } },
      ],
    };
    const envoy = build("envoy", viewOf(fleet), http, subsets, router);
    assert.equal(envoy.routes.length, 4);
    assert.deepEqual(
      envoy.routes[0]?.match?.headers.map((h) => h.name),
      [":method"],
    );
    assert.deepEqual(
      envoy.routes[1]?.match?.queryParameters.map((q) => [q.name, q.queryParameterMatchSpecifier.case]),
      [["debug", "presentMatch"]],
    );
    assert.equal(action(envoy.routes[2]).prefixRewrite, "/");

    const grpc = build("grpc", viewOf(fleet), http, subsets, router);
    assert.equal(grpc.routes.length, 2, "the GET route and the query route are left out");
    assert.equal(grpc.routes[0]?.match?.pathSpecifier.value, "/api/");
    assert.deepEqual(grpc.routes[0]?.match?.headers, [], "POST always matches a gRPC call");
    assert.equal(action(grpc.routes[0]).prefixRewrite, "");
    const messages = grpc.warnings.map((w) => w.message);
    assert.ok(messages.some((m) => m.startsWith("service-router/web Routes[0].Match.HTTP.Methods:")));
    assert.ok(messages.some((m) => m.startsWith("service-router/web Routes[1].Match.HTTP.QueryParam:")));
    assert.ok(messages.some((m) => m.startsWith("service-router/web Routes[2].Destination.PrefixRewrite:")));
  });

  it("should serve resolver failover as the next priority of the target's assignment", () => {
    const failover: ConsulConfigEntry = { Kind: "service-resolver", Name: "web", Failover: { "*": { Service: "backup" } } };
    const healthy = build("envoy", viewOf(fleet), failover);
    assert.deepEqual(endpointsOf(healthy.assignments[0]), [["10.0.1.1", "10.0.1.2", "10.0.2.1"], ["10.0.9.1"]]);
    const down = fleet.map((spec) => (spec.service === "web" ? { ...spec, status: "critical" } : spec));
    const failed = build("grpc", viewOf(down), failover);
    assert.deepEqual(endpointsOf(failed.assignments[0]), [["10.0.9.1"]], "with no healthy web instance, backup is priority 0");
  });

  it("should keep --failover-datacenters for a subset when the resolver has no Failover", () => {
    const twoDcs = [
      ...fleet,
      { service: "web", id: "web-v1-dc2", node: "m1", nodeAddress: "10.1.1.1", datacenter: "dc2", meta: { version: "1" } },
    ];
    const resources = build("envoy", viewOf(twoDcs, ["dc2"]), { ...subsets, DefaultSubset: "v1" });
    assert.deepEqual(endpointsOf(resources.assignments[0]), [["10.0.1.1", "10.0.1.2"], ["10.1.1.1"]]);
  });

  it("should turn the downstream's UpstreamConfig into circuit breakers and outlier detection, as far as each kind can", () => {
    const downstream = serviceDefaults("consul-xds-bridge", "http", {
      UpstreamConfig: {
        Overrides: [
          {
            Name: "web",
            ConnectTimeoutMs: 750,
            Limits: { MaxConnections: 100, MaxPendingRequests: 10, MaxConcurrentRequests: 50 },
            PassiveHealthCheck: {
              Interval: "10s",
              MaxFailures: 5,
              EnforcingConsecutive5xx: 80,
              MaxEjectionPercent: 50,
              BaseEjectionTime: "30s",
            },
          },
        ],
      },
    });
    const envoy = build("envoy", viewOf(fleet), http, downstream);
    const cluster = envoy.clusters[0]!;
    assert.equal(cluster.name, "web");
    assert.equal(cluster.connectTimeout?.nanos, 750_000_000);
    const threshold = cluster.circuitBreakers?.thresholds[0];
    assert.deepEqual([threshold?.maxConnections, threshold?.maxPendingRequests, threshold?.maxRequests], [100, 10, 50]);
    const od = cluster.outlierDetection;
    assert.deepEqual(
      [od?.consecutive5xx, od?.interval?.seconds, od?.enforcingConsecutive5xx, od?.maxEjectionPercent, od?.baseEjectionTime?.seconds],
      [5, 10n, 80, 50, 30n],
    );

    const grpc = build("grpc", viewOf(fleet), http, downstream);
    const grpcCluster = grpc.clusters[0]!;
    assert.deepEqual(
      grpcCluster.circuitBreakers?.thresholds.map((t) => [t.maxRequests, t.maxConnections]),
      [[50, undefined]],
    );
    assert.equal(grpcCluster.outlierDetection, undefined);
    const messages = grpc.warnings.filter((w) => w.code === "unsupported-for-grpc").map((w) => w.message);
    assert.ok(messages.some((m) => m.includes("Limits.MaxConnections/MaxPendingRequests") && m.includes("A32")));
    assert.ok(messages.some((m) => m.includes("PassiveHealthCheck") && m.includes("A50")));
  });

  it("should apply the resolver's load balancer with its hash policies, within what each kind supports", () => {
    const ringHash: ConsulConfigEntry = {
      Kind: "service-resolver",
      Name: "web",
      LoadBalancer: {
        Policy: "ring_hash",
        RingHashConfig: { MinimumRingSize: 2048 },
        HashPolicies: [
          { Field: "header", FieldValue: "x-user" },
          { Field: "cookie", FieldValue: "session", CookieConfig: { TTL: "60s" } },
        ],
      },
    };
    const envoy = build("envoy", viewOf(fleet), http, ringHash);
    assert.equal(envoy.clusters[0]?.lbPolicy, Cluster_LbPolicy.RING_HASH);
    assert.equal(
      envoy.clusters[0]?.lbConfig.case === "ringHashLbConfig" ? envoy.clusters[0].lbConfig.value.minimumRingSize : undefined,
      2048n,
    );
    assert.deepEqual(
      action(envoy.routes[0]).hashPolicy.map((h) => h.policySpecifier.case),
      ["header", "cookie"],
    );
    const grpc = build("grpc", viewOf(fleet), http, ringHash);
    assert.equal(grpc.clusters[0]?.lbPolicy, Cluster_LbPolicy.RING_HASH);
    assert.deepEqual(
      action(grpc.routes[0]).hashPolicy.map((h) => h.policySpecifier.case),
      ["header"],
    );
    assert.ok(grpc.warnings.some((w) => w.code === "unsupported-for-grpc" && w.message.includes("LoadBalancer.HashPolicies")));

    const maglev: ConsulConfigEntry = { Kind: "service-resolver", Name: "web", LoadBalancer: { Policy: "maglev" } };
    assert.equal(build("envoy", viewOf(fleet), maglev).clusters[0]?.lbPolicy, Cluster_LbPolicy.MAGLEV);
    assert.equal(build("grpc", viewOf(fleet), maglev).clusters[0]?.lbPolicy, Cluster_LbPolicy.RING_HASH);
    const least: ConsulConfigEntry = {
      Kind: "service-resolver",
      Name: "web",
      LoadBalancer: { Policy: "least_request", LeastRequestConfig: { ChoiceCount: 3 } },
    };
    const leastEnvoy = build("envoy", viewOf(fleet), least).clusters[0];
    assert.equal(leastEnvoy?.lbPolicy, Cluster_LbPolicy.LEAST_REQUEST);
    assert.equal(leastEnvoy?.lbConfig.case === "leastRequestLbConfig" ? leastEnvoy.lbConfig.value.choiceCount : undefined, 3);
    assert.equal(build("grpc", viewOf(fleet), least).clusters[0]?.lbPolicy, Cluster_LbPolicy.ROUND_ROBIN);
  });

  it("should let service-defaults win over Service Meta, saying so", () => {
    const metaHttp1 = fleet.map((spec) =>
      spec.service === "web" ? { ...spec, meta: { ...spec.meta, "xds-bridge-protocol": "http1" } } : spec,
    );
    const resources = build("envoy", viewOf(metaHttp1), serviceDefaults("web", "grpc"));
    assert.equal(resources.settings.protocol, "grpc");
    assert.ok(resources.clusters[0]?.typedExtensionProtocolOptions[httpProtocolOptionsKey], "HTTP/2 to a gRPC upstream");
    assert.equal(action(resources.routes[0]).timeout?.seconds, 0n, "no route timeout in front of a gRPC upstream");
    const overrides = resources.warnings.filter((w) => w.code === "config-entry-overrides-meta");
    assert.equal(overrides.length, 1);
    assert.match(overrides[0]?.message ?? "", /service-defaults\/web Protocol and Service Meta xds-bridge-protocol of web are both set/);
  });

  it("should add, set and remove headers for Envoy", () => {
    const router: ConsulConfigEntry = {
      Kind: "service-router",
      Name: "web",
      Routes: [
        {
          Match: { HTTP: { PathPrefix: "/" } },
          Destination: {
            RequestHeaders: { Add: { "x-a": "1" }, Set: { "x-b": "2" }, Remove: ["x-c", ":path"] },
            ResponseHeaders: { Set: { "x-served-by": "web" } },
          },
        },
      ],
    };
    const resources = build("envoy", viewOf(fleet), http, router);
    const route = resources.routes[0]!;
    assert.deepEqual(
      route.requestHeadersToAdd.map((h) => [h.header?.key, h.header?.value, h.appendAction]),
      [
        ["x-a", "1", HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD],
        ["x-b", "2", HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD],
      ],
    );
    assert.deepEqual(route.requestHeadersToRemove, ["x-c"], "a pseudo-header is never removed");
    assert.deepEqual(
      route.responseHeadersToAdd.map((h) => h.header?.key),
      ["x-served-by"],
    );
    assert.ok(resources.warnings.some((w) => w.code === "ignored-config-entry" && w.message.includes('":path"')));
  });
});
