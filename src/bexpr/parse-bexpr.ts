// A parser for go-bexpr, the boolean expression language of Consul's `?filter=` parameter and of
// service-resolver subset filters. It follows go-bexpr's PEG grammar (grammar/grammar.peg):
//
//   Or     = And ("or" Or)?                     — keywords need whitespace on both sides
//   And    = Not ("and" And)?
//   Not    = "not" Not | "(" Or ")" | Match
//   Match  = Selector ("==" | "!=" | "contains" | "not contains" | "matches" | "not matches") Value
//          | Selector ("is empty" | "is not empty")
//          | Value ("in" | "not in") Selector
//   Selector = Ident ("." Ident | "." Digits | "[" String "]")*  |  '"' ("/" Segment)* '"'  (JSON pointer)
//   Value    = Selector (its text) | Number | String ("…" with Go escapes, or `…` raw)
//
// Written by hand (no bexpr package exists for JavaScript) as a backtracking recursive descent that
// mirrors the PEG's ordered choices. Errors carry go-bexpr's `line:col (offset): …` prefix.

/** The match operators (`contains` is `in` with its operands swapped, as in go-bexpr). */
export type BexprOperator = "==" | "!=" | "in" | "not in" | "is empty" | "is not empty" | "matches" | "not matches";

/** A parsed expression: boolean structure over match expressions. */
export type BexprExpression =
  | { readonly kind: "and" | "or"; readonly left: BexprExpression; readonly right: BexprExpression }
  | { readonly kind: "not"; readonly operand: BexprExpression }
  | BexprMatch;

/** One comparison of the value a selector reaches with a literal. */
export interface BexprMatch {
  readonly kind: "match";
  readonly operator: BexprOperator;
  /** The path the selector walks (`Service.Meta["a-b"]` → `["Service", "Meta", "a-b"]`). */
  readonly selector: readonly string[];
  /** The selector as written, for messages. */
  readonly selectorText: string;
  /** Offset of the selector in the expression. */
  readonly selectorAt: number;
  /** The raw literal (absent for `is empty`/`is not empty`). */
  readonly value?: string;
  /** Offset of the value in the expression, for messages about it. */
  readonly valueAt?: number;
}

/** A syntax error; `message` starts with go-bexpr's `line:col (offset):` position. */
export class BexprSyntaxError extends Error {
  override readonly name = "BexprSyntaxError";
}

const IDENT_START = /[A-Za-z]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const WHITESPACE = /[ \t\r\n]/;
const POINTER_SEGMENT = /[\p{L}\p{N}\-_.~|]/u;

/** Parses a go-bexpr expression; throws {@link BexprSyntaxError} with a position on bad input. */
export function parseBexpr(text: string): BexprExpression {
  return new Parser(text).parseInput();
}

/** go-bexpr's `line:col (offset)` for an offset into `text`. */
export function bexprPosition(text: string, at: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text[i] === "\n") {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
  }
  return `${line}:${column} (${at})`;
}

class Fail {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

class Parser {
  private pos = 0;
  /** The failure that got furthest: the most useful thing to report when every alternative fails. */
  private furthest: Fail = new Fail(-1, "no match found");

  constructor(private readonly text: string) {}

  parseInput(): BexprExpression {
    this.skipSpace();
    const expr = this.parseOr();
    this.skipSpace();
    if (!expr || this.pos < this.text.length) {
      const fail = expr ? this.furthestOr(this.pos, 'no match found, expected "and", "or" or the end of the expression') : this.furthest;
      throw new BexprSyntaxError(`${this.position(fail.at)}: ${fail.message}`);
    }
    return expr;
  }

  private furthestOr(at: number, message: string): Fail {
    return this.furthest.at > at ? this.furthest : new Fail(at, message);
  }

  private position(at: number): string {
    return bexprPosition(this.text, at);
  }

  private fail(at: number, message: string): undefined {
    if (at > this.furthest.at) this.furthest = new Fail(at, message);
    return undefined;
  }

  // ---- boolean structure ----

  private parseOr(): BexprExpression | undefined {
    const left = this.parseAnd();
    if (!left) return undefined;
    const save = this.pos;
    if (this.words(["or"], true, true)) {
      const right = this.parseOr();
      if (right) return { kind: "or", left, right };
    }
    this.pos = save;
    return left;
  }

  private parseAnd(): BexprExpression | undefined {
    const left = this.parseNot();
    if (!left) return undefined;
    const save = this.pos;
    if (this.words(["and"], true, true)) {
      const right = this.parseAnd();
      if (right) return { kind: "and", left, right };
    }
    this.pos = save;
    return left;
  }

  private parseNot(): BexprExpression | undefined {
    const save = this.pos;
    if (this.words(["not"], false, true)) {
      const operand = this.parseNot();
      if (operand) return operand.kind === "not" ? operand.operand : { kind: "not", operand };
      this.pos = save;
    }
    if (this.text[this.pos] === "(") {
      this.pos += 1;
      this.skipSpace();
      const inner = this.parseOr();
      if (inner) {
        this.skipSpace();
        if (this.text[this.pos] === ")") {
          this.pos += 1;
          return inner;
        }
        this.fail(this.pos, 'Unmatched parentheses: expected ")"');
      }
      this.pos = save;
    }
    return this.parseMatch();
  }

  // ---- match expressions ----

  private parseMatch(): BexprMatch | undefined {
    const start = this.pos;
    const selectorFirst = this.parseSelector();
    if (selectorFirst) {
      const afterSelector = this.pos;
      const operator = this.selectorValueOperator();
      if (operator) {
        const valueAt = this.pos;
        const value = this.parseValue();
        if (value !== undefined) return { kind: "match", operator, ...selectorFirst, value, valueAt };
        this.fail(valueAt, "no match found, expected a value");
      }
      this.pos = afterSelector;
      const emptiness = this.emptinessOperator();
      if (emptiness) return { kind: "match", operator: emptiness, ...selectorFirst };
      this.fail(afterSelector, 'no match found, expected "==", "!=", "contains", "matches", "is empty", "is not empty" or "in"');
    }
    this.pos = start;
    const value = this.parseValue();
    if (value === undefined) return this.fail(start, "no match found, expected a selector or a value");
    const afterValue = this.pos;
    let operator: BexprOperator | undefined;
    if (this.words(["in"], true, true)) operator = "in";
    else if (this.words(["not", "in"], true, true)) operator = "not in";
    if (!operator) {
      this.pos = start;
      return this.fail(afterValue, 'no match found, expected "in" or "not in" after a value');
    }
    const selectorAt = this.pos;
    const selector = this.parseSelector();
    if (!selector) {
      this.pos = start;
      return this.fail(selectorAt, "Invalid selector");
    }
    return { kind: "match", operator, ...selector, value, valueAt: start };
  }

  private selectorValueOperator(): BexprOperator | undefined {
    const save = this.pos;
    this.skipSpace();
    if (this.text.startsWith("==", this.pos) || this.text.startsWith("!=", this.pos)) {
      const op = this.text.slice(this.pos, this.pos + 2) as "==" | "!=";
      this.pos += 2;
      this.skipSpace();
      return op;
    }
    this.pos = save;
    for (const [words, op] of [
      [["contains"], "in"],
      [["not", "contains"], "not in"],
      [["matches"], "matches"],
      [["not", "matches"], "not matches"],
    ] as const) {
      if (this.words(words, true, true)) return op;
    }
    return undefined;
  }

  private emptinessOperator(): BexprOperator | undefined {
    if (this.words(["is", "empty"], true, false)) return "is empty";
    if (this.words(["is", "not", "empty"], true, false)) return "is not empty";
    return undefined;
  }

  /**
   * Matches whitespace-separated `words` (go-bexpr's `_ "not" _ "in" _` shapes): whitespace is
   * required before the first when `before`, and after the last when `after`. Restores the position
   * and returns false when they are not there.
   */
  private words(words: readonly string[], before: boolean, after: boolean): boolean {
    const save = this.pos;
    const ok =
      (!before || this.requireSpace()) &&
      words.every((word, i) => {
        if (!this.text.startsWith(word, this.pos)) return false;
        this.pos += word.length;
        return i === words.length - 1 || this.requireSpace();
      }) &&
      (!after || this.requireSpace());
    if (!ok) this.pos = save;
    return ok;
  }

  // ---- selectors and values ----

  private parseSelector(): { selector: string[]; selectorText: string; selectorAt: number } | undefined {
    const start = this.pos;
    const c = this.text[this.pos] ?? "";
    if (c === '"') return this.parsePointer();
    if (!IDENT_START.test(c)) return undefined;
    const path = [this.identifier()];
    for (;;) {
      const save = this.pos;
      if (this.text[this.pos] === ".") {
        this.pos += 1;
        const next = this.text[this.pos] ?? "";
        if (IDENT_START.test(next)) {
          path.push(this.identifier());
          continue;
        }
        if (/[0-9]/.test(next)) {
          const digitsStart = this.pos;
          while (/[0-9]/.test(this.text[this.pos] ?? "")) this.pos += 1;
          path.push(this.text.slice(digitsStart, this.pos));
          continue;
        }
        this.pos = save;
        break;
      }
      if (this.text[this.pos] === "[") {
        this.pos += 1;
        this.skipSpace();
        const key = this.parseString();
        if (key === undefined) throw new BexprSyntaxError(`${this.position(this.pos)}: Invalid index`);
        this.skipSpace();
        if (this.text[this.pos] !== "]") throw new BexprSyntaxError(`${this.position(this.pos)}: Unclosed index expression`);
        this.pos += 1;
        path.push(key);
        continue;
      }
      break;
    }
    return { selector: path, selectorText: this.text.slice(start, this.pos), selectorAt: start };
  }

  /** A JSON-pointer selector, `"/Service/Meta/version"`. */
  private parsePointer(): { selector: string[]; selectorText: string; selectorAt: number } | undefined {
    const start = this.pos;
    let i = this.pos + 1;
    const path: string[] = [];
    while (this.text[i] === "/") {
      const segmentStart = i + 1;
      i = segmentStart;
      while (i < this.text.length && POINTER_SEGMENT.test(this.text[i] ?? "")) i += 1;
      if (i === segmentStart) return undefined;
      path.push(this.text.slice(segmentStart, i).replaceAll("~1", "/").replaceAll("~0", "~"));
    }
    if (this.text[i] !== '"' || path.length === 0) return undefined;
    this.pos = i + 1;
    return { selector: path, selectorText: this.text.slice(start, this.pos), selectorAt: start };
  }

  private identifier(): string {
    const start = this.pos;
    this.pos += 1;
    while (IDENT_PART.test(this.text[this.pos] ?? "")) this.pos += 1;
    return this.text.slice(start, this.pos);
  }

  private parseValue(): string | undefined {
    const c = this.text[this.pos] ?? "";
    if (c === '"' || c === "`") return this.parseString();
    if (IDENT_START.test(c)) return this.parseSelector()?.selector.join(".");
    const number = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?/.exec(this.text.slice(this.pos));
    if (!number) return undefined;
    const end = this.pos + number[0].length;
    const after = this.text[end];
    if (after !== undefined && after !== ")" && !WHITESPACE.test(after)) {
      throw new BexprSyntaxError(`${this.position(this.pos)}: Invalid number literal`);
    }
    this.pos = end;
    return number[0];
  }

  /** A Go string literal: `…` (raw) or "…" with Go's escapes. */
  private parseString(): string | undefined {
    const quote = this.text[this.pos];
    if (quote !== '"' && quote !== "`") return undefined;
    const start = this.pos;
    const end = this.text.indexOf(quote, start + 1);
    if (quote === "`") {
      if (end < 0) throw new BexprSyntaxError(`${this.position(start)}: Unterminated string literal`);
      this.pos = end + 1;
      return this.text.slice(start + 1, end);
    }
    let value = "";
    let i = start + 1;
    while (i < this.text.length && this.text[i] !== '"') {
      const ch = this.text[i] ?? "";
      if (ch !== "\\") {
        value += ch;
        i += 1;
        continue;
      }
      const escaped = readEscape(this.text, i);
      if (!escaped) throw new BexprSyntaxError(`${this.position(i)}: invalid syntax in string literal`);
      value += escaped.value;
      i = escaped.next;
    }
    if (i >= this.text.length) throw new BexprSyntaxError(`${this.position(start)}: Unterminated string literal`);
    this.pos = i + 1;
    return value;
  }

  private skipSpace(): void {
    while (WHITESPACE.test(this.text[this.pos] ?? "")) this.pos += 1;
  }

  private requireSpace(): boolean {
    const before = this.pos;
    this.skipSpace();
    return this.pos > before;
  }
}

const simpleEscapes: Readonly<Record<string, string>> = {
  a: "\u0007",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
};

/** One Go escape sequence at `text[at]` (a backslash), as `strconv.Unquote` reads it. */
function readEscape(text: string, at: number): { value: string; next: number } | undefined {
  const kind = text[at + 1] ?? "";
  const simple = simpleEscapes[kind];
  if (simple !== undefined) return { value: simple, next: at + 2 };
  const hexLength = kind === "x" ? 2 : kind === "u" ? 4 : kind === "U" ? 8 : 0;
  if (hexLength > 0) {
    const hex = text.slice(at + 2, at + 2 + hexLength);
    if (!new RegExp(`^[0-9A-Fa-f]{${hexLength}}$`).test(hex)) return undefined;
    const code = Number.parseInt(hex, 16);
    if (kind === "x") return { value: String.fromCharCode(code), next: at + 2 + hexLength };
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    return { value: String.fromCodePoint(code), next: at + 2 + hexLength };
  }
  if (/[0-7]/.test(kind)) {
    const octal = text.slice(at + 1, at + 4);
    if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) return undefined;
    return { value: String.fromCharCode(Number.parseInt(octal, 8)), next: at + 4 };
  }
  return undefined;
}
