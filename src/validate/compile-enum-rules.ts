import { type DescEnum, isFieldSet } from "@bufbuild/protobuf";
import { type EnumRules, EnumRulesSchema } from "../gen/validate/validate_pb.js";
import type { ValueCheck } from "./walk-context.js";

/**
 * Compiles enum field rules (const, defined_only against the enum's own descriptor, in, not_in)
 * into one check, or undefined. Open enums let any int32 through the wire, so defined_only is
 * what catches e.g. `Cluster.type = 99`.
 */
export function compileEnumRules(rules: EnumRules, enumDesc: DescEnum): ValueCheck | undefined {
  const tests: ((v: number) => string | undefined)[] = [];
  const name = (v: number): string => enumDesc.value[v]?.name ?? String(v);
  if (isFieldSet(rules, EnumRulesSchema.field.const!)) {
    const expected = rules.const;
    tests.push((v) => (v === expected ? undefined : `value must equal ${name(expected)} (got ${name(v)})`));
  }
  if (rules.definedOnly) {
    const defined = new Set(enumDesc.values.map((value) => value.number));
    tests.push((v) => (defined.has(v) ? undefined : `value must be one of the defined values of ${enumDesc.typeName} (got ${v})`));
  }
  if (rules.in.length > 0) {
    const allowed = new Set(rules.in);
    const list = `[${rules.in.map(name).join(", ")}]`;
    tests.push((v) => (allowed.has(v) ? undefined : `value must be in list ${list} (got ${name(v)})`));
  }
  if (rules.notIn.length > 0) {
    const denied = new Set(rules.notIn);
    const list = `[${rules.notIn.map(name).join(", ")}]`;
    tests.push((v) => (denied.has(v) ? `value must not be in list ${list} (got ${name(v)})` : undefined));
  }
  if (tests.length === 0) return undefined;
  return (value, ctx) => {
    const v = value as number;
    for (const test of tests) {
      const message = test(v);
      if (message !== undefined) ctx.report(message);
    }
  };
}
