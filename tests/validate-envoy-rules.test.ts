import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, createRegistry } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type Cluster_DiscoveryType, ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { MetadataSchema } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { UpstreamHttpProtocolOptionsSchema } from "../src/gen/envoy/config/core/v3/protocol_pb.js";
import { ClusterLoadAssignmentSchema } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../src/gen/envoy/config/listener/v3/listener_pb.js";
import { HeaderMatcherSchema, RouteMatchSchema } from "../src/gen/envoy/config/route/v3/route_components_pb.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { HttpConnectionManagerSchema } from "../src/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { HttpProtocolOptionsSchema } from "../src/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import { createEnvoyValidator } from "../src/validate/create-envoy-validator.js";
import { envoyTypeRegistry, validateXdsResource } from "../src/validate/index.js";
import { validateEnvoyResource } from "../src/validate/validate-envoy-resource.js";
import {
  assertErrorAt,
  assertValid,
  clusterLoadAssignment,
  edsCluster,
  envoyHttpListener,
  errorsOf,
  grpcListener,
  lbEndpoint,
  rdsHttpConnectionManager,
  routeConfiguration,
  strictDnsCluster,
} from "./support/validate-fixtures.js";

describe("validateEnvoyResource()", () => {
  describe("well-formed resources", () => {
    it("should pass the four minimal resources grpc-js-xds accepts", () => {
      assertValid(validateEnvoyResource(ClusterSchema, edsCluster()));
      assertValid(validateEnvoyResource(ClusterLoadAssignmentSchema, clusterLoadAssignment()));
      assertValid(validateEnvoyResource(ListenerSchema, grpcListener()));
      assertValid(validateEnvoyResource(RouteConfigurationSchema, routeConfiguration()));
    });

    it("should pass an Envoy HTTP listener with an HCM (RDS over ADS, router filter)", () => {
      assertValid(validateEnvoyResource(ListenerSchema, envoyHttpListener()));
    });

    it("should pass a STRICT_DNS cluster with an inline load_assignment of hostnames", () => {
      assertValid(validateEnvoyResource(ClusterSchema, strictDnsCluster()));
    });

    it("should pass a CLA with no endpoints (a service with no routable instance)", () => {
      assertValid(validateEnvoyResource(ClusterLoadAssignmentSchema, create(ClusterLoadAssignmentSchema, { clusterName: "payments" })));
    });

    it("should pass a cluster whose typed_extension_protocol_options carry HttpProtocolOptions (h2 upstream)", () => {
      const cluster = edsCluster();
      cluster.typedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = anyPack(
        HttpProtocolOptionsSchema,
        create(HttpProtocolOptionsSchema, {
          upstreamProtocolOptions: { case: "explicitHttpConfig", value: { protocolConfig: { case: "http2ProtocolOptions", value: {} } } },
        }),
      );
      assertValid(validateEnvoyResource(ClusterSchema, cluster));
    });
  });

  describe("violations", () => {
    it("should report an empty cluster name (string min_len)", () => {
      const cluster = edsCluster("");
      assertErrorAt(validateEnvoyResource(ClusterSchema, cluster), "name", /at least 1 characters/);
    });

    it("should report port 70000 with the full field path (uint32 lte)", () => {
      const cla = clusterLoadAssignment("payments", [lbEndpoint("10.0.0.1", 8080), lbEndpoint("10.0.0.2", 70000)]);
      assertErrorAt(
        validateEnvoyResource(ClusterLoadAssignmentSchema, cla),
        "endpoints[0].lb_endpoints[1].endpoint.address.socket_address.port_value",
        /less than or equal to 65535 \(got 70000\)/,
      );
    });

    it("should report locality weight 0 (wrapped UInt32Value gte 1)", () => {
      const cla = clusterLoadAssignment();
      cla.endpoints[1]!.loadBalancingWeight = 0;
      assertErrorAt(
        validateEnvoyResource(ClusterLoadAssignmentSchema, cla),
        "endpoints[1].load_balancing_weight",
        /greater than or equal to 1/,
      );
    });

    it("should not check an unset wrapper field (locality weight absent)", () => {
      const cla = clusterLoadAssignment();
      cla.endpoints[1]!.loadBalancingWeight = undefined;
      assertValid(validateEnvoyResource(ClusterLoadAssignmentSchema, cla));
    });

    it("should report an unknown enum value (Cluster.type = 99, defined_only)", () => {
      const cluster = edsCluster();
      cluster.clusterDiscoveryType = { case: "type", value: 99 as Cluster_DiscoveryType };
      assertErrorAt(
        validateEnvoyResource(ClusterSchema, cluster),
        "type",
        /defined values of envoy\.config\.cluster\.v3\.Cluster\.DiscoveryType \(got 99\)/,
      );
    });

    it("should report connect_timeout 0 (Duration gt 0s)", () => {
      const cluster = edsCluster();
      cluster.connectTimeout = { $typeName: "google.protobuf.Duration", seconds: 0n, nanos: 0 };
      assertErrorAt(validateEnvoyResource(ClusterSchema, cluster), "connect_timeout", /greater than 0s \(got 0s\)/);
    });

    it("should report a malformed Duration", () => {
      const cluster = edsCluster();
      cluster.connectTimeout = { $typeName: "google.protobuf.Duration", seconds: 1n, nanos: -5 };
      assertErrorAt(validateEnvoyResource(ClusterSchema, cluster), "connect_timeout", /not a valid duration/);
    });

    it("should report a missing required oneof (SocketAddress.port_specifier)", () => {
      const cla = clusterLoadAssignment();
      const host = cla.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
      assert.equal(host.case, "endpoint");
      const address = host.value.address!.address;
      assert.equal(address.case, "socketAddress");
      address.value.portSpecifier = { case: undefined };
      assertErrorAt(
        validateEnvoyResource(ClusterLoadAssignmentSchema, cla),
        "endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_specifier",
        /one of port_value, named_port must be set/,
      );
    });

    it("should report a missing required message (HCM rds.config_source)", () => {
      const hcm = rdsHttpConnectionManager();
      assert.equal(hcm.routeSpecifier.case, "rds");
      hcm.routeSpecifier.value.configSource = undefined;
      assertErrorAt(validateEnvoyResource(HttpConnectionManagerSchema, hcm), "rds.config_source", /value is required/);
    });

    it("should report a bad Any payload nested inside a listener's api_listener", () => {
      const listener = grpcListener("payments", rdsHttpConnectionManager("payments", { statPrefix: "", httpFilters: [] }));
      const hcm = rdsHttpConnectionManager();
      hcm.statPrefix = "";
      hcm.httpFilters[0]!.name = "";
      const bad = grpcListener("payments", hcm);
      assertErrorAt(validateEnvoyResource(ListenerSchema, listener), "api_listener.api_listener.stat_prefix", /at least 1 characters/);
      const result = validateEnvoyResource(ListenerSchema, bad);
      assertErrorAt(result, "api_listener.api_listener.stat_prefix", /at least 1 characters/);
      assertErrorAt(result, "api_listener.api_listener.http_filters[0].name", /at least 1 characters/);
    });

    it("should report an Any with an unknown type URL instead of skipping it", () => {
      const listener = grpcListener();
      listener.apiListener!.apiListener!.typeUrl = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";
      assertErrorAt(validateEnvoyResource(ListenerSchema, listener), "api_listener.api_listener", /unknown type URL/);
    });

    it("should report an Any whose payload does not decode", () => {
      const listener = grpcListener();
      listener.apiListener!.apiListener!.value = new Uint8Array([0x0a, 0xff]);
      assertErrorAt(validateEnvoyResource(ListenerSchema, listener), "api_listener.api_listener", /cannot decode .*HttpConnectionManager/);
    });

    it("should report an Any with a malformed type URL (a filter chain's typed_config)", () => {
      const listener = envoyHttpListener();
      const filter = listener.filterChains[0]!.filters[0]!;
      assert.equal(filter.configType.case, "typedConfig");
      filter.configType.value.typeUrl = "not-a-type-url";
      assertErrorAt(validateEnvoyResource(ListenerSchema, listener), "filter_chains[0].filters[0].typed_config", /invalid type URL/);
    });

    it("should report an empty repeated field with min_items (VirtualHost.domains)", () => {
      const routes = routeConfiguration("payments", []);
      assertErrorAt(validateEnvoyResource(RouteConfigurationSchema, routes), "virtual_hosts[0].domains", /at least 1 item/);
    });

    it("should report a header name rule violation (HeaderMatcher.name, HTTP_HEADER_NAME, strict: false)", () => {
      const matcher = create(HeaderMatcherSchema, { name: "x-bad\nname", headerMatchSpecifier: { case: "presentMatch", value: true } });
      const match = create(RouteMatchSchema, { pathSpecifier: { case: "prefix", value: "/" }, headers: [matcher] });
      const routes = routeConfiguration();
      routes.virtualHosts[0]!.routes[0]!.match = match;
      assertErrorAt(
        validateEnvoyResource(RouteConfigurationSchema, routes),
        "virtual_hosts[0].routes[0].match.headers[0].name",
        /valid HTTP header name/,
      );
    });

    it("should apply the strict header-name regex and honour ignore_empty where Envoy's proto has it", () => {
      const options = create(UpstreamHttpProtocolOptionsSchema, { overrideAutoSniHeader: "x sni" });
      assertErrorAt(
        validateEnvoyResource(UpstreamHttpProtocolOptionsSchema, options),
        "override_auto_sni_header",
        /valid HTTP header name/,
      );
      options.overrideAutoSniHeader = "";
      assertValid(validateEnvoyResource(UpstreamHttpProtocolOptionsSchema, options));
    });

    it("should report a string pattern violation (RouteMatch.path_separated_prefix)", () => {
      const routes = routeConfiguration();
      routes.virtualHosts[0]!.routes[0]!.match!.pathSpecifier = { case: "pathSeparatedPrefix", value: "/api/" };
      assertErrorAt(
        validateEnvoyResource(RouteConfigurationSchema, routes),
        "virtual_hosts[0].routes[0].match.path_separated_prefix",
        /does not match regex pattern/,
      );
    });

    it("should report a map key rule violation (Metadata.filter_metadata keys min_len)", () => {
      const cluster = edsCluster();
      cluster.metadata = create(MetadataSchema, { filterMetadata: { "": {}, "envoy.lb": { zone: "a" } } });
      const result = validateEnvoyResource(ClusterSchema, cluster);
      assertErrorAt(result, 'metadata.filter_metadata[""]', /map key: value length must be at least 1/);
      assert.equal(errorsOf(result).length, 1);
    });

    it("should report a required oneof inside an Any held in a map value (HttpProtocolOptions)", () => {
      const cluster = edsCluster();
      cluster.typedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = anyPack(
        HttpProtocolOptionsSchema,
        create(HttpProtocolOptionsSchema),
      );
      assertErrorAt(
        validateEnvoyResource(ClusterSchema, cluster),
        'typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].upstream_protocol_options',
        /one of explicit_http_config, use_downstream_protocol_config, auto_config must be set/,
      );
    });

    it("should report a wrong message type for the schema", () => {
      const result = validateEnvoyResource(ClusterSchema, clusterLoadAssignment() as never);
      assertErrorAt(result, "", /expected a envoy\.config\.cluster\.v3\.Cluster message/);
    });

    it("should report every violation of one resource, not only the first", () => {
      const cluster = edsCluster("");
      cluster.clusterDiscoveryType = { case: "type", value: 99 as Cluster_DiscoveryType };
      cluster.connectTimeout = { $typeName: "google.protobuf.Duration", seconds: 0n, nanos: 0 };
      assert.deepEqual(
        errorsOf(validateEnvoyResource(ClusterSchema, cluster)).map((e) => e.path),
        ["name", "type", "connect_timeout"],
      );
    });
  });

  describe("createEnvoyValidator()", () => {
    it("should validate by $typeName and report a message type missing from the registry", () => {
      const validator = createEnvoyValidator({ registry: envoyTypeRegistry() });
      assertValid(validator.validateMessage(edsCluster()));
      assertErrorAt(validator.validateMessage(edsCluster("")), "name", /at least 1/);
      const tiny = createEnvoyValidator({ registry: createRegistry(ClusterSchema) });
      assertErrorAt(
        tiny.validateMessage(clusterLoadAssignment()),
        "",
        /unknown message type envoy\.config\.endpoint\.v3\.ClusterLoadAssignment/,
      );
    });

    it("should validate a packed resource as sent on the wire", () => {
      const validator = createEnvoyValidator();
      assertValid(validator.validateAny(anyPack(ClusterSchema, edsCluster())));
      assertErrorAt(validator.validateAny(anyPack(ClusterSchema, edsCluster(""))), "name", /at least 1/);
    });
  });
});

describe("validateXdsResource()", () => {
  it("should apply Envoy rules only for Envoy, and Envoy plus gRPC rules for gRPC clients", () => {
    const cla = clusterLoadAssignment("payments", [lbEndpoint("10.0.0.1", 8080), lbEndpoint("10.0.0.1", 8080)]);
    assertValid(validateXdsResource(cla, { client: "envoy" }));
    assertErrorAt(
      validateXdsResource(cla, { client: "grpc" }),
      "endpoints[0].lb_endpoints[1].endpoint.address.socket_address",
      /duplicate/,
    );
  });

  it("should pass every well-formed fixture for its client kind", () => {
    for (const message of [edsCluster(), clusterLoadAssignment(), grpcListener(), routeConfiguration()]) {
      assertValid(validateXdsResource(message, { client: "grpc", authority: "payments" }));
      assertValid(validateXdsResource(message, { client: "envoy" }));
    }
    assertValid(validateXdsResource(envoyHttpListener(), { client: "envoy" }));
    assertValid(validateXdsResource(strictDnsCluster(), { client: "envoy" }));
  });
});
