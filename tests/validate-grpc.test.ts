// The gRPC (grpc-js-xds) checks: violations they catch, and agreement with @grpc/grpc-js-xds's own
// resource types (their `decode` runs `validateResource`) on the same encoded resources.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { create, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { AnySchema, anyPack, DurationSchema } from "@bufbuild/protobuf/wkt";
import { type Cluster, Cluster_DiscoveryType, Cluster_LbPolicy, ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { SocketAddressSchema } from "../src/gen/envoy/config/core/v3/address_pb.js";
import { ConfigSourceSchema } from "../src/gen/envoy/config/core/v3/config_source_pb.js";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerFilterSchema } from "../src/gen/envoy/config/listener/v3/listener_components_pb.js";
import { type Listener, ListenerSchema } from "../src/gen/envoy/config/listener/v3/listener_pb.js";
import {
  DirectResponseActionSchema,
  FilterConfigSchema,
  HeaderMatcherSchema,
  RedirectActionSchema,
  RetryPolicySchema,
  type Route,
  RouteActionSchema,
  WeightedClusterSchema,
} from "../src/gen/envoy/config/route/v3/route_components_pb.js";
import { type RouteConfiguration, RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import {
  type HttpFilter,
  HttpFilterSchema,
  RdsSchema,
} from "../src/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { RegexMatcherSchema } from "../src/gen/envoy/type/matcher/v3/regex_pb.js";
import { StringMatcherSchema } from "../src/gen/envoy/type/matcher/v3/string_pb.js";
import { grpcTypeUrls } from "../src/validate/grpc-type-urls.js";
import type { ValidationResult } from "../src/validate/index.js";
import { validateForGrpc } from "../src/validate/validate-for-grpc.js";
import { validateGrpcCluster } from "../src/validate/validate-grpc-cluster.js";
import { validateGrpcClusterLoadAssignment } from "../src/validate/validate-grpc-cluster-load-assignment.js";
import { validateGrpcListener } from "../src/validate/validate-grpc-listener.js";
import { validateGrpcRouteConfiguration } from "../src/validate/validate-grpc-route-configuration.js";
import {
  adsConfigSource,
  assertErrorAt,
  assertValid,
  clusterLoadAssignment,
  edsCluster,
  grpcListener,
  lbEndpoint,
  rdsHttpConnectionManager,
  routeConfiguration,
  routerFilter,
  socketAddress,
} from "./support/validate-fixtures.js";

// ---- grpc-js-xds's own verdict -------------------------------------------------------------

interface ResourceTypeClass {
  get(): { decode(context: unknown, resource: { type_url: string; value: Buffer }): { name: string; value?: object; error?: string } };
}

const grpcJs: Partial<Record<string, ResourceTypeClass>> = {};

/** Decodes (and so validates) an encoded resource with grpc-js-xds 1.14.1; a throw counts as rejection. */
function grpcJsVerdict(schema: DescMessage, message: Message): { valid: boolean; detail: string } {
  const typeUrl = `type.googleapis.com/${schema.typeName}`;
  const resourceType = grpcJs[typeUrl];
  assert.ok(resourceType, `no grpc-js resource type for ${typeUrl}`);
  try {
    const result = resourceType
      .get()
      .decode(
        { server: {}, bootstrap: { certificateProviders: {} } },
        { type_url: typeUrl, value: Buffer.from(toBinary(schema, message)) },
      );
    return { valid: result.error === undefined, detail: result.error ?? "ok" };
  } catch (error) {
    return { valid: false, detail: `threw ${(error as Error).message}` };
  }
}

before(async () => {
  const base = "@grpc/grpc-js-xds/build/src";
  const [{ EndpointResourceType }, { ClusterResourceType }, { ListenerResourceType }, { RouteConfigurationResourceType }, router, fault] =
    await Promise.all([
      import(`${base}/xds-resource-type/endpoint-resource-type.js`),
      import(`${base}/xds-resource-type/cluster-resource-type.js`),
      import(`${base}/xds-resource-type/listener-resource-type.js`),
      import(`${base}/xds-resource-type/route-config-resource-type.js`),
      import(`${base}/http-filter/router-filter.js`),
      import(`${base}/http-filter/fault-injection-filter.js`),
    ]);
  // What `register()` does for HTTP filters, without registering the xds: resolver.
  router.setup();
  fault.setup();
  grpcJs[grpcTypeUrls.clusterLoadAssignment] = EndpointResourceType;
  grpcJs[grpcTypeUrls.cluster] = ClusterResourceType;
  grpcJs[grpcTypeUrls.listener] = ListenerResourceType;
  grpcJs[grpcTypeUrls.routeConfiguration] = RouteConfigurationResourceType;
});

// ---- resource variants ---------------------------------------------------------------------

function cla(change: (cla: ClusterLoadAssignment) => void): ClusterLoadAssignment {
  const resource = clusterLoadAssignment();
  change(resource);
  return resource;
}

function cluster(change: (cluster: Cluster) => void): Cluster {
  const resource = edsCluster();
  change(resource);
  return resource;
}

function listenerWithFilters(filters: HttpFilter[]): Listener {
  return grpcListener("payments", rdsHttpConnectionManager("payments", { httpFilters: filters }));
}

function filter(name: string, typeUrl: string, isOptional = false): HttpFilter {
  return create(HttpFilterSchema, { name, isOptional, configType: { case: "typedConfig", value: create(AnySchema, { typeUrl }) } });
}

function routes(change: (route: Route, rc: RouteConfiguration) => void): RouteConfiguration {
  const resource = routeConfiguration();
  change(resource.virtualHosts[0]!.routes[0]!, resource);
  return resource;
}

function grpcValidate(schema: DescMessage, message: Message): ValidationResult {
  // Compare with grpc-js on what it NACKs: the locality-weight bridge rule is off here.
  return validateForGrpc(`type.googleapis.com/${schema.typeName}`, message, { requireLocalityWeight: false });
}

const ipLiteral = (address: string) => (resource: ClusterLoadAssignment) => {
  resource.endpoints[0]!.lbEndpoints[0] = lbEndpoint(address, 8080);
};

/** [name, schema, resource, valid for gRPC] — both validators must give that verdict. */
const cases: [string, DescMessage, () => Message, boolean][] = [
  ["a well-formed CLA (IPv4, IPv6, two priorities)", ClusterLoadAssignmentSchema, () => clusterLoadAssignment(), true],
  ["a CLA with no endpoints", ClusterLoadAssignmentSchema, () => create(ClusterLoadAssignmentSchema, { clusterName: "payments" }), true],
  [
    "duplicate endpoint addresses",
    ClusterLoadAssignmentSchema,
    () => clusterLoadAssignment("payments", [lbEndpoint("10.0.0.1", 8080), lbEndpoint("10.0.0.1", 8080)]),
    false,
  ],
  [
    "the same IP on two ports",
    ClusterLoadAssignmentSchema,
    () => clusterLoadAssignment("payments", [lbEndpoint("10.0.0.1", 8080), lbEndpoint("10.0.0.1", 8081)]),
    true,
  ],
  [
    "a duplicate address across priorities",
    ClusterLoadAssignmentSchema,
    () => cla((r) => (r.endpoints[1]!.lbEndpoints = [lbEndpoint("10.0.0.12", 8080)])),
    false,
  ],
  ["a hostname endpoint", ClusterLoadAssignmentSchema, () => cla(ipLiteral("payments-1.service.consul")), false],
  ["an IPv4 literal with a leading zero", ClusterLoadAssignmentSchema, () => cla(ipLiteral("10.0.0.012")), false],
  ["non-contiguous priorities (0, 2)", ClusterLoadAssignmentSchema, () => cla((r) => (r.endpoints[1]!.priority = 2)), false],
  ["priorities starting at 1", ClusterLoadAssignmentSchema, () => cla((r) => (r.endpoints[0]!.priority = 2)), false],
  ["an unset locality", ClusterLoadAssignmentSchema, () => cla((r) => (r.endpoints[1]!.locality = undefined)), false],
  [
    "a duplicate locality at one priority",
    ClusterLoadAssignmentSchema,
    () =>
      cla((r) => {
        r.endpoints[1]!.locality!.region = "dc1";
        r.endpoints[1]!.priority = 0;
      }),
    false,
  ],
  ["the same locality at two priorities", ClusterLoadAssignmentSchema, () => cla((r) => (r.endpoints[1]!.locality!.region = "dc1")), true],
  [
    "a named port",
    ClusterLoadAssignmentSchema,
    () =>
      cla((r) => {
        const host = r.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
        if (host.case === "endpoint" && host.value.address?.address.case === "socketAddress")
          host.value.address.address.value.portSpecifier = { case: "namedPort", value: "http" };
      }),
    false,
  ],
  [
    "an endpoint_name instead of an endpoint",
    ClusterLoadAssignmentSchema,
    () => cla((r) => (r.endpoints[0]!.lbEndpoints[0]!.hostIdentifier = { case: "endpointName", value: "x" })),
    false,
  ],
  [
    "a duplicate additional address",
    ClusterLoadAssignmentSchema,
    () =>
      cla((r) => {
        const host = r.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
        if (host.case === "endpoint")
          host.value.additionalAddresses = [
            { $typeName: "envoy.config.endpoint.v3.Endpoint.AdditionalAddress", address: socketAddress("fd00::12", 8080) },
          ];
      }),
    false,
  ],
  [
    "a locality weight of 0 (accepted, then ignored)",
    ClusterLoadAssignmentSchema,
    () => cla((r) => (r.endpoints[0]!.loadBalancingWeight = 0)),
    true,
  ],

  ["a well-formed EDS cluster", ClusterSchema, () => edsCluster(), true],
  ["an EDS cluster with RING_HASH", ClusterSchema, () => cluster((c) => (c.lbPolicy = Cluster_LbPolicy.RING_HASH)), true],
  ["an EDS cluster with LEAST_REQUEST", ClusterSchema, () => cluster((c) => (c.lbPolicy = Cluster_LbPolicy.LEAST_REQUEST)), false],
  [
    "RING_HASH with a too large minimum ring",
    ClusterSchema,
    () =>
      cluster((c) => {
        c.lbPolicy = Cluster_LbPolicy.RING_HASH;
        c.lbConfig = {
          case: "ringHashLbConfig",
          value: { $typeName: "envoy.config.cluster.v3.Cluster.RingHashLbConfig", hashFunction: 0, minimumRingSize: 9_000_000n },
        };
      }),
    false,
  ],
  [
    "an EDS cluster with a path config source",
    ClusterSchema,
    () =>
      cluster(
        (c) => (c.edsClusterConfig!.edsConfig = create(ConfigSourceSchema, { configSourceSpecifier: { case: "path", value: "/etc/eds" } })),
      ),
    false,
  ],
  [
    "an EDS cluster with self config source",
    ClusterSchema,
    () =>
      cluster((c) => (c.edsClusterConfig!.edsConfig = create(ConfigSourceSchema, { configSourceSpecifier: { case: "self", value: {} } }))),
    true,
  ],
  ["an EDS cluster without eds_cluster_config", ClusterSchema, () => cluster((c) => (c.edsClusterConfig = undefined)), false],
  [
    "an xdstp: EDS cluster without service_name",
    ClusterSchema,
    () => cluster((c) => (c.name = "xdstp://authority/envoy.config.cluster.v3.Cluster/payments")),
    false,
  ],
  [
    "a STRICT_DNS cluster",
    ClusterSchema,
    () => cluster((c) => (c.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.STRICT_DNS })),
    false,
  ],
  [
    "a LOGICAL_DNS cluster with one endpoint",
    ClusterSchema,
    () =>
      cluster((c) => {
        c.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.LOGICAL_DNS };
        c.loadAssignment = create(ClusterLoadAssignmentSchema, {
          clusterName: "payments",
          endpoints: [{ lbEndpoints: [lbEndpoint("payments.example.com", 443)] }],
        });
      }),
    true,
  ],
  [
    "a LOGICAL_DNS cluster with two endpoints",
    ClusterSchema,
    () =>
      cluster((c) => {
        c.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.LOGICAL_DNS };
        c.loadAssignment = create(ClusterLoadAssignmentSchema, {
          clusterName: "payments",
          endpoints: [{ lbEndpoints: [lbEndpoint("a.example.com", 443), lbEndpoint("b.example.com", 443)] }],
        });
      }),
    false,
  ],
  ["lrs_server over ADS", ClusterSchema, () => cluster((c) => (c.lrsServer = create(ConfigSourceSchema, adsConfigSource))), false],
  [
    "outlier detection with max_ejection_percent 101",
    ClusterSchema,
    () =>
      cluster(
        (c) =>
          (c.outlierDetection = {
            $typeName: "envoy.config.cluster.v3.OutlierDetection",
            maxEjectionPercent: 101,
            splitExternalLocalOriginErrors: false,
            monitors: [],
          }),
      ),
    false,
  ],
  [
    "outlier detection with a negative interval",
    ClusterSchema,
    () =>
      cluster(
        (c) =>
          (c.outlierDetection = {
            $typeName: "envoy.config.cluster.v3.OutlierDetection",
            interval: create(DurationSchema, { seconds: -1n }),
            splitExternalLocalOriginErrors: false,
            monitors: [],
          }),
      ),
    false,
  ],

  ["a gRPC listener (RDS over ADS, router)", ListenerSchema, () => grpcListener(), true],
  [
    "a listener with an inline route_config",
    ListenerSchema,
    () =>
      grpcListener(
        "payments",
        rdsHttpConnectionManager("payments", { routeSpecifier: { case: "routeConfig", value: routeConfiguration() } }),
      ),
    true,
  ],
  [
    "an inline route_config with a redirect",
    ListenerSchema,
    () =>
      grpcListener(
        "payments",
        rdsHttpConnectionManager("payments", {
          routeSpecifier: {
            case: "routeConfig",
            value: routes((r) => (r.action = { case: "redirect", value: create(RedirectActionSchema) })),
          },
        }),
      ),
    false,
  ],
  ["the router filter not last", ListenerSchema, () => listenerWithFilters([routerFilter(), filter("fault", grpcTypeUrls.fault)]), false],
  ["two router filters", ListenerSchema, () => listenerWithFilters([Object.assign(routerFilter(), { name: "r1" }), routerFilter()]), false],
  [
    "duplicate filter names",
    ListenerSchema,
    () => listenerWithFilters([filter("envoy.filters.http.router", grpcTypeUrls.fault), routerFilter()]),
    false,
  ],
  [
    "fault injection before the router",
    ListenerSchema,
    () => listenerWithFilters([filter("fault", grpcTypeUrls.fault), routerFilter()]),
    true,
  ],
  [
    "an unsupported required filter",
    ListenerSchema,
    () => listenerWithFilters([filter("cors", "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"), routerFilter()]),
    false,
  ],
  [
    "an unsupported optional filter",
    ListenerSchema,
    () => listenerWithFilters([filter("cors", "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors", true), routerFilter()]),
    true,
  ],
  [
    "RBAC, which gRPC has only on servers",
    ListenerSchema,
    () => listenerWithFilters([filter("rbac", "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"), routerFilter()]),
    false,
  ],
  [
    "RDS with a path config source",
    ListenerSchema,
    () =>
      grpcListener(
        "payments",
        rdsHttpConnectionManager("payments", {
          routeSpecifier: {
            case: "rds",
            value: create(RdsSchema, {
              routeConfigName: "payments",
              configSource: create(ConfigSourceSchema, { configSourceSpecifier: { case: "path", value: "/x" } }),
            }),
          },
        }),
      ),
    false,
  ],
  [
    "an api_listener that is not an HCM",
    ListenerSchema,
    () =>
      Object.assign(grpcListener(), {
        apiListener: {
          $typeName: "envoy.config.listener.v3.ApiListener",
          apiListener: anyPack(SocketAddressSchema, create(SocketAddressSchema)),
        },
      }),
    false,
  ],
  [
    "listener_filters populated",
    ListenerSchema,
    () => Object.assign(grpcListener(), { listenerFilters: [create(ListenerFilterSchema, { name: "tls_inspector" })] }),
    false,
  ],

  ["a well-formed route configuration", RouteConfigurationSchema, () => routeConfiguration(), true],
  [
    "a redirect action",
    RouteConfigurationSchema,
    () => routes((r) => (r.action = { case: "redirect", value: create(RedirectActionSchema) })),
    false,
  ],
  [
    "a direct_response action",
    RouteConfigurationSchema,
    () => routes((r) => (r.action = { case: "directResponse", value: create(DirectResponseActionSchema, { status: 200 }) })),
    false,
  ],
  [
    "a non_forwarding_action",
    RouteConfigurationSchema,
    () => routes((r) => (r.action = { case: "nonForwardingAction", value: { $typeName: "envoy.config.route.v3.NonForwardingAction" } })),
    true,
  ],
  ["a wildcard in the middle of a domain", RouteConfigurationSchema, () => routeConfiguration("payments", ["pay*ments"]), false],
  ["two wildcards in a domain", RouteConfigurationSchema, () => routeConfiguration("payments", ["*pay*"]), false],
  ["wildcard domains at either end", RouteConfigurationSchema, () => routeConfiguration("payments", ["*.consul", "payments*", "*"]), true],
  [
    "a safe_regex path matcher",
    RouteConfigurationSchema,
    () => routes((r) => (r.match!.pathSpecifier = { case: "safeRegex", value: create(RegexMatcherSchema, { regex: "^/.*" }) })),
    true,
  ],
  [
    "a path_separated_prefix matcher",
    RouteConfigurationSchema,
    () => routes((r) => (r.match!.pathSpecifier = { case: "pathSeparatedPrefix", value: "/api" })),
    false,
  ],
  [
    "a contains_match header matcher",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.match!.headers = [create(HeaderMatcherSchema, { name: "x", headerMatchSpecifier: { case: "containsMatch", value: "y" } })]),
      ),
    false,
  ],
  [
    "a string_match header matcher",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.match!.headers = [
            create(HeaderMatcherSchema, {
              name: "x",
              headerMatchSpecifier: {
                case: "stringMatch",
                value: create(StringMatcherSchema, { matchPattern: { case: "exact", value: "y" } }),
              },
            }),
          ]),
      ),
    true,
  ],
  [
    "weighted clusters",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.action = {
            case: "route",
            value: create(RouteActionSchema, {
              clusterSpecifier: {
                case: "weightedClusters",
                value: create(WeightedClusterSchema, {
                  clusters: [
                    { name: "a", weight: 1 },
                    { name: "b", weight: 3 },
                  ],
                }),
              },
            }),
          }),
      ),
    true,
  ],
  [
    "weighted clusters summing to 0",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.action = {
            case: "route",
            value: create(RouteActionSchema, {
              clusterSpecifier: { case: "weightedClusters", value: create(WeightedClusterSchema, { clusters: [{ name: "a" }] }) },
            }),
          }),
      ),
    false,
  ],
  [
    "a cluster_header route",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.action = {
            case: "route",
            value: create(RouteActionSchema, { clusterSpecifier: { case: "clusterHeader", value: "x-cluster" } }),
          }),
      ),
    true,
  ],
  [
    "a retry policy with num_retries 0",
    RouteConfigurationSchema,
    () =>
      routes((r) => {
        if (r.action.case === "route") r.action.value.retryPolicy = create(RetryPolicySchema, { numRetries: 0 });
      }),
    false,
  ],
  [
    "a retry back-off without base_interval",
    RouteConfigurationSchema,
    () => routes((_r, rc) => (rc.virtualHosts[0]!.retryPolicy = create(RetryPolicySchema, { retryBackOff: {} }))),
    false,
  ],
  [
    "an override for an unknown required filter",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.typedPerFilterConfig = {
            cors: create(AnySchema, { typeUrl: "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy" }),
          }),
      ),
    false,
  ],
  [
    "an optional FilterConfig override for an unknown filter",
    RouteConfigurationSchema,
    () =>
      routes(
        (r) =>
          (r.typedPerFilterConfig = {
            cors: anyPack(
              FilterConfigSchema,
              create(FilterConfigSchema, {
                isOptional: true,
                config: create(AnySchema, { typeUrl: "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy" }),
              }),
            ),
          }),
      ),
    true,
  ],
];

describe("validateForGrpc() agrees with grpc-js-xds 1.14.1", () => {
  for (const [name, schema, build, valid] of cases) {
    it(`should ${valid ? "accept" : "reject"} ${name}, as grpc-js-xds does`, () => {
      const resource = build();
      const theirs = grpcJsVerdict(schema, resource);
      const ours = grpcValidate(schema, resource);
      assert.equal(theirs.valid, valid, `grpc-js-xds: ${theirs.detail}`);
      assert.equal(ours.valid, valid, `ours: ${JSON.stringify(ours)}`);
    });
  }
});

describe("gRPC checks", () => {
  it("should report locality weight 0 and an unweighted locality by default (grpc-js drops them silently)", () => {
    const resource = clusterLoadAssignment();
    resource.endpoints[0]!.loadBalancingWeight = 0;
    resource.endpoints[1]!.loadBalancingWeight = undefined;
    const result = validateGrpcClusterLoadAssignment(resource);
    assertErrorAt(result, "endpoints[0].load_balancing_weight", /at least 1 \(got 0\)/);
    assertErrorAt(result, "endpoints[1].load_balancing_weight", /at least 1 \(got unset\)/);
  });

  it("should report duplicate endpoint addresses with the path of the second one", () => {
    const result = validateGrpcClusterLoadAssignment(
      clusterLoadAssignment("payments", [lbEndpoint("10.0.0.1", 8080), lbEndpoint("10.0.0.1", 8080)]),
    );
    assertErrorAt(result, "endpoints[0].lb_endpoints[1].endpoint.address.socket_address", /duplicate .*10\.0\.0\.1:8080/);
  });

  it("should report non-contiguous priorities and hostname endpoints", () => {
    const resource = clusterLoadAssignment("payments", [lbEndpoint("payments-1.node.consul", 8080)]);
    resource.endpoints[1]!.priority = 2;
    const result = validateGrpcClusterLoadAssignment(resource);
    assertErrorAt(result, "endpoints", /priority 2 but not 1/);
    assertErrorAt(
      result,
      "endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address",
      /not a valid IPv4 or IPv6 address: payments-1\.node\.consul/,
    );
  });

  it("should report the router filter not last", () => {
    const result = validateGrpcListener(listenerWithFilters([routerFilter(), filter("fault", grpcTypeUrls.fault)]));
    assertErrorAt(result, "api_listener.api_listener.http_filters[0]", /router filter is before the end/);
    assertErrorAt(result, "api_listener.api_listener.http_filters[1]", /final filter is .*HTTPFault/);
  });

  it("should report a listener without api_listener and an HCM without filters (bridge rules)", () => {
    assertErrorAt(validateGrpcListener(create(ListenerSchema, { name: "payments" })), "api_listener", /value is required/);
    assertErrorAt(validateGrpcListener(listenerWithFilters([])), "api_listener.api_listener.http_filters", /router filter must be last/);
  });

  it("should report a route configuration with no virtual host for the client's authority", () => {
    assertValid(validateGrpcRouteConfiguration(routeConfiguration(), { authority: "payments" }));
    assertErrorAt(
      validateGrpcRouteConfiguration(routeConfiguration(), { authority: "billing" }),
      "virtual_hosts",
      /No matching route found for billing/,
    );
    assertValid(validateGrpcRouteConfiguration(routeConfiguration("payments", ["*"]), { authority: "billing" }));
  });

  it("should check an inline route_config's authority through the listener", () => {
    const listener = grpcListener(
      "payments",
      rdsHttpConnectionManager("payments", { routeSpecifier: { case: "routeConfig", value: routeConfiguration() } }),
    );
    assertErrorAt(
      validateGrpcListener(listener, { authority: "billing" }),
      "api_listener.api_listener.route_config.virtual_hosts",
      /No matching route/,
    );
  });

  it("should report a STRICT_DNS cluster and a transport socket for gRPC", () => {
    const strict = edsCluster();
    strict.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.STRICT_DNS };
    assertErrorAt(validateGrpcCluster(strict), "type", /Unsupported type STRICT_DNS/);
    const tls = edsCluster();
    tls.transportSocket = { $typeName: "envoy.config.core.v3.TransportSocket", name: "tls", configType: { case: undefined } };
    assertErrorAt(validateGrpcCluster(tls), "transport_socket", /not supported/);
  });

  it("should refuse a type gRPC clients do not consume and a message that does not match its type URL", () => {
    assertErrorAt(
      validateForGrpc("type.googleapis.com/envoy.config.core.v3.SocketAddress", create(SocketAddressSchema)),
      "",
      /do not consume/,
    );
    assertErrorAt(validateForGrpc(grpcTypeUrls.cluster, clusterLoadAssignment()), "", /does not match type URL/);
  });

  it("should pass the four minimal resources", () => {
    assertValid(validateForGrpc(grpcTypeUrls.cluster, edsCluster()));
    assertValid(validateForGrpc(grpcTypeUrls.clusterLoadAssignment, clusterLoadAssignment()));
    assertValid(validateForGrpc(grpcTypeUrls.listener, grpcListener()));
    assertValid(validateForGrpc(grpcTypeUrls.routeConfiguration, routeConfiguration(), { authority: "payments" }));
  });
});
