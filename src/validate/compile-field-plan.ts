import { type DescEnum, type DescField, type DescMessage, getOption, hasOption, isFieldSet, ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import {
  DoubleRulesSchema,
  type FieldRules,
  Fixed32RulesSchema,
  Fixed64RulesSchema,
  FloatRulesSchema,
  Int32RulesSchema,
  Int64RulesSchema,
  MapRulesSchema,
  RepeatedRulesSchema,
  rules as rulesExtension,
  SFixed32RulesSchema,
  SFixed64RulesSchema,
  SInt32RulesSchema,
  SInt64RulesSchema,
  UInt32RulesSchema,
  UInt64RulesSchema,
} from "../gen/validate/validate_pb.js";
import { compileAnyRules } from "./compile-any-rules.js";
import { compileBoolRules } from "./compile-bool-rules.js";
import { compileBytesRules } from "./compile-bytes-rules.js";
import { compileDurationRules } from "./compile-duration-rules.js";
import { compileEnumRules } from "./compile-enum-rules.js";
import { compileNumberRules } from "./compile-number-rules.js";
import { compileStringRules } from "./compile-string-rules.js";
import { compileTimestampRules } from "./compile-timestamp-rules.js";
import { mapKeySegment } from "./field-path.js";
import { ignoreEmptyFields } from "./ignore-empty-fields.js";
import type { FieldPlan, MessagePlan } from "./message-plan.js";
import type { ValueCheck, WalkContext } from "./walk-context.js";
import { walkMessage } from "./walk-message.js";

/** What field compilation needs from the plan compiler. */
export interface PlanLinker {
  /** The plan of a message type, possibly still being compiled (its triviality is settled later). */
  planFor(desc: DescMessage): MessagePlan;
  /** Unpacks a google.protobuf.Any (the value) and walks its payload; reports unknown types and bad bytes. */
  readonly anyPayload: ValueCheck;
}

/** What a field, list item, map key or map value holds. */
type Element =
  | { readonly kind: "scalar"; readonly scalar: ScalarType }
  | { readonly kind: "enum"; readonly enum: DescEnum }
  | { readonly kind: "message"; readonly message: DescMessage; readonly unwrapped: boolean };

/** A compiled element: the check of a present value, plus what the field needs to know about it. */
interface CompiledElement {
  readonly check: ValueCheck | undefined;
  readonly required: boolean;
  readonly hasOwnRules: boolean;
  readonly recursesInto: readonly MessagePlan[];
  readonly unpacksAny: boolean;
}

/** Types whose protobuf-es representation is plain JSON (Struct as JsonObject) and that carry no rules. */
const OPAQUE_TYPES = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

const INT64_SCALARS = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);

/** Chains checks into one; undefined when there are none. */
function chain(checks: (ValueCheck | undefined)[]): ValueCheck | undefined {
  const present = checks.filter((c): c is ValueCheck => c !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return (value, ctx) => {
    for (const check of present) check(value, ctx);
  };
}

/**
 * Compiles the scalar part of field rules for a value of the given scalar type. A rule whose kind
 * does not fit the type (which protoc-gen-validate would refuse to generate) is ignored.
 */
function compileScalarRules(rules: FieldRules | undefined, scalar: ScalarType, ignoreEmpty: boolean): ValueCheck | undefined {
  if (!rules) return undefined;
  const type = rules.type;
  switch (type.case) {
    case "float":
      return scalar === ScalarType.FLOAT ? compileNumberRules(type.value, FloatRulesSchema, false) : undefined;
    case "double":
      return scalar === ScalarType.DOUBLE ? compileNumberRules(type.value, DoubleRulesSchema, false) : undefined;
    case "int32":
      return scalar === ScalarType.INT32 ? compileNumberRules(type.value, Int32RulesSchema, false) : undefined;
    case "uint32":
      return scalar === ScalarType.UINT32 ? compileNumberRules(type.value, UInt32RulesSchema, false) : undefined;
    case "sint32":
      return scalar === ScalarType.SINT32 ? compileNumberRules(type.value, SInt32RulesSchema, false) : undefined;
    case "fixed32":
      return scalar === ScalarType.FIXED32 ? compileNumberRules(type.value, Fixed32RulesSchema, false) : undefined;
    case "sfixed32":
      return scalar === ScalarType.SFIXED32 ? compileNumberRules(type.value, SFixed32RulesSchema, false) : undefined;
    case "int64":
      return scalar === ScalarType.INT64 ? compileNumberRules(type.value, Int64RulesSchema, true) : undefined;
    case "uint64":
      return scalar === ScalarType.UINT64 ? compileNumberRules(type.value, UInt64RulesSchema, true) : undefined;
    case "sint64":
      return scalar === ScalarType.SINT64 ? compileNumberRules(type.value, SInt64RulesSchema, true) : undefined;
    case "fixed64":
      return scalar === ScalarType.FIXED64 ? compileNumberRules(type.value, Fixed64RulesSchema, true) : undefined;
    case "sfixed64":
      return scalar === ScalarType.SFIXED64 ? compileNumberRules(type.value, SFixed64RulesSchema, true) : undefined;
    case "bool":
      return scalar === ScalarType.BOOL ? compileBoolRules(type.value) : undefined;
    case "string":
      return scalar === ScalarType.STRING ? compileStringRules(type.value, ignoreEmpty) : undefined;
    case "bytes":
      return scalar === ScalarType.BYTES ? compileBytesRules(type.value) : undefined;
    default:
      return undefined;
  }
}

const NOTHING: CompiledElement = { check: undefined, required: false, hasOwnRules: false, recursesInto: [], unpacksAny: false };

/** Compiles the rules of one element (a singular value, a list item, a map key or value). */
function compileElement(element: Element, rules: FieldRules | undefined, linker: PlanLinker, ignoreEmpty: boolean): CompiledElement {
  switch (element.kind) {
    case "scalar": {
      const check = compileScalarRules(rules, element.scalar, ignoreEmpty);
      return { ...NOTHING, check, hasOwnRules: check !== undefined };
    }
    case "enum": {
      const check = rules?.type.case === "enum" ? compileEnumRules(rules.type.value, element.enum) : undefined;
      return { ...NOTHING, check, hasOwnRules: check !== undefined };
    }
    case "message":
      break;
  }
  const desc = element.message;
  const messageRequired = rules?.message?.required ?? false;
  const skip = rules?.message?.skip ?? false;
  if (isWrapperDesc(desc)) {
    // Rules on a wrapper field apply to the wrapped value when the wrapper is set.
    const inner = compileScalarRules(rules, desc.fields[0]!.scalar!, ignoreEmpty);
    const check =
      inner && !element.unwrapped ? (value: unknown, ctx: WalkContext) => inner((value as { value: unknown }).value, ctx) : inner;
    return { ...NOTHING, check, required: messageRequired, hasOwnRules: check !== undefined || messageRequired };
  }
  switch (desc.typeName) {
    case "google.protobuf.Duration": {
      const durationRules = rules?.type.case === "duration" ? rules.type.value : undefined;
      const check = durationRules ? compileDurationRules(durationRules) : undefined;
      const required = messageRequired || (durationRules?.required ?? false);
      return { ...NOTHING, check, required, hasOwnRules: check !== undefined || required };
    }
    case "google.protobuf.Timestamp": {
      const timestampRules = rules?.type.case === "timestamp" ? rules.type.value : undefined;
      const check = timestampRules ? compileTimestampRules(timestampRules) : undefined;
      const required = messageRequired || (timestampRules?.required ?? false);
      return { ...NOTHING, check, required, hasOwnRules: check !== undefined || required };
    }
    case "google.protobuf.Any": {
      const anyRules = rules?.type.case === "any" ? rules.type.value : undefined;
      const own = anyRules ? compileAnyRules(anyRules) : undefined;
      const required = messageRequired || (anyRules?.required ?? false);
      return {
        check: chain([own, skip ? undefined : linker.anyPayload]),
        required,
        hasOwnRules: own !== undefined || required,
        recursesInto: [],
        unpacksAny: !skip,
      };
    }
  }
  if (OPAQUE_TYPES.has(desc.typeName) || skip) {
    return { ...NOTHING, required: messageRequired, hasOwnRules: messageRequired };
  }
  const plan = linker.planFor(desc);
  return {
    check: (value, ctx) => walkMessage(plan, value, ctx),
    required: messageRequired,
    hasOwnRules: messageRequired,
    recursesInto: [plan],
    unpacksAny: false,
  };
}

/** How a map key arrives (always a string property name) converted to the key's scalar type. */
function mapKeyConverter(scalar: ScalarType): (key: string) => unknown {
  if (scalar === ScalarType.STRING) return (key) => key;
  if (scalar === ScalarType.BOOL) return (key) => key === "true";
  if (INT64_SCALARS.has(scalar)) return (key) => BigInt(key);
  return (key) => Number(key);
}

/** Compiles repeated-field rules (min/max items, unique) and the per-item rules into the field's check. */
function compileListField(field: DescField & { fieldKind: "list" }, rules: FieldRules | undefined, linker: PlanLinker): CompiledElement {
  const repeated = rules?.type.case === "repeated" ? rules.type.value : undefined;
  const element: Element =
    field.listKind === "scalar"
      ? { kind: "scalar", scalar: field.scalar }
      : field.listKind === "enum"
        ? { kind: "enum", enum: field.enum }
        : { kind: "message", message: field.message, unwrapped: false };
  const items = compileElement(element, repeated?.items, linker, false);
  const tests: ((list: unknown[], ctx: WalkContext) => void)[] = [];
  if (repeated) {
    const min = Number(repeated.minItems);
    const max = Number(repeated.maxItems);
    if (min > 0)
      tests.push((list, ctx) => list.length >= min || ctx.report(`value must contain at least ${min} item(s) (got ${list.length})`));
    if (isFieldSet(repeated, RepeatedRulesSchema.field.maxItems!)) {
      tests.push((list, ctx) => list.length <= max || ctx.report(`value must contain no more than ${max} item(s) (got ${list.length})`));
    }
    if (repeated.unique && element.kind !== "message") {
      const key =
        element.kind === "scalar" && element.scalar === ScalarType.BYTES
          ? (v: unknown) => Buffer.from(v as Uint8Array).toString("hex")
          : (v: unknown) => v;
      tests.push((list, ctx) => {
        const seen = new Set<unknown>();
        for (let i = 0; i < list.length; i++) {
          const k = key(list[i]);
          if (seen.has(k)) ctx.reportAt(i, "repeated value must contain unique items");
          seen.add(k);
        }
      });
    }
  }
  const itemCheck = items.check;
  if (tests.length === 0 && !itemCheck) return NOTHING;
  return {
    check: (value, ctx) => {
      const list = value as unknown[];
      for (const test of tests) test(list, ctx);
      if (itemCheck) {
        for (let i = 0; i < list.length; i++) {
          ctx.path.push(i);
          itemCheck(list[i], ctx);
          ctx.path.pop();
        }
      }
    },
    required: false,
    hasOwnRules: tests.length > 0 || items.hasOwnRules,
    recursesInto: items.recursesInto,
    unpacksAny: items.unpacksAny,
  };
}

/** Compiles map-field rules (min/max pairs, key and value rules) into the field's check. */
function compileMapField(field: DescField & { fieldKind: "map" }, rules: FieldRules | undefined, linker: PlanLinker): CompiledElement {
  const mapRules = rules?.type.case === "map" ? rules.type.value : undefined;
  const valueElement: Element =
    field.mapKind === "scalar"
      ? { kind: "scalar", scalar: field.scalar }
      : field.mapKind === "enum"
        ? { kind: "enum", enum: field.enum }
        : { kind: "message", message: field.message, unwrapped: false };
  const keys = compileElement({ kind: "scalar", scalar: field.mapKey }, mapRules?.keys, linker, false);
  const values = compileElement(valueElement, mapRules?.values, linker, false);
  const toKey = mapKeyConverter(field.mapKey);
  const tests: ((count: number, ctx: WalkContext) => void)[] = [];
  if (mapRules) {
    const min = Number(mapRules.minPairs);
    const max = Number(mapRules.maxPairs);
    if (min > 0) tests.push((n, ctx) => n >= min || ctx.report(`value must contain at least ${min} pair(s) (got ${n})`));
    if (isFieldSet(mapRules, MapRulesSchema.field.maxPairs!)) {
      tests.push((n, ctx) => n <= max || ctx.report(`value must contain no more than ${max} pair(s) (got ${n})`));
    }
  }
  const keyCheck = keys.check;
  const valueCheck = values.check;
  if (tests.length === 0 && !keyCheck && !valueCheck) return NOTHING;
  return {
    check: (value, ctx) => {
      const map = value as Record<string, unknown>;
      const entries = Object.keys(map);
      for (const test of tests) test(entries.length, ctx);
      if (!keyCheck && !valueCheck) return;
      for (const key of entries) {
        ctx.path.push(mapKeySegment(key));
        if (keyCheck) {
          const before = ctx.errors.length;
          keyCheck(toKey(key), ctx);
          for (let i = before; i < ctx.errors.length; i++) {
            const error = ctx.errors[i]!;
            ctx.errors[i] = { path: error.path, message: `map key: ${error.message}` };
          }
        }
        if (valueCheck) valueCheck(map[key], ctx);
        ctx.path.pop();
      }
    },
    required: false,
    hasOwnRules: tests.length > 0 || keys.hasOwnRules || values.hasOwnRules,
    recursesInto: values.recursesInto,
    unpacksAny: values.unpacksAny,
  };
}

/**
 * Compiles one field's `(validate.rules)` (read from its descriptor) and the recursion into its
 * nested messages into a {@link FieldPlan}; undefined when the field needs no work at all.
 */
export function compileFieldPlan(field: DescField, linker: PlanLinker): FieldPlan | undefined {
  const rules = hasOption(field, rulesExtension) ? getOption(field, rulesExtension) : undefined;
  let compiled: CompiledElement;
  // Scalars and enums are undefined only when a proto3 `optional` field is unset: rules apply to set values only.
  let skipUndefined = false;
  switch (field.fieldKind) {
    case "list":
      compiled = compileListField(field, rules, linker);
      break;
    case "map":
      compiled = compileMapField(field, rules, linker);
      break;
    case "scalar":
      compiled = compileElement(
        { kind: "scalar", scalar: field.scalar },
        rules,
        linker,
        ignoreEmptyFields.has(`${field.parent.typeName}.${field.name}`),
      );
      skipUndefined = true;
      break;
    case "enum":
      compiled = compileElement({ kind: "enum", enum: field.enum }, rules, linker, false);
      skipUndefined = true;
      break;
    case "message":
      compiled = compileElement(
        { kind: "message", message: field.message, unwrapped: field.oneof === undefined && isWrapperDesc(field.message) },
        rules,
        linker,
        false,
      );
      break;
  }
  const { check, required } = compiled;
  if (!check && !required) return undefined;
  let run: ValueCheck;
  if (field.fieldKind === "message") {
    run = (value, ctx) => {
      if (value === undefined) {
        if (required) ctx.report("value is required");
      } else if (check) {
        check(value, ctx);
      }
    };
  } else if (skipUndefined) {
    const present = check!;
    run = (value, ctx) => {
      if (value !== undefined) present(value, ctx);
    };
  } else {
    run = check!;
  }
  return {
    name: field.name,
    localName: field.localName,
    oneofLocalName: field.oneof?.localName,
    run,
    hasOwnRules: compiled.hasOwnRules,
    recursesInto: compiled.recursesInto,
    unpacksAny: compiled.unpacksAny,
  };
}
