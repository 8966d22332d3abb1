import type { Message } from "@bufbuild/protobuf";
import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.js";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import { typeUrlOf } from "../resource-types/index.js";
import { grpcTypeUrls } from "./grpc-type-urls.js";
import { validateGrpcCluster } from "./validate-grpc-cluster.js";
import { type GrpcClusterLoadAssignmentOptions, validateGrpcClusterLoadAssignment } from "./validate-grpc-cluster-load-assignment.js";
import { validateGrpcListener } from "./validate-grpc-listener.js";
import { type GrpcRouteConfigurationOptions, validateGrpcRouteConfiguration } from "./validate-grpc-route-configuration.js";
import { toValidationResult, type ValidationResult } from "./validation-result.js";

/** Options of {@link validateForGrpc}: what the per-type gRPC checks take. */
export interface GrpcValidationOptions extends GrpcRouteConfigurationOptions, GrpcClusterLoadAssignmentOptions {}

/**
 * Checks a resource bound for proxyless gRPC clients against what @grpc/grpc-js-xds 1.14.1 would
 * NACK (or silently ignore), dispatching on the xDS type URL (LDS, RDS, CDS, EDS). A type gRPC
 * clients never subscribe to, or a message that does not match the type URL, is an error.
 */
export function validateForGrpc(typeUrl: string, message: Message, options: GrpcValidationOptions = {}): ValidationResult {
  if (typeUrlOf(message.$typeName) !== typeUrl) {
    return toValidationResult([{ path: "", message: `message type ${message.$typeName} does not match type URL ${typeUrl}` }]);
  }
  switch (typeUrl) {
    case grpcTypeUrls.listener:
      return validateGrpcListener(message as Listener, options);
    case grpcTypeUrls.routeConfiguration:
      return validateGrpcRouteConfiguration(message as RouteConfiguration, options);
    case grpcTypeUrls.cluster:
      return validateGrpcCluster(message as Cluster);
    case grpcTypeUrls.clusterLoadAssignment:
      return validateGrpcClusterLoadAssignment(message as ClusterLoadAssignment, options);
    default:
      return toValidationResult([{ path: "", message: `gRPC clients do not consume resources of type ${typeUrl}` }]);
  }
}
