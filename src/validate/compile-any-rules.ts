import type { AnyRules } from "../gen/validate/validate_pb.js";
import type { ValueCheck } from "./walk-context.js";

/**
 * Compiles google.protobuf.Any rules (`in`, `not_in` on the full type URL) into a check of a set
 * Any, or undefined; `required` is applied by the field walker and payloads are walked separately.
 */
export function compileAnyRules(rules: AnyRules): ValueCheck | undefined {
  const tests: ((typeUrl: string) => string | undefined)[] = [];
  if (rules.in.length > 0) {
    const allowed = new Set(rules.in);
    tests.push((url) =>
      allowed.has(url) ? undefined : `type URL must be in list ${JSON.stringify(rules.in)} (got ${JSON.stringify(url)})`,
    );
  }
  if (rules.notIn.length > 0) {
    const denied = new Set(rules.notIn);
    tests.push((url) =>
      denied.has(url) ? `type URL must not be in list ${JSON.stringify(rules.notIn)} (got ${JSON.stringify(url)})` : undefined,
    );
  }
  if (tests.length === 0) return undefined;
  return (value, ctx) => {
    const url = (value as { typeUrl: string }).typeUrl;
    for (const test of tests) {
      const message = test(url);
      if (message !== undefined) ctx.report(message);
    }
  };
}
