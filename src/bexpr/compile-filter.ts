import { RE2JS } from "re2js";
import { type BexprExpression, type BexprMatch, BexprSyntaxError, bexprPosition, parseBexpr } from "./parse-bexpr.js";

/** A compiled filter expression, or why it does not compile (Consul then answers 500, or refuses the entry). */
export type CompiledFilter =
  | { readonly ok: true; readonly matches: (value: unknown) => boolean }
  | { readonly ok: false; readonly error: string };

type Predicate = (value: unknown) => boolean;

const missing = Symbol("missing");

/** Consul tags its structs' raft indexes `bexpr:"-"` (structs.RaftIndex): no filter can select them. */
const raftIndexFields = new Set(["CreateIndex", "ModifyIndex"]);
/** Map fields, whose keys are the user's own (a Meta key may well be called ModifyIndex). */
const mapFields = new Set(["Meta", "NodeMeta", "ServiceMeta", "TaggedAddresses", "ServiceTaggedAddresses"]);

/**
 * Compiles a go-bexpr expression (see parse-bexpr.ts for the grammar) into a predicate over JSON
 * values such as a `/v1/health/service` entry `{Node, Service, Checks}`. Evaluation follows
 * go-bexpr: a key missing from a map (`Service.Meta.version`) takes the operator's "not present"
 * answer (`==`, `in`, `matches`, `is not empty` false; their negations and `is empty` true); the
 * literal is coerced to the type of the value it meets (`Service.Port == 8080`, `… == true`);
 * `in`/`contains` look for an element of a list, a key of a map or a substring of a string;
 * `matches` uses RE2 (re2js), as Go's regexp does. A selector through a list (`Checks.Status`)
 * matches when any element matches. A comparison that cannot be made (a number against `abc`) is
 * false. `roots` lists the valid first selector parts (Consul rejects other selectors); raft
 * indexes (`ModifyIndex`, `Service.CreateIndex`…) are never selectable, as in Consul.
 */
export function compileFilter(expression: string, roots?: ReadonlySet<string>): CompiledFilter {
  try {
    return { ok: true, matches: compile(parseBexpr(expression), expression, roots) };
  } catch (error) {
    if (error instanceof BexprSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}

function compile(node: BexprExpression, text: string, roots: ReadonlySet<string> | undefined): Predicate {
  switch (node.kind) {
    case "and": {
      const left = compile(node.left, text, roots);
      const right = compile(node.right, text, roots);
      return (value) => left(value) && right(value);
    }
    case "or": {
      const left = compile(node.left, text, roots);
      const right = compile(node.right, text, roots);
      return (value) => left(value) || right(value);
    }
    case "not": {
      const operand = compile(node.operand, text, roots);
      return (value) => !operand(value);
    }
    case "match":
      return compileMatch(node, text, roots);
  }
}

function compileMatch(node: BexprMatch, text: string, roots: ReadonlySet<string> | undefined): Predicate {
  const raftIndex = node.selector.some((part, i) => raftIndexFields.has(part) && !mapFields.has(node.selector[i - 1] ?? ""));
  if (raftIndex || (roots && !roots.has(node.selector[0] ?? ""))) {
    throw new BexprSyntaxError(`${bexprPosition(text, node.selectorAt)}: Selector ${JSON.stringify(node.selectorText)} is not valid`);
  }
  const { selector } = node;
  const raw = node.value ?? "";
  switch (node.operator) {
    case "==":
      return (value) => reach(value, selector).some((v) => equals(v, raw));
    case "!=":
      return (value) => !reach(value, selector).some((v) => equals(v, raw));
    case "in":
      return (value) => reach(value, selector).some((v) => contains(v, raw));
    case "not in":
      return (value) => !reach(value, selector).some((v) => contains(v, raw));
    case "is empty":
      return (value) => reach(value, selector).every(isEmpty);
    case "is not empty":
      return (value) => !reach(value, selector).every(isEmpty);
    case "matches":
    case "not matches": {
      let pattern: RE2JS;
      try {
        pattern = RE2JS.compile(raw);
      } catch (error) {
        throw new BexprSyntaxError(
          `${bexprPosition(text, node.valueAt ?? 0)}: Failed to compile regular expression ${JSON.stringify(raw)}: ${(error as Error).message}`,
        );
      }
      const test = (v: unknown): boolean => typeof v === "string" && pattern.test(v);
      return node.operator === "matches" ? (value) => reach(value, selector).some(test) : (value) => !reach(value, selector).some(test);
    }
  }
}

/** Every value the selector reaches: lists met after the first step fan out (any element may match). */
function reach(value: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [value];
  for (const [i, key] of path.entries()) {
    const next: unknown[] = [];
    for (const item of current) {
      if (Array.isArray(item) && i > 0) {
        if (/^[0-9]+$/.test(key)) next.push(Number(key) < item.length ? item[Number(key)] : missing);
        else for (const element of item) next.push(field(element, key));
      } else {
        next.push(field(item, key));
      }
    }
    current = next;
  }
  return current;
}

function field(value: unknown, key: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return missing;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : missing;
}

const trueWords = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const falseWords = new Set(["0", "f", "F", "FALSE", "false", "False"]);
const numberLiteral = /^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** go-bexpr's equality: the literal coerced to the type of the value (strconv's rules for bools and numbers). */
function equals(value: unknown, raw: string): boolean {
  if (typeof value === "string") return value === raw;
  if (typeof value === "number") return numberLiteral.test(raw) && Number(raw) === value;
  if (typeof value === "boolean") return value ? trueWords.has(raw) : falseWords.has(raw);
  return false;
}

function contains(container: unknown, raw: string): boolean {
  if (Array.isArray(container)) return container.some((item) => equals(item, raw));
  if (typeof container === "string") return container.includes(raw);
  if (container !== null && typeof container === "object") return Object.hasOwn(container, raw);
  return false;
}

function isEmpty(value: unknown): boolean {
  if (value === missing || value === null || value === undefined) return true;
  if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}
