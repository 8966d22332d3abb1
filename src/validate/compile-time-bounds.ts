import { type ProtoTime, protoTimeToNanos } from "./proto-time.js";
import type { ValueCheck } from "./walk-context.js";

/** The bounds and lists shared by DurationRules and TimestampRules; message fields are undefined when unset. */
export interface TimeBoundRules {
  const?: ProtoTime | undefined;
  lt?: ProtoTime | undefined;
  lte?: ProtoTime | undefined;
  gt?: ProtoTime | undefined;
  gte?: ProtoTime | undefined;
  in?: ProtoTime[];
  notIn?: ProtoTime[];
}

type TimeTest = (nanos: bigint) => string | undefined;

/**
 * Compiles the const/lt/lte/gt/gte/in/not_in part of Duration and Timestamp rules (with
 * protoc-gen-validate's exclusive ranges) into tests on exact nanoseconds; `format` renders a bound
 * in errors. Used by {@link compileDurationRules} and {@link compileTimestampRules}.
 */
export function compileTimeBounds(rules: TimeBoundRules, format: (nanos: bigint) => string): TimeTest[] {
  const tests: TimeTest[] = [];
  if (rules.const) {
    const expected = protoTimeToNanos(rules.const);
    tests.push((v) => (v === expected ? undefined : `value must equal ${format(expected)} (got ${format(v)})`));
  }
  const lower = rules.gt
    ? { value: protoTimeToNanos(rules.gt), inclusive: false }
    : rules.gte
      ? { value: protoTimeToNanos(rules.gte), inclusive: true }
      : undefined;
  const upper = rules.lt
    ? { value: protoTimeToNanos(rules.lt), inclusive: false }
    : rules.lte
      ? { value: protoTimeToNanos(rules.lte), inclusive: true }
      : undefined;
  if (lower && upper) {
    const { value: lo } = lower;
    const { value: hi } = upper;
    const aboveLower = (v: bigint): boolean => (lower.inclusive ? v >= lo : v > lo);
    const belowUpper = (v: bigint): boolean => (upper.inclusive ? v <= hi : v < hi);
    if (lower.inclusive && upper.inclusive ? hi >= lo : hi > lo) {
      const range = `${lower.inclusive ? "[" : "("}${format(lo)}, ${format(hi)}${upper.inclusive ? "]" : ")"}`;
      tests.push((v) => (aboveLower(v) && belowUpper(v) ? undefined : `value must be inside range ${range} (got ${format(v)})`));
    } else {
      const range = `${upper.inclusive ? "(" : "["}${format(hi)}, ${format(lo)}${lower.inclusive ? ")" : "]"}`;
      tests.push((v) => (aboveLower(v) || belowUpper(v) ? undefined : `value must be outside range ${range} (got ${format(v)})`));
    }
  } else if (lower) {
    const { value: lo, inclusive } = lower;
    tests.push((v) =>
      (inclusive ? v >= lo : v > lo)
        ? undefined
        : `value must be greater than ${inclusive ? "or equal to " : ""}${format(lo)} (got ${format(v)})`,
    );
  } else if (upper) {
    const { value: hi, inclusive } = upper;
    tests.push((v) =>
      (inclusive ? v <= hi : v < hi)
        ? undefined
        : `value must be less than ${inclusive ? "or equal to " : ""}${format(hi)} (got ${format(v)})`,
    );
  }
  if (rules.in && rules.in.length > 0) {
    const allowed = new Set(rules.in.map(protoTimeToNanos));
    const list = `[${[...allowed].map(format).join(", ")}]`;
    tests.push((v) => (allowed.has(v) ? undefined : `value must be in list ${list} (got ${format(v)})`));
  }
  if (rules.notIn && rules.notIn.length > 0) {
    const denied = new Set(rules.notIn.map(protoTimeToNanos));
    const list = `[${[...denied].map(format).join(", ")}]`;
    tests.push((v) => (denied.has(v) ? `value must not be in list ${list} (got ${format(v)})` : undefined));
  }
  return tests;
}

/** Wraps time tests into one value check that first rejects out-of-range values with `invalid`. */
export function timeTestsToCheck(tests: TimeTest[], isValid: (time: ProtoTime) => boolean, invalid: string): ValueCheck {
  return (value, ctx) => {
    const time = value as ProtoTime;
    if (!isValid(time)) {
      ctx.report(invalid);
      return;
    }
    const nanos = protoTimeToNanos(time);
    for (const test of tests) {
      const message = test(nanos);
      if (message !== undefined) ctx.report(message);
    }
  };
}
