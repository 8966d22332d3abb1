import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Cluster_DiscoveryType, ClusterSchema } from "../../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { ApiVersion } from "../../src/gen/envoy/config/core/v3/config_source_pb.js";
import { ClusterLoadAssignmentSchema } from "../../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../../src/gen/envoy/config/listener/v3/listener_pb.js";
import { RouteConfigurationSchema } from "../../src/gen/envoy/config/route/v3/route_pb.js";
import { RouterSchema } from "../../src/gen/envoy/extensions/filters/http/router/v3/router_pb.js";
import { HttpConnectionManagerSchema } from "../../src/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import {
  clusterType,
  createSnapshot,
  type EncodedResource,
  encodeResource,
  endpointType,
  listenerType,
  routeType,
  type Snapshot,
} from "../../src/snapshot/index.js";

/** A service as the protocol tests describe it: endpoints as "ip:port", and a knob to change its cluster. */
export interface FixtureService {
  endpoints?: string[];
  /** Connect timeout in seconds; changing it changes the cluster resource (default 5). */
  connectTimeoutSeconds?: number;
}

/** The four resources one service maps to, shaped like the minimal ones grpc-js-xds accepts. */
export function fixtureResources(name: string, service: FixtureService) {
  const cluster = encodeResource(
    clusterType,
    ClusterSchema,
    create(ClusterSchema, {
      name,
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      connectTimeout: { seconds: BigInt(service.connectTimeoutSeconds ?? 5) },
      edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 } },
    }),
    name,
    [name],
  );
  const assignment = encodeResource(
    endpointType,
    ClusterLoadAssignmentSchema,
    create(ClusterLoadAssignmentSchema, {
      clusterName: name,
      endpoints:
        (service.endpoints ?? []).length === 0
          ? []
          : [
              {
                locality: { region: "dc1" },
                loadBalancingWeight: 1,
                lbEndpoints: (service.endpoints ?? []).map((hostPort) => {
                  const [address, port] = hostPort.split(":");
                  return {
                    hostIdentifier: {
                      case: "endpoint" as const,
                      value: {
                        address: {
                          address: {
                            case: "socketAddress" as const,
                            value: { address, portSpecifier: { case: "portValue" as const, value: Number(port) } },
                          },
                        },
                      },
                    },
                    loadBalancingWeight: 1,
                  };
                }),
              },
            ],
    }),
    name,
  );
  const manager = create(HttpConnectionManagerSchema, {
    statPrefix: name,
    routeSpecifier: {
      case: "rds",
      value: {
        configSource: { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 },
        routeConfigName: name,
      },
    },
    httpFilters: [
      { name: "envoy.filters.http.router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } },
    ],
  });
  const listener = encodeResource(
    listenerType,
    ListenerSchema,
    create(ListenerSchema, { name, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, manager) } }),
    name,
    [name],
  );
  const route = encodeResource(
    routeType,
    RouteConfigurationSchema,
    create(RouteConfigurationSchema, {
      name,
      virtualHosts: [
        {
          name,
          domains: [name],
          routes: [
            {
              match: { pathSpecifier: { case: "prefix", value: "" } },
              action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: name } } },
            },
          ],
        },
      ],
    }),
    name,
  );
  return { cluster, assignment, listener, route };
}

/** A consistent snapshot with the four resources of every service. */
export function fixtureSnapshot(services: Record<string, FixtureService>): Snapshot {
  const all = Object.entries(services).map(([name, service]) => fixtureResources(name, service));
  const of = (pick: (r: ReturnType<typeof fixtureResources>) => EncodedResource) => all.map(pick);
  return createSnapshot({
    [clusterType]: of((r) => r.cluster),
    [endpointType]: of((r) => r.assignment),
    [listenerType]: of((r) => r.listener),
    [routeType]: of((r) => r.route),
  });
}
