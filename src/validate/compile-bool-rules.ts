import { isFieldSet } from "@bufbuild/protobuf";
import { type BoolRules, BoolRulesSchema } from "../gen/validate/validate_pb.js";
import type { ValueCheck } from "./walk-context.js";

/** Compiles bool field rules (`const`) into a check, or undefined when unset. */
export function compileBoolRules(rules: BoolRules): ValueCheck | undefined {
  if (!isFieldSet(rules, BoolRulesSchema.field.const!)) return undefined;
  const expected = rules.const;
  return (value, ctx) => {
    if (value !== expected) ctx.report(`value must equal ${expected}`);
  };
}
