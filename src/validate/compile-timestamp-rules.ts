import type { TimestampRules } from "../gen/validate/validate_pb.js";
import { compileTimeBounds, timeTestsToCheck } from "./compile-time-bounds.js";
import { formatDurationNanos, formatTimestampNanos, isValidTimestamp, protoTimeToNanos } from "./proto-time.js";
import type { ValueCheck } from "./walk-context.js";

const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

/**
 * Compiles google.protobuf.Timestamp rules (const, lt/lte/gt/gte, in, not_in, and the clock-relative
 * lt_now, gt_now, within) into a check of a set Timestamp, or undefined; `required` is applied by
 * the field walker.
 */
export function compileTimestampRules(rules: TimestampRules): ValueCheck | undefined {
  const tests = compileTimeBounds(rules, formatTimestampNanos);
  const within = rules.within ? protoTimeToNanos(rules.within) : undefined;
  if (rules.ltNow && within === undefined) {
    tests.push((v) => (v < nowNanos() ? undefined : "value must be less than now"));
  }
  if (rules.gtNow && within === undefined) {
    tests.push((v) => (v > nowNanos() ? undefined : "value must be greater than now"));
  }
  if (within !== undefined) {
    // protoc-gen-validate: within alone is |now - v| <= within; with lt_now/gt_now it is one-sided.
    const span = formatDurationNanos(within);
    tests.push((v) => {
      const now = nowNanos();
      if (rules.ltNow) return v < now && now - v <= within ? undefined : `value must be less than now and within ${span}`;
      if (rules.gtNow) return v > now && v - now <= within ? undefined : `value must be greater than now and within ${span}`;
      const delta = v > now ? v - now : now - v;
      return delta <= within ? undefined : `value must be within ${span} of now`;
    });
  }
  if (tests.length === 0) return undefined;
  return timeTestsToCheck(tests, isValidTimestamp, "value is not a valid timestamp");
}
