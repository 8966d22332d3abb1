import type { DurationRules } from "../gen/validate/validate_pb.js";
import { compileTimeBounds, timeTestsToCheck } from "./compile-time-bounds.js";
import { formatDurationNanos, isValidDuration } from "./proto-time.js";
import type { ValueCheck } from "./walk-context.js";

/**
 * Compiles google.protobuf.Duration rules (const, lt/lte/gt/gte, in, not_in) into a check of a set
 * Duration, or undefined; `required` is a presence rule and is applied by the field walker.
 */
export function compileDurationRules(rules: DurationRules): ValueCheck | undefined {
  const tests = compileTimeBounds(rules, formatDurationNanos);
  if (tests.length === 0) return undefined;
  return timeTestsToCheck(tests, isValidDuration, "value is not a valid duration");
}
