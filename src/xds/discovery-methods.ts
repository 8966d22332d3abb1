import type { DescMethodBiDiStreaming } from "@bufbuild/protobuf";
import { EncodedDiscoveryResponseSchema } from "../gen/consulxdsbridge/xds/v1/encoded_discovery_response_pb.js";
import { ClusterDiscoveryService } from "../gen/envoy/service/cluster/v3/cds_pb.js";
import { AggregatedDiscoveryService } from "../gen/envoy/service/discovery/v3/ads_pb.js";
import type { DiscoveryRequestSchema, DiscoveryResponseSchema } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import { EndpointDiscoveryService } from "../gen/envoy/service/endpoint/v3/eds_pb.js";
import { ListenerDiscoveryService } from "../gen/envoy/service/listener/v3/lds_pb.js";
import { RouteDiscoveryService } from "../gen/envoy/service/route/v3/rds_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../snapshot/index.js";
import type { StreamKind } from "./stream-hooks.js";

/** A SotW method whose responses are written from pre-encoded resources. */
export type EncodedSotwMethod = DescMethodBiDiStreaming<typeof DiscoveryRequestSchema, typeof EncodedDiscoveryResponseSchema>;

type SotwMethod = DescMethodBiDiStreaming<typeof DiscoveryRequestSchema, typeof DiscoveryResponseSchema>;

/**
 * The same RPC (same path, same request type), answered with EncodedDiscoveryResponse, which is
 * wire-identical to DiscoveryResponse but takes each resource as the bytes of its Any: resources are
 * encoded once per version in the snapshot, never once per stream.
 */
function withEncodedResponses(method: SotwMethod): EncodedSotwMethod {
  return { ...method, output: EncodedDiscoveryResponseSchema };
}

/** Every state-of-the-world streaming method the server answers, with the kind of stream it opens. */
export const sotwMethods: ReadonlyArray<{ readonly kind: StreamKind; readonly method: EncodedSotwMethod }> = [
  { kind: "ads", method: withEncodedResponses(AggregatedDiscoveryService.method.streamAggregatedResources) },
  { kind: clusterType, method: withEncodedResponses(ClusterDiscoveryService.method.streamClusters) },
  { kind: endpointType, method: withEncodedResponses(EndpointDiscoveryService.method.streamEndpoints) },
  { kind: listenerType, method: withEncodedResponses(ListenerDiscoveryService.method.streamListeners) },
  { kind: routeType, method: withEncodedResponses(RouteDiscoveryService.method.streamRoutes) },
];

/** Incremental (delta) streaming methods: answered UNIMPLEMENTED. */
export const deltaMethods = [
  AggregatedDiscoveryService.method.deltaAggregatedResources,
  ClusterDiscoveryService.method.deltaClusters,
  EndpointDiscoveryService.method.deltaEndpoints,
  ListenerDiscoveryService.method.deltaListeners,
  RouteDiscoveryService.method.deltaRoutes,
] as const;

/** REST-style unary fetch methods: answered UNIMPLEMENTED. */
export const fetchMethods = [
  ClusterDiscoveryService.method.fetchClusters,
  EndpointDiscoveryService.method.fetchEndpoints,
  ListenerDiscoveryService.method.fetchListeners,
  RouteDiscoveryService.method.fetchRoutes,
] as const;
