import { type DescMessage, isFieldSet, type Message } from "@bufbuild/protobuf";
import type { ValueCheck } from "./walk-context.js";

type Num = number | bigint;

/** The shape every numeric rule message of validate.proto shares (Int32Rules, UInt64Rules, DoubleRules…). */
interface NumberRules<T extends Num> extends Message {
  const: T;
  lt: T;
  lte: T;
  gt: T;
  gte: T;
  in: T[];
  notIn: T[];
}

/** One numeric test; returns the error message when the value fails it. */
type NumberTest = (value: Num) => string | undefined;

function toBigint(value: unknown): bigint {
  return typeof value === "bigint" ? value : BigInt(value as string | number);
}

/**
 * Compiles numeric field rules (const, lt/lte/gt/gte including protoc-gen-validate's exclusive
 * ranges, in, not_in) into one check, or undefined when the rules constrain nothing.
 * `int64` selects bigint arithmetic: 64-bit values arrive as bigint (or decimal strings).
 */
export function compileNumberRules<T extends Num>(rules: NumberRules<T>, schema: DescMessage, int64: boolean): ValueCheck | undefined {
  const set = (name: string): boolean => {
    const field = schema.field[name];
    return field !== undefined && isFieldSet(rules, field);
  };
  const tests: NumberTest[] = [];
  if (set("const")) {
    const expected = rules.const;
    tests.push((v) => (v === expected ? undefined : `value must equal ${expected} (got ${v})`));
  }
  const lower = set("gt")
    ? { value: rules.gt as Num, inclusive: false }
    : set("gte")
      ? { value: rules.gte as Num, inclusive: true }
      : undefined;
  const upper = set("lt")
    ? { value: rules.lt as Num, inclusive: false }
    : set("lte")
      ? { value: rules.lte as Num, inclusive: true }
      : undefined;
  if (lower && upper) {
    const lo = lower.value;
    const hi = upper.value;
    const aboveLower = lower.inclusive ? (v: Num) => v >= lo : (v: Num) => v > lo;
    const belowUpper = upper.inclusive ? (v: Num) => v <= hi : (v: Num) => v < hi;
    const inside = lower.inclusive && upper.inclusive ? hi >= lo : hi > lo;
    if (inside) {
      const range = `${lower.inclusive ? "[" : "("}${lo}, ${hi}${upper.inclusive ? "]" : ")"}`;
      tests.push((v) => (aboveLower(v) && belowUpper(v) ? undefined : `value must be inside range ${range} (got ${v})`));
    } else {
      // Reversed bounds mean "outside": valid below the upper bound or above the lower one.
      const range = `${upper.inclusive ? "(" : "["}${hi}, ${lo}${lower.inclusive ? ")" : "]"}`;
      tests.push((v) => (aboveLower(v) || belowUpper(v) ? undefined : `value must be outside range ${range} (got ${v})`));
    }
  } else if (lower) {
    const lo = lower.value;
    tests.push(
      lower.inclusive
        ? (v) => (v >= lo ? undefined : `value must be greater than or equal to ${lo} (got ${v})`)
        : (v) => (v > lo ? undefined : `value must be greater than ${lo} (got ${v})`),
    );
  } else if (upper) {
    const hi = upper.value;
    tests.push(
      upper.inclusive
        ? (v) => (v <= hi ? undefined : `value must be less than or equal to ${hi} (got ${v})`)
        : (v) => (v < hi ? undefined : `value must be less than ${hi} (got ${v})`),
    );
  }
  if (rules.in.length > 0) {
    const allowed = new Set<Num>(rules.in);
    const list = `[${rules.in.join(", ")}]`;
    tests.push((v) => (allowed.has(v) ? undefined : `value must be in list ${list} (got ${v})`));
  }
  if (rules.notIn.length > 0) {
    const denied = new Set<Num>(rules.notIn);
    const list = `[${rules.notIn.join(", ")}]`;
    tests.push((v) => (denied.has(v) ? `value must not be in list ${list} (got ${v})` : undefined));
  }
  if (tests.length === 0) return undefined;
  const normalize = int64 ? toBigint : (value: unknown) => value as number;
  return (value, ctx) => {
    const v = normalize(value);
    for (const test of tests) {
      const message = test(v);
      if (message !== undefined) ctx.report(message);
    }
  };
}
