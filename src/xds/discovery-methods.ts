import type { DescMethodBiDiStreaming, DescMethodUnary } from "@bufbuild/protobuf";
import { ClusterDiscoveryService } from "../gen/envoy/service/cluster/v3/cds_pb.js";
import { AggregatedDiscoveryService } from "../gen/envoy/service/discovery/v3/ads_pb.js";
import { EndpointDiscoveryService } from "../gen/envoy/service/endpoint/v3/eds_pb.js";
import { ListenerDiscoveryService } from "../gen/envoy/service/listener/v3/lds_pb.js";
import { RouteDiscoveryService } from "../gen/envoy/service/route/v3/rds_pb.js";
import { clusterType, endpointType, listenerType, routeType, type XdsTypeUrl } from "../snapshot/index.js";
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

/**
 * The unary Fetch methods, one per type: over gRPC they answer UNIMPLEMENTED; their HTTP binding
 * (POST /v3/discovery:clusters, …) is served as Envoy's REST-JSON polling.
 */
export const fetchMethods: ReadonlyArray<{ readonly typeUrl: XdsTypeUrl; readonly method: DescMethodUnary }> = [
  { typeUrl: clusterType, method: ClusterDiscoveryService.method.fetchClusters },
  { typeUrl: endpointType, method: EndpointDiscoveryService.method.fetchEndpoints },
  { typeUrl: listenerType, method: ListenerDiscoveryService.method.fetchListeners },
  { typeUrl: routeType, method: RouteDiscoveryService.method.fetchRoutes },
];
