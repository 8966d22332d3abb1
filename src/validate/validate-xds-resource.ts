import type { Message } from "@bufbuild/protobuf";
import { typeUrlOf } from "../resource-types/index.js";
import { envoyConfigRuleErrors } from "./envoy-config-rule-errors.js";
import { sharedEnvoyValidator } from "./validate-envoy-resource.js";
import { type GrpcValidationOptions, validateForGrpc } from "./validate-for-grpc.js";
import { mergeValidationResults, toValidationResult, type ValidationResult } from "./validation-result.js";

/** Options of {@link validateXdsResource}. */
export interface XdsResourceValidationOptions extends GrpcValidationOptions {
  /** Who receives the resource: `envoy` gets Envoy's rules; `grpc` gets Envoy's rules plus grpc-js-xds's. */
  client: "envoy" | "grpc";
  /**
   * Remembers Envoy's verdict per message object, so a message sent to both kinds is checked against
   * Envoy's rules once (the same verdict either way: those rules depend on the message alone).
   */
  envoyVerdicts?: WeakMap<Message, ValidationResult>;
}

/**
 * The bridge's single gate before publishing: checks a resource message against Envoy's
 * `(validate.*)` rules (schema found by `$typeName`) and the load-time rules Envoy enforces beyond
 * them (envoyConfigRuleErrors), and, for gRPC-bound resources, against grpc-js-xds's rules too. A
 * resource that fails must not be published.
 */
export function validateXdsResource(message: Message, options: XdsResourceValidationOptions): ValidationResult {
  let envoy = options.envoyVerdicts?.get(message);
  if (!envoy) {
    envoy = mergeValidationResults(sharedEnvoyValidator().validateMessage(message), toValidationResult(envoyConfigRuleErrors(message)));
    options.envoyVerdicts?.set(message, envoy);
  }
  if (options.client === "envoy") return envoy;
  return mergeValidationResults(envoy, validateForGrpc(typeUrlOf(message.$typeName), message, options));
}
