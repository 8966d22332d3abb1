import type { MessagePlan } from "./message-plan.js";
import type { WalkContext } from "./walk-context.js";

/** Runs a compiled plan on one protobuf-es message, reporting errors below the context's current path. */
export function walkMessage(plan: MessagePlan, message: unknown, ctx: WalkContext): void {
  if (plan.trivial) return;
  const fields = message as Record<string, unknown>;
  for (const oneof of plan.requiredOneofs) {
    const selected = fields[oneof.localName] as { case: string | undefined } | undefined;
    if (selected?.case === undefined) {
      ctx.reportAt(oneof.name, `value is required: one of ${oneof.fieldNames.join(", ")} must be set`);
    }
  }
  const plans = plan.fields;
  for (let i = 0; i < plans.length; i++) {
    const field = plans[i]!;
    let value: unknown;
    if (field.oneofLocalName === undefined) {
      value = fields[field.localName];
    } else {
      const selected = fields[field.oneofLocalName] as { case: string | undefined; value?: unknown } | undefined;
      if (selected?.case !== field.localName) continue;
      value = selected.value;
    }
    ctx.path.push(field.name);
    field.run(value, ctx);
    ctx.path.pop();
  }
}
