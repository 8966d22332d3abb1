import type { DescMessage } from "@bufbuild/protobuf";

/**
 * Every type URL the bridge knows, written once: the four xDS resource types it serves, and the
 * extension types the gRPC checks compare against (mirroring @grpc/grpc-js-xds 1.14.1's constants).
 * No other source file spells a type URL; code that has a schema uses {@link typeUrlOf}.
 */
const prefix = "type.googleapis.com/";

/** Type URL of envoy.config.cluster.v3.Cluster (CDS). */
export const clusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
/** Type URL of envoy.config.endpoint.v3.ClusterLoadAssignment (EDS). */
export const endpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
/** Type URL of envoy.config.listener.v3.Listener (LDS). */
export const listenerType = "type.googleapis.com/envoy.config.listener.v3.Listener";
/** Type URL of envoy.config.route.v3.RouteConfiguration (RDS). */
export const routeType = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

/** The four resource types the bridge serves. */
export type XdsTypeUrl = typeof clusterType | typeof endpointType | typeof listenerType | typeof routeType;

/** Extension and filter types the gRPC checks dispatch on (packed in `Any`s inside resources). */
export const extensionTypeUrls = {
  httpConnectionManager: `${prefix}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  router: `${prefix}envoy.extensions.filters.http.router.v3.Router`,
  fault: `${prefix}envoy.extensions.filters.http.fault.v3.HTTPFault`,
  filterConfig: `${prefix}envoy.config.route.v3.FilterConfig`,
  typedStructXds: `${prefix}xds.type.v3.TypedStruct`,
  typedStructUdpa: `${prefix}udpa.type.v1.TypedStruct`,
  aggregateClusterConfig: `${prefix}envoy.extensions.clusters.aggregate.v3.ClusterConfig`,
  upstreamTlsContext: `${prefix}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
  roundRobin: `${prefix}envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin`,
  ringHash: `${prefix}envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash`,
  wrrLocality: `${prefix}envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality`,
} as const;

/** The type URL of a message type: what `Any.type_url` holds for it. */
export function typeUrlOf(schemaOrTypeName: DescMessage | string): string {
  return prefix + (typeof schemaOrTypeName === "string" ? schemaOrTypeName : schemaOrTypeName.typeName);
}

/** The message type name a type URL names (the part after the last `/`), or undefined when it is not a type URL. */
export function typeNameOf(typeUrl: string): string | undefined {
  const slash = typeUrl.lastIndexOf("/");
  return slash >= 0 && slash < typeUrl.length - 1 ? typeUrl.slice(slash + 1) : undefined;
}
