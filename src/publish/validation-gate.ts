import type { Message } from "@bufbuild/protobuf";
import type { ClientKind, PartDraft, ResourceDraft } from "../mapping/index.js";
import { type ValidationResult, validateXdsResource } from "../validate/index.js";

/** Envoy's verdicts per message object, shared by the kinds within one publish (see validateXdsResource). */
export type EnvoyVerdicts = WeakMap<Message, ValidationResult>;

/**
 * The gate every resource passes before it is published, and the one the tests check mappings
 * with: Envoy's own rules for every kind, grpc-js-xds's rules on top for gRPC — for a gRPC route
 * configuration against the authority its clients dial (a virtual host that does not match it would
 * be ACKed and then fail every RPC).
 */
export function validateDraft(draft: ResourceDraft, kind: ClientKind, envoyVerdicts?: EnvoyVerdicts): ValidationResult {
  return validateXdsResource(draft.message, {
    client: kind,
    ...(draft.authority !== undefined ? { authority: draft.authority } : {}),
    ...(envoyVerdicts ? { envoyVerdicts } : {}),
  });
}

/** The same gate for one part of an assembled resource (an Envoy virtual host). */
export function validatePart(part: PartDraft, kind: ClientKind): ValidationResult {
  return validateXdsResource(part.message, { client: kind });
}
