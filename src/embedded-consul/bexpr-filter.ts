/** A compiled `?filter=` expression, or why it does not compile (Consul then answers 500). */
export type CompiledFilter =
  | { readonly ok: true; readonly matches: (value: unknown) => boolean }
  | { readonly ok: false; readonly error: string };

type Token =
  | { readonly kind: "word"; readonly text: string; readonly at: number }
  | { readonly kind: "string"; readonly text: string; readonly at: number }
  | { readonly kind: "op"; readonly text: "(" | ")" | "==" | "!="; readonly at: number }
  | { readonly kind: "end"; readonly at: number };

type Node =
  | { readonly type: "and" | "or"; readonly left: Node; readonly right: Node }
  | { readonly type: "not"; readonly inner: Node }
  | { readonly type: "eq" | "ne"; readonly selector: string[]; readonly value: string }
  | { readonly type: "empty"; readonly selector: string[]; readonly negate: boolean }
  | { readonly type: "in"; readonly selector: string[]; readonly value: string; readonly negate: boolean }
  | { readonly type: "matches"; readonly selector: string[]; readonly pattern: RegExp; readonly negate: boolean };

class FilterSyntaxError extends Error {}

const keywords = new Set(["and", "or", "not", "in", "is", "empty", "contains", "matches"]);

/** Consul tags its structs' raft indexes `bexpr:"-"` (structs.RaftIndex): no filter can select them. */
const raftIndexFields = new Set(["CreateIndex", "ModifyIndex"]);
/** Map fields, whose keys are the user's own (a Meta key may well be called ModifyIndex). */
const mapFields = new Set(["Meta", "NodeMeta", "ServiceMeta", "TaggedAddresses", "ServiceTaggedAddresses"]);

/**
 * Compiles the subset of go-bexpr that Consul users write in `?filter=`: `==`, `!=`, `in`, `not in`,
 * `contains`, `not contains`, `matches`, `not matches`, `is empty`, `is not empty`, `and`, `or`,
 * `not`, parentheses; values quoted with `"` or backticks, or bare. A selector through a list
 * (`Checks.Status`) matches when any element matches, as in bexpr. `roots` lists the valid first
 * selector parts (Consul rejects unknown selectors when it compiles the filter); raft indexes
 * (`ModifyIndex`, `Service.CreateIndex`…) are never selectable, as in Consul.
 */
export function compileFilter(expression: string, roots?: ReadonlySet<string>): CompiledFilter {
  try {
    const parser = new Parser(tokenize(expression), roots);
    const node = parser.parseExpression();
    parser.expectEnd();
    return { ok: true, matches: (value) => evaluate(node, value) };
  } catch (error) {
    if (error instanceof FilterSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}

function position(at: number, message: string): FilterSyntaxError {
  return new FilterSyntaxError(`1:${at + 1} (${at}): ${message}`);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "(" || c === ")") {
      tokens.push({ kind: "op", text: c, at: i });
      i += 1;
    } else if ((c === "=" || c === "!") && text[i + 1] === "=") {
      tokens.push({ kind: "op", text: c === "=" ? "==" : "!=", at: i });
      i += 2;
    } else if (c === '"') {
      const start = i;
      let value = "";
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[i + 1] ?? "";
          value += next === "n" ? "\n" : next === "t" ? "\t" : next;
          i += 2;
        } else {
          value += text[i];
          i += 1;
        }
      }
      if (i >= text.length) throw position(start, "unterminated string");
      i += 1;
      tokens.push({ kind: "string", text: value, at: start });
    } else if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) throw position(i, "unterminated raw string");
      tokens.push({ kind: "string", text: text.slice(i + 1, end), at: i });
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && !/[\s()"`]/.test(text[i] ?? "") && !(text[i] === "=" || (text[i] === "!" && text[i + 1] === "="))) {
        i += 1;
      }
      if (i === start) throw position(start, `unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: "word", text: text.slice(start, i), at: start });
    }
  }
  tokens.push({ kind: "end", at: text.length });
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly roots: ReadonlySet<string> | undefined,
  ) {}

  parseExpression(): Node {
    let left = this.parseAnd();
    while (this.isWord("or")) {
      this.index += 1;
      left = { type: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== "end") throw position(token.at, `no match found, unexpected ${describe(token)}`);
  }

  private parseAnd(): Node {
    let left = this.parseNot();
    while (this.isWord("and")) {
      this.index += 1;
      left = { type: "and", left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Node {
    if (this.isWord("not")) {
      this.index += 1;
      return { type: "not", inner: this.parseNot() };
    }
    const token = this.peek();
    if (token.kind === "op" && token.text === "(") {
      this.index += 1;
      const inner = this.parseExpression();
      const close = this.next();
      if (close.kind !== "op" || close.text !== ")") throw position(close.at, `no match found, expected ")"`);
      return inner;
    }
    return this.parseMatch();
  }

  private parseMatch(): Node {
    const first = this.next();
    if (first.kind === "end") throw position(first.at, "no match found, expected a selector or a value");
    if (first.kind === "op") throw position(first.at, `no match found, unexpected ${describe(first)}`);
    // `value [not] in Selector`
    if (this.isWord("in") || (this.isWord("not") && this.isWordAt(1, "in"))) {
      const negate = this.isWord("not");
      this.index += negate ? 2 : 1;
      const selector = this.parseSelector();
      return { type: "in", selector, value: first.text, negate };
    }
    if (first.kind === "string") throw position(first.at, `no match found, expected "in" after a value`);
    const selector = this.selectorFrom(first);
    const op = this.next();
    if (op.kind === "op" && (op.text === "==" || op.text === "!=")) {
      return { type: op.text === "==" ? "eq" : "ne", selector, value: this.parseValue() };
    }
    if (op.kind === "word") {
      if (op.text === "is") {
        const negate = this.isWord("not");
        if (negate) this.index += 1;
        const empty = this.next();
        if (empty.kind !== "word" || empty.text !== "empty") throw position(empty.at, `no match found, expected "empty"`);
        return { type: "empty", selector, negate };
      }
      let negate = false;
      let verb: Token = op;
      if (op.text === "not") {
        negate = true;
        verb = this.next();
      }
      if (verb.kind === "word" && verb.text === "contains") {
        return { type: "in", selector, value: this.parseValue(), negate };
      }
      if (verb.kind === "word" && verb.text === "matches") {
        const valueToken = this.peek();
        const source = this.parseValue();
        let pattern: RegExp;
        try {
          pattern = new RegExp(source);
        } catch {
          throw position(valueToken.at, `invalid regular expression ${JSON.stringify(source)}`);
        }
        return { type: "matches", selector, pattern, negate };
      }
    }
    throw position(op.at, `no match found, expected "==", "!=", "is", "contains", "matches" or "in", got ${describe(op)}`);
  }

  private parseSelector(): string[] {
    const token = this.next();
    if (token.kind !== "word") throw position(token.at, "no match found, expected a selector");
    return this.selectorFrom(token);
  }

  private selectorFrom(token: Token & { kind: "word" | "string" }): string[] {
    if (token.kind !== "word" || keywords.has(token.text) || !/^[A-Za-z_][A-Za-z0-9_\-./]*$/.test(token.text)) {
      throw position(token.at, `no match found, expected a selector, got ${describe(token)}`);
    }
    const parts = token.text.split(".");
    if (parts.some((p) => p === "")) throw position(token.at, `invalid selector ${JSON.stringify(token.text)}`);
    const raftIndex = parts.some((p, i) => raftIndexFields.has(p) && !mapFields.has(parts[i - 1] ?? ""));
    if (raftIndex || (this.roots && !this.roots.has(parts[0] ?? ""))) {
      throw position(token.at, `Selector ${JSON.stringify(token.text)} is not valid`);
    }
    return parts;
  }

  private parseValue(): string {
    const token = this.next();
    if (token.kind === "string") return token.text;
    if (token.kind === "word" && !keywords.has(token.text)) return token.text;
    throw position(token.at, `no match found, expected a value, got ${describe(token)}`);
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: "end", at: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index += 1;
    return token;
  }

  private isWord(word: string): boolean {
    return this.isWordAt(0, word);
  }

  private isWordAt(offset: number, word: string): boolean {
    const token = this.tokens[this.index + offset];
    return token?.kind === "word" && token.text === word;
  }
}

function describe(token: Token): string {
  return token.kind === "end" ? "end of input" : JSON.stringify(token.text);
}

const missing = Symbol("missing");

/** Resolves a selector; lists met on the way fan out, so the result is every reachable value. */
function resolve(value: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [value];
  for (const [i, key] of path.entries()) {
    const next: unknown[] = [];
    for (const item of current) {
      if (Array.isArray(item) && i > 0) {
        for (const element of item) next.push(field(element, key));
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

function asText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function isEmpty(value: unknown): boolean {
  if (value === missing || value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

function contains(container: unknown, needle: string): boolean {
  if (Array.isArray(container)) return container.some((item) => asText(item) === needle);
  if (typeof container === "string") return container.includes(needle);
  if (container !== null && typeof container === "object") return Object.hasOwn(container, needle);
  return false;
}

function evaluate(node: Node, root: unknown): boolean {
  switch (node.type) {
    case "and":
      return evaluate(node.left, root) && evaluate(node.right, root);
    case "or":
      return evaluate(node.left, root) || evaluate(node.right, root);
    case "not":
      return !evaluate(node.inner, root);
    case "eq":
      return resolve(root, node.selector).some((v) => asText(v) === node.value);
    case "ne":
      return !resolve(root, node.selector).some((v) => asText(v) === node.value);
    case "empty": {
      const values = resolve(root, node.selector);
      const empty = values.every(isEmpty);
      return node.negate ? !empty : empty;
    }
    case "in": {
      const found = resolve(root, node.selector).some((v) => contains(v, node.value));
      return node.negate ? !found : found;
    }
    case "matches": {
      const found = resolve(root, node.selector).some((v) => {
        const text = asText(v);
        return text !== undefined && node.pattern.test(text);
      });
      return node.negate ? !found : found;
    }
  }
}
