import type { DescMethodBiDiStreaming } from "@bufbuild/protobuf";
import { ClusterDiscoveryService } from "../gen/envoy/service/cluster/v3/cds_pb.js";
import { AggregatedDiscoveryService } from "../gen/envoy/service/discovery/v3/ads_pb.js";
import { EndpointDiscoveryService } from "../gen/envoy/service/endpoint/v3/eds_pb.js";
import { ListenerDiscoveryService } from "../gen/envoy/service/listener/v3/lds_pb.js";
import { RouteDiscoveryService } from "../gen/envoy/service/route/v3/rds_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../snapshot/index.js";
import type { StreamKind, XdsProtocol } from "./stream-hooks.js";

/** A streaming discovery method, with the kind of stream and the protocol variant it opens. */
export interface StreamingMethod {
  readonly kind: StreamKind;
  readonly protocol: XdsProtocol;
  readonly method: DescMethodBiDiStreaming;
}

/** Every streaming discovery method the server answers: ADS and the per-type services, SotW and delta. */
export const streamingMethods: readonly StreamingMethod[] = [
  { kind: "ads", protocol: "sotw", method: AggregatedDiscoveryService.method.streamAggregatedResources },
  { kind: clusterType, protocol: "sotw", method: ClusterDiscoveryService.method.streamClusters },
  { kind: endpointType, protocol: "sotw", method: EndpointDiscoveryService.method.streamEndpoints },
  { kind: listenerType, protocol: "sotw", method: ListenerDiscoveryService.method.streamListeners },
  { kind: routeType, protocol: "sotw", method: RouteDiscoveryService.method.streamRoutes },
  { kind: "ads", protocol: "delta", method: AggregatedDiscoveryService.method.deltaAggregatedResources },
  { kind: clusterType, protocol: "delta", method: ClusterDiscoveryService.method.deltaClusters },
  { kind: endpointType, protocol: "delta", method: EndpointDiscoveryService.method.deltaEndpoints },
  { kind: listenerType, protocol: "delta", method: ListenerDiscoveryService.method.deltaListeners },
  { kind: routeType, protocol: "delta", method: RouteDiscoveryService.method.deltaRoutes },
];

/** gRPC unary Fetch methods (the REST variant over gRPC): answered UNIMPLEMENTED; REST-JSON is served instead. */
export const fetchMethods = [
  ClusterDiscoveryService.method.fetchClusters,
  EndpointDiscoveryService.method.fetchEndpoints,
  ListenerDiscoveryService.method.fetchListeners,
  RouteDiscoveryService.method.fetchRoutes,
] as const;
