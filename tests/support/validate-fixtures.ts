// Well-formed resources shaped like the ones the bridge emits (see xds-protocol.md, "Minimal
// resources grpc-js-xds accepts"), as factories so each test can break exactly one thing.
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type Cluster, Cluster_DiscoveryType, ClusterSchema } from "../../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { type Address, AddressSchema, SocketAddress_Protocol, SocketAddressSchema } from "../../src/gen/envoy/config/core/v3/address_pb.js";
import { ApiVersion } from "../../src/gen/envoy/config/core/v3/config_source_pb.js";
import { HealthStatus } from "../../src/gen/envoy/config/core/v3/health_check_pb.js";
import { EndpointSchema, type LbEndpoint, LbEndpointSchema } from "../../src/gen/envoy/config/endpoint/v3/endpoint_components_pb.js";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "../../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { type Listener, ListenerSchema } from "../../src/gen/envoy/config/listener/v3/listener_pb.js";
import { type RouteConfiguration, RouteConfigurationSchema } from "../../src/gen/envoy/config/route/v3/route_pb.js";
import { RouterSchema } from "../../src/gen/envoy/extensions/filters/http/router/v3/router_pb.js";
import {
  type HttpConnectionManager,
  HttpConnectionManagerSchema,
  type HttpFilter,
  HttpFilterSchema,
  RdsSchema,
} from "../../src/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import type { ValidationError, ValidationResult } from "../../src/validate/index.js";

/** `ads: {}` as protobuf-es wants it: the oneof case set explicitly. */
export const adsConfigSource = { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 } as const;

/** An lb_endpoint at an IP (or, to break things, a hostname) and port. */
export function lbEndpoint(address: string, port: number, init: Partial<LbEndpoint> = {}): LbEndpoint {
  const endpoint = create(EndpointSchema, { address: socketAddress(address, port) });
  return Object.assign(
    create(LbEndpointSchema, {
      hostIdentifier: { case: "endpoint", value: endpoint },
      healthStatus: HealthStatus.HEALTHY,
      loadBalancingWeight: 1,
    }),
    init,
  );
}

/** A socket Address at an IP (or hostname) and port_value. */
export function socketAddress(address: string, port: number): Address {
  const socket = create(SocketAddressSchema, {
    protocol: SocketAddress_Protocol.TCP,
    address,
    portSpecifier: { case: "portValue", value: port },
  });
  return create(AddressSchema, { address: { case: "socketAddress", value: socket } });
}

/** EDS cluster over ADS, as grpc-js-xds and Envoy accept it. */
export function edsCluster(name = "payments"): Cluster {
  return create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    connectTimeout: { seconds: 5n },
    edsClusterConfig: { edsConfig: adsConfigSource },
  });
}

/** A CLA with one weighted locality per priority (dc1 at 0, dc2 at 1) and the given endpoints at priority 0. */
export function clusterLoadAssignment(
  name = "payments",
  endpoints: LbEndpoint[] = [lbEndpoint("10.0.0.12", 8080), lbEndpoint("fd00::12", 8080)],
): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [
      { locality: { region: "dc1" }, loadBalancingWeight: 1, priority: 0, lbEndpoints: endpoints },
      { locality: { region: "dc2" }, loadBalancingWeight: 1, priority: 1, lbEndpoints: [lbEndpoint("10.1.0.7", 8080)] },
    ],
  });
}

/** The router filter, packed. */
export function routerFilter(): HttpFilter {
  return create(HttpFilterSchema, {
    name: "envoy.filters.http.router",
    configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) },
  });
}

/** An HCM with RDS over ADS and the router filter. */
export function rdsHttpConnectionManager(routeConfigName = "payments", init: Partial<HttpConnectionManager> = {}): HttpConnectionManager {
  const rds = create(RdsSchema, { configSource: adsConfigSource, routeConfigName });
  return Object.assign(
    create(HttpConnectionManagerSchema, {
      statPrefix: routeConfigName,
      routeSpecifier: { case: "rds", value: rds },
      httpFilters: [routerFilter()],
    }),
    init,
  );
}

/** The gRPC client listener: name = xds:/// target, api_listener with an HCM. */
export function grpcListener(name = "payments", hcm: HttpConnectionManager = rdsHttpConnectionManager(name)): Listener {
  return create(ListenerSchema, { name, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) } });
}

/** A route configuration with one virtual host routing everything to one cluster. */
export function routeConfiguration(name = "payments", domains = ["payments"]): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name,
    virtualHosts: [
      {
        name,
        domains,
        routes: [
          {
            match: { pathSpecifier: { case: "prefix", value: "" } },
            action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: name } } },
          },
        ],
      },
    ],
  });
}

/** Envoy's HTTP listener: 0.0.0.0:10000, one filter chain with an HCM (RDS over ADS, router). */
export function envoyHttpListener(): Listener {
  return create(ListenerSchema, {
    name: "consul-xds-bridge-http",
    address: socketAddress("0.0.0.0", 10000),
    filterChains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            configType: {
              case: "typedConfig",
              value: anyPack(HttpConnectionManagerSchema, rdsHttpConnectionManager("consul-xds-bridge-http")),
            },
          },
        ],
      },
    ],
  });
}

/** A STRICT_DNS cluster for a service whose instances are hostnames, with an inline load assignment. */
export function strictDnsCluster(): Cluster {
  return create(ClusterSchema, {
    name: "legacy",
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.STRICT_DNS },
    connectTimeout: { nanos: 250_000_000 },
    loadAssignment: {
      clusterName: "legacy",
      endpoints: [
        {
          locality: { region: "dc1" },
          loadBalancingWeight: 1,
          lbEndpoints: [lbEndpoint("legacy-1.example.internal", 8080), lbEndpoint("legacy-2.example.internal", 8080)],
        },
      ],
    },
  });
}

/** The errors of a result that must be invalid. */
export function errorsOf(result: ValidationResult): readonly ValidationError[] {
  assert.equal(result.valid, false, "expected the resource to be invalid");
  return result.valid ? [] : result.errors;
}

/** Asserts a result is valid, showing the errors when it is not. */
export function assertValid(result: ValidationResult): void {
  assert.deepEqual(result.valid ? [] : result.errors, []);
}

/** Asserts one error is reported at exactly `path` with a message matching `message`. */
export function assertErrorAt(result: ValidationResult, path: string, message: RegExp): void {
  const errors = errorsOf(result);
  assert.ok(
    errors.some((e) => e.path === path && message.test(e.message)),
    `expected an error at ${path} matching ${message}, got ${JSON.stringify(errors, null, 1)}`,
  );
}
