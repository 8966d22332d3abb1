import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { createEnvoyValidator, type EnvoyValidator } from "./create-envoy-validator.js";
import type { ValidationResult } from "./validation-result.js";

let shared: EnvoyValidator | undefined;

/** The process-wide validator: one plan cache for every caller (compiled rules are the costly part). */
export function sharedEnvoyValidator(): EnvoyValidator {
  return (shared ??= createEnvoyValidator());
}

/**
 * Checks a resource (Cluster, ClusterLoadAssignment, Listener, RouteConfiguration, or any other
 * generated Envoy message) against Envoy's `(validate.*)` annotations, recursing into nested
 * messages and Any payloads, with the process-wide plan cache. Errors carry proto field paths.
 */
export function validateEnvoyResource<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): ValidationResult {
  return sharedEnvoyValidator().validate(schema, message);
}
