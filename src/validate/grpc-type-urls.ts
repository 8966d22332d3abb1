/**
 * Type URLs the gRPC checks dispatch on or compare against, written once (they mirror the
 * constants of @grpc/grpc-js-xds 1.14.1 `src/resources.ts` and its filter and LB policy files).
 */
export const grpcTypeUrls = {
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  routeConfiguration: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  clusterLoadAssignment: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  httpConnectionManager: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  fault: "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
  filterConfig: "type.googleapis.com/envoy.config.route.v3.FilterConfig",
  typedStructXds: "type.googleapis.com/xds.type.v3.TypedStruct",
  typedStructUdpa: "type.googleapis.com/udpa.type.v1.TypedStruct",
  aggregateClusterConfig: "type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig",
  upstreamTlsContext: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
} as const;

/** The four resource type URLs a proxyless gRPC client subscribes to. */
export type GrpcResourceTypeUrl =
  | typeof grpcTypeUrls.listener
  | typeof grpcTypeUrls.routeConfiguration
  | typeof grpcTypeUrls.cluster
  | typeof grpcTypeUrls.clusterLoadAssignment;
