// Public surface of the validation part: Envoy's own `(validate.*)` rules read from the generated
// descriptors, the grpc-js-xds constraints for gRPC-bound resources, and one gate for the bridge.
//
//   import { validateXdsResource } from "../validate/index.js";
//   const result = validateXdsResource(clusterLoadAssignment, { client: "grpc", authority: "payments" });
//   if (!result.valid) for (const e of result.errors) log.warn({ path: e.path }, e.message); // do not publish
//
// Finer-grained: validateEnvoyResource(ClusterSchema, cluster) for Envoy's rules only, and
// validateForGrpc(typeUrl, message) (or validateGrpcCluster/…Listener/…) for gRPC's rules only.

export type { EnvoyValidator, EnvoyValidatorOptions } from "./create-envoy-validator.js";
export { createEnvoyValidator } from "./create-envoy-validator.js";
export { envoyTypeRegistry } from "./envoy-type-registry.js";
export type { GrpcResourceTypeUrl } from "./grpc-type-urls.js";
export { grpcTypeUrls } from "./grpc-type-urls.js";
export { re2ToRegExp } from "./re2-to-regexp.js";
export { sharedEnvoyValidator, validateEnvoyResource } from "./validate-envoy-resource.js";
export type { GrpcValidationOptions } from "./validate-for-grpc.js";
export { validateForGrpc } from "./validate-for-grpc.js";
export { validateGrpcCluster } from "./validate-grpc-cluster.js";
export type { GrpcClusterLoadAssignmentOptions } from "./validate-grpc-cluster-load-assignment.js";
export { validateGrpcClusterLoadAssignment } from "./validate-grpc-cluster-load-assignment.js";
export type { GrpcListenerOptions } from "./validate-grpc-listener.js";
export { validateGrpcListener } from "./validate-grpc-listener.js";
export type { GrpcRouteConfigurationOptions } from "./validate-grpc-route-configuration.js";
export { validateGrpcRouteConfiguration } from "./validate-grpc-route-configuration.js";
export type { XdsResourceValidationOptions } from "./validate-xds-resource.js";
export { validateXdsResource } from "./validate-xds-resource.js";
export type { ValidationError, ValidationResult } from "./validation-result.js";
export { mergeValidationResults, toValidationResult } from "./validation-result.js";
