import { type DescMessage, fromBinary, getOption, hasOption, type Registry } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { Any } from "@bufbuild/protobuf/wkt";
import { disabled, required } from "../gen/validate/validate_pb.js";
import { typeNameOf, typeUrlOf } from "../resource-types/index.js";
import { compileFieldPlan, type PlanLinker } from "./compile-field-plan.js";
import type { MessagePlan } from "./message-plan.js";
import type { ValueCheck } from "./walk-context.js";
import { walkMessage } from "./walk-message.js";

/** Compiles and caches one {@link MessagePlan} per message type; shared by every validation. */
export interface PlanCompiler {
  /** The compiled plan of a message type (compiled with everything reachable from it on first use). */
  planFor(desc: DescMessage): MessagePlan;
  /** Unpacks a google.protobuf.Any through the registry and walks its payload (unknown types and bad bytes are errors). */
  readonly anyPayload: ValueCheck;
  /** The registry `Any` payloads are resolved through. */
  readonly registry: Registry;
}

/**
 * `(validate.ignored) = true` (MessageOptions extension 1072 in newer protoc-gen-validate; the
 * pinned validate.proto predates it, so it can only arrive as an unknown option field): like
 * `disabled`, the message is not validated.
 */
function isIgnored(desc: DescMessage): boolean {
  const unknown = desc.proto.options?.$unknown;
  if (!unknown) return false;
  return unknown.some((field) => field.no === 1072 && field.wireType === WireType.Varint && field.data.some((byte) => byte !== 0));
}

/** Settles which fresh plans are trivial (greatest fixpoint: cycles without rules stay trivial) and drops no-op fields. */
function settle(fresh: readonly MessagePlan[]): void {
  for (const plan of fresh) {
    plan.trivial = plan.disabled || (plan.requiredOneofs.length === 0 && !plan.fields.some((f) => f.hasOwnRules || f.unpacksAny));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const plan of fresh) {
      if (plan.trivial && !plan.disabled && plan.fields.some((f) => f.recursesInto.some((child) => !child.trivial))) {
        plan.trivial = false;
        changed = true;
      }
    }
  }
  for (const plan of fresh) {
    plan.fields = plan.fields.filter((f) => f.hasOwnRules || f.unpacksAny || f.recursesInto.some((child) => !child.trivial));
  }
}

/**
 * Creates the compiler that turns descriptors into plans. Option lookups happen here, once per
 * message type; validation afterwards only walks the plans. `registry` resolves `Any` type URLs.
 */
export function createPlanCompiler(registry: Registry): PlanCompiler {
  const plans = new Map<string, MessagePlan>();

  const anyPayload: ValueCheck = (value, ctx) => {
    const any = value as Any;
    const url = any.typeUrl;
    const typeName = typeNameOf(url);
    if (typeName === undefined) {
      ctx.report(`invalid type URL ${JSON.stringify(url)}: expected ${JSON.stringify(typeUrlOf("<message type>"))}`);
      return;
    }
    const desc = registry.getMessage(typeName);
    if (!desc) {
      ctx.report(
        `unknown type URL ${JSON.stringify(url)}: no such message type in the validator's registry, so its payload cannot be checked`,
      );
      return;
    }
    let payload: unknown;
    try {
      payload = fromBinary(desc, any.value);
    } catch (error) {
      ctx.report(`cannot decode ${typeName} payload: ${(error as Error).message}`);
      return;
    }
    walkMessage(planFor(desc), payload, ctx);
  };

  function planFor(desc: DescMessage): MessagePlan {
    const existing = plans.get(desc.typeName);
    if (existing) return existing;
    const fresh: MessagePlan[] = [];
    const pending: MessagePlan[] = [];
    const linker: PlanLinker = {
      planFor(child) {
        let plan = plans.get(child.typeName);
        if (!plan) {
          plan = { desc: child, disabled: false, fields: [], requiredOneofs: [], trivial: false };
          plans.set(child.typeName, plan);
          fresh.push(plan);
          pending.push(plan);
        }
        return plan;
      },
      anyPayload,
    };
    const root = linker.planFor(desc);
    try {
      for (let plan = pending.pop(); plan; plan = pending.pop()) {
        const message = plan.desc;
        if ((hasOption(message, disabled) && getOption(message, disabled)) || isIgnored(message)) {
          plan.disabled = true;
          continue;
        }
        for (const oneof of message.oneofs) {
          if (hasOption(oneof, required) && getOption(oneof, required)) {
            plan.requiredOneofs.push({ name: oneof.name, localName: oneof.localName, fieldNames: oneof.fields.map((f) => f.name) });
          }
        }
        for (const field of message.fields) {
          const fieldPlan = compileFieldPlan(field, linker);
          if (fieldPlan) plan.fields.push(fieldPlan);
        }
      }
      settle(fresh);
    } catch (error) {
      // Never leave half-compiled plans behind.
      for (const plan of fresh) plans.delete(plan.desc.typeName);
      throw error;
    }
    return root;
  }

  return { planFor, anyPayload, registry };
}
