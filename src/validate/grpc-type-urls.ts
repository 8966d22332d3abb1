import { clusterType, endpointType, extensionTypeUrls, listenerType, routeType } from "../resource-types/index.js";

/**
 * The type URLs the gRPC checks dispatch on or compare against (they mirror the constants of
 * @grpc/grpc-js-xds 1.14.1 `src/resources.ts` and its filter and LB policy files), by role.
 */
export const grpcTypeUrls = {
  listener: listenerType,
  routeConfiguration: routeType,
  cluster: clusterType,
  clusterLoadAssignment: endpointType,
  ...extensionTypeUrls,
} as const;

/** The four resource type URLs a proxyless gRPC client subscribes to. */
export type GrpcResourceTypeUrl =
  | typeof grpcTypeUrls.listener
  | typeof grpcTypeUrls.routeConfiguration
  | typeof grpcTypeUrls.cluster
  | typeof grpcTypeUrls.clusterLoadAssignment;
