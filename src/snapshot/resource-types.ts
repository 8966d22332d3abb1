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

/**
 * The order in which an ADS stream sends types: make before break. Clusters first, then their
 * endpoints (so a new cluster can finish warming), then listeners and routes that point at them.
 * The order matters; removals are sent after all of these (see sotw-stream.ts).
 */
export const adsTypeOrder: readonly XdsTypeUrl[] = [clusterType, endpointType, listenerType, routeType];

/** True for the type URLs the bridge serves. */
export function isXdsTypeUrl(typeUrl: string): typeUrl is XdsTypeUrl {
  return typeUrl === clusterType || typeUrl === endpointType || typeUrl === listenerType || typeUrl === routeType;
}

/**
 * True for LDS and CDS: a state-of-the-world response carries every subscribed resource (a missing one
 * is deleted) and the wildcard subscription exists. EDS and RDS responses may carry only what changed.
 */
export function isFullStateType(typeUrl: XdsTypeUrl): boolean {
  return typeUrl === clusterType || typeUrl === listenerType;
}

/** The short name operators know each type by (CDS, EDS, LDS, RDS). */
export function shortTypeName(typeUrl: string): string {
  switch (typeUrl) {
    case clusterType:
      return "CDS";
    case endpointType:
      return "EDS";
    case listenerType:
      return "LDS";
    case routeType:
      return "RDS";
    default:
      return typeUrl === "" ? "(empty)" : typeUrl;
  }
}
