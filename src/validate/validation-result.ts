/** One rule a resource breaks: where (proto field path from the resource's root) and what. */
export interface ValidationError {
  /** Proto field names from the root, e.g. `endpoints[0].lb_endpoints[1].endpoint.address.socket_address.port_value`; `""` for the root itself. */
  readonly path: string;
  /** Human-readable statement of the broken rule, e.g. `value must be less than or equal to 65535 (got 70000)`. */
  readonly message: string;
}

/** Validation outcome as data, never an exception: either valid, or every error found (never an empty list). */
export type ValidationResult = { readonly valid: true } | { readonly valid: false; readonly errors: readonly ValidationError[] };

const VALID: ValidationResult = Object.freeze({ valid: true });

/** Turns a collected error list into a {@link ValidationResult} (no errors means valid). */
export function toValidationResult(errors: readonly ValidationError[]): ValidationResult {
  return errors.length === 0 ? VALID : { valid: false, errors };
}

/** Joins several results of one resource (e.g. Envoy rules and gRPC rules) into one, keeping every error. */
export function mergeValidationResults(...results: readonly ValidationResult[]): ValidationResult {
  const errors: ValidationError[] = [];
  for (const result of results) {
    if (!result.valid) errors.push(...result.errors);
  }
  return toValidationResult(errors);
}
