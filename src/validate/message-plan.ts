import type { DescMessage } from "@bufbuild/protobuf";
import type { ValueCheck } from "./walk-context.js";

/** The precompiled work for one field of a message: where to read it and what to run on it. */
export interface FieldPlan {
  /** Proto field name, the path segment in errors. */
  readonly name: string;
  /** Property name of the field (or of its oneof case) in protobuf-es messages. */
  readonly localName: string;
  /** Property name of the oneof group the field belongs to; the check runs only when that case is selected. */
  readonly oneofLocalName: string | undefined;
  /** Runs every rule of the field (and recursion into its messages) on the raw property value, `undefined` when unset. */
  readonly run: ValueCheck;
  /** True when the field carries rules of its own, not only recursion into nested messages. */
  readonly hasOwnRules: boolean;
  /** Message plans the field recurses into (its type, list items or map values). */
  readonly recursesInto: readonly MessagePlan[];
  /** True when the field holds google.protobuf.Any payloads that are unpacked and walked. */
  readonly unpacksAny: boolean;
}

/** A oneof group annotated `(validate.required) = true`. */
export interface RequiredOneof {
  /** Proto name of the oneof, the path segment in errors. */
  readonly name: string;
  /** Property name of the oneof in protobuf-es messages. */
  readonly localName: string;
  /** Proto names of its fields, for the error message. */
  readonly fieldNames: readonly string[];
}

/**
 * Everything validation has to do for one message type, compiled once from its descriptor's
 * `(validate.*)` options. A trivial plan (no rule anywhere below it) is never walked.
 */
export interface MessagePlan {
  /** The message type. */
  readonly desc: DescMessage;
  /** `(validate.disabled)` or `(validate.ignored)` is true: no rule of this message or below it applies. */
  disabled: boolean;
  /** Fields with work to do, in declaration order. */
  fields: FieldPlan[];
  /** Oneofs that must have a case selected. */
  requiredOneofs: RequiredOneof[];
  /** True when neither this message nor anything reachable from it has a rule to check. */
  trivial: boolean;
}
