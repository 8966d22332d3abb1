import type { DescMessage, Message, MessageShape, Registry } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { createPlanCompiler } from "./create-plan-compiler.js";
import { envoyTypeRegistry } from "./envoy-type-registry.js";
import { toValidationResult, type ValidationResult } from "./validation-result.js";
import { WalkContext } from "./walk-context.js";
import { walkMessage } from "./walk-message.js";

/** Options of {@link createEnvoyValidator}. */
export interface EnvoyValidatorOptions {
  /**
   * Message types `google.protobuf.Any` payloads are unpacked through (and looked up by
   * {@link EnvoyValidator.validateMessage}). Defaults to every Envoy type generated in src/gen;
   * a payload whose type is missing is reported as an error, never skipped.
   */
  registry?: Registry;
}

/** Checks messages against Envoy's own `(validate.*)` annotations, with plans compiled once per message type. */
export interface EnvoyValidator {
  /** Validates a message of the given schema, recursing into nested messages and Any payloads. */
  validate<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): ValidationResult;
  /** Validates a message whose schema is looked up in the registry by its `$typeName`. */
  validateMessage(message: Message): ValidationResult;
  /** Validates a packed resource (as sent in a DiscoveryResponse): type URL known, payload decodable and valid. */
  validateAny(any: Any): ValidationResult;
}

/** Creates a validator with its own plan cache; see sharedEnvoyValidator for the process-wide one. */
export function createEnvoyValidator(options: EnvoyValidatorOptions = {}): EnvoyValidator {
  const registry = options.registry ?? envoyTypeRegistry();
  const compiler = createPlanCompiler(registry);
  const validate = (schema: DescMessage, message: Message): ValidationResult => {
    const ctx = new WalkContext();
    if (message.$typeName !== schema.typeName) {
      ctx.report(`expected a ${schema.typeName} message, got ${message.$typeName}`);
    } else {
      walkMessage(compiler.planFor(schema), message, ctx);
    }
    return toValidationResult(ctx.errors);
  };
  return {
    validate,
    validateMessage(message) {
      const schema = registry.getMessage(message.$typeName);
      if (!schema) {
        return toValidationResult([{ path: "", message: `unknown message type ${message.$typeName}: not in the validator's registry` }]);
      }
      return validate(schema, message);
    },
    validateAny(any) {
      const ctx = new WalkContext();
      compiler.anyPayload(any, ctx);
      return toValidationResult(ctx.errors);
    },
  };
}
