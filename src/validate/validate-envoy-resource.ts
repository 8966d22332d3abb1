import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { createEnvoyValidator, type EnvoyValidator } from "./create-envoy-validator.js";
import type { ValidationResult } from "./validation-result.js";

let shared: EnvoyValidator | undefined;

/**
 * Checks a resource (Cluster, ClusterLoadAssignment, Listener, RouteConfiguration, or any other
 * generated Envoy message) against Envoy's `(validate.*)` annotations, recursing into nested
 * messages and Any payloads, with the process-wide plan cache. Errors carry proto field paths.
 */
export function validateEnvoyResource<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): ValidationResult {
  shared ??= createEnvoyValidator();
  return shared.validate(schema, message);
}
