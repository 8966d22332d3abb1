import type { Message } from "@bufbuild/protobuf";
import { sharedEnvoyValidator } from "./validate-envoy-resource.js";
import { type GrpcValidationOptions, validateForGrpc } from "./validate-for-grpc.js";
import { mergeValidationResults, type ValidationResult } from "./validation-result.js";

/** Options of {@link validateXdsResource}. */
export interface XdsResourceValidationOptions extends GrpcValidationOptions {
  /** Who receives the resource: `envoy` gets Envoy's rules; `grpc` gets Envoy's rules plus grpc-js-xds's. */
  client: "envoy" | "grpc";
}

/**
 * The bridge's single gate before publishing: checks a resource message against Envoy's
 * `(validate.*)` rules (schema found by `$typeName`) and, for gRPC-bound resources, against
 * grpc-js-xds's rules too. A resource that fails must not be published.
 */
export function validateXdsResource(message: Message, options: XdsResourceValidationOptions): ValidationResult {
  const envoy = sharedEnvoyValidator().validateMessage(message);
  if (options.client === "envoy") return envoy;
  return mergeValidationResults(envoy, validateForGrpc(`type.googleapis.com/${message.$typeName}`, message, options));
}
