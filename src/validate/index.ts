// Public surface of the validation part: Envoy's own `(validate.*)` rules read from the generated
// descriptors and the grpc-js-xds constraints for gRPC-bound resources, behind one gate.
//
//   import { validateXdsResource } from "../validate/index.js";
//   const result = validateXdsResource(clusterLoadAssignment, { client: "grpc", authority: "payments" });
//   if (!result.valid) for (const e of result.errors) log.warn({ path: e.path }, e.message); // do not publish
//
// The gate also holds the load-time rules Envoy enforces beyond its annotations (envoy-config-rule-errors.ts).
// The finer-grained checks (validateEnvoyResource, validateForGrpc, validateGrpcCluster…) are the
// files of this folder; only their tests call them directly.
export { envoyTypeRegistry } from "./envoy-type-registry.js";
export { validateXdsResource, type XdsResourceValidationOptions } from "./validate-xds-resource.js";
export type { ValidationError, ValidationResult } from "./validation-result.js";
