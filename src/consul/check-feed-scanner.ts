/**
 * Where the fields change detection reads lie in one `/v1/health/state/any` row: string fields as
 * byte spans of their content (between the quotes; start -1 when absent or not a string), indexes as
 * numbers. Spans are read with {@link CheckFeedScanner.text} and {@link CheckFeedScanner.equals}.
 */
export interface ScannedCheckRow {
  nodeStart: number;
  nodeEnd: number;
  checkIdStart: number;
  checkIdEnd: number;
  serviceIdStart: number;
  serviceIdEnd: number;
  serviceNameStart: number;
  serviceNameEnd: number;
  statusStart: number;
  statusEnd: number;
  /** -1 when absent or not a finite number. */
  createIndex: number;
  modifyIndex: number;
}

/** A JSON text that is not valid JSON (as JSON.parse would refuse it). */
export class FeedSyntaxError extends SyntaxError {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

enum Field {
  Other,
  Node,
  CheckId,
  ServiceId,
  ServiceName,
  Status,
  CreateIndex,
  ModifyIndex,
}

const fieldNames: ReadonlyArray<readonly [string, Field]> = [
  ["Node", Field.Node],
  ["CheckID", Field.CheckId],
  ["ServiceID", Field.ServiceId],
  ["ServiceName", Field.ServiceName],
  ["Status", Field.Status],
  ["CreateIndex", Field.CreateIndex],
  ["ModifyIndex", Field.ModifyIndex],
];
const fieldBytes = fieldNames.map(([name, field]) => [Buffer.from(name, "latin1"), field] as const);
const literals = ["true", "false", "null"].map((text) => Buffer.from(text, "latin1"));

/**
 * Reads the rows of a `/v1/health/state/any` answer straight from its bytes: seven fields per row, every
 * other value skipped without being built, and no string decoded unless the caller asks. JSON.parse of
 * the same answer builds every check with all its fields (~30 MB and 100,000 objects at 10,000
 * services × 10 instances), nearly all of it garbage the moment change detection has read it.
 *
 * Rows that are not objects, or lack a string `Node` or `CheckID`, count as malformed (as in
 * diffCheckFeed); of repeated keys the last wins (as in JSON.parse). The syntax is checked as
 * JSON.parse checks it, except for raw control characters inside strings, which are let through.
 */
export class CheckFeedScanner {
  private pos = 0;
  private readonly buf: Buffer;
  private readonly row: ScannedCheckRow = {
    nodeStart: -1,
    nodeEnd: -1,
    checkIdStart: -1,
    checkIdEnd: -1,
    serviceIdStart: -1,
    serviceIdEnd: -1,
    serviceNameStart: -1,
    serviceNameEnd: -1,
    statusStart: -1,
    statusEnd: -1,
    createIndex: -1,
    modifyIndex: -1,
  };

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Calls `onRow` with each readable row in order, in an object that is reused (copy what you keep).
   * Returns undefined when the answer is valid JSON but not a list; throws a {@link FeedSyntaxError}
   * where JSON.parse would throw.
   */
  scan(onRow: (row: Readonly<ScannedCheckRow>) => void): { malformed: number } | undefined {
    this.pos = 0;
    this.space();
    if (this.buf[this.pos] !== OPEN_BRACKET) {
      this.skipValue();
      this.end();
      return undefined;
    }
    this.pos += 1;
    let malformed = 0;
    this.space();
    if (this.buf[this.pos] === CLOSE_BRACKET) {
      this.pos += 1;
      this.end();
      return { malformed };
    }
    for (;;) {
      this.space();
      if (this.buf[this.pos] === OPEN_BRACE) {
        if (this.readRow()) onRow(this.row);
        else malformed += 1;
      } else {
        this.skipValue();
        malformed += 1;
      }
      this.space();
      const next = this.buf[this.pos];
      this.pos += 1;
      if (next === COMMA) continue;
      if (next === CLOSE_BRACKET) break;
      this.fail("expected , or ]");
    }
    this.end();
    return { malformed };
  }

  /** The decoded text of a string span. */
  text(start: number, end: number): string {
    for (let i = start; i < end; i++)
      if (this.buf[i] === BACKSLASH) return JSON.parse(this.buf.toString("utf8", start - 1, end + 1)) as string;
    return this.buf.toString("utf8", start, end);
  }

  /** Whether a string span decodes to `text`, without decoding it in the usual (ASCII, unescaped) case. */
  equals(start: number, end: number, text: string): boolean {
    const buf = this.buf;
    const length = end - start;
    for (let i = 0; i < length; i++) {
      const b = buf[start + i]!;
      if (b >= 0x80 || b === BACKSLASH) return this.text(start, end) === text;
      if (i >= text.length || b !== text.charCodeAt(i)) {
        // Still equal only if a later escape or multi-byte character shortens the decoded text.
        for (let k = start + i + 1; k < end; k++) if (buf[k]! >= 0x80 || buf[k] === BACKSLASH) return this.text(start, end) === text;
        return false;
      }
    }
    return length === text.length;
  }

  /** Reads one object at pos into `row`; false when it lacks a string Node or CheckID. */
  private readRow(): boolean {
    const row = this.row;
    row.nodeStart = -1;
    row.checkIdStart = -1;
    row.serviceIdStart = -1;
    row.serviceIdEnd = -1;
    row.serviceNameStart = -1;
    row.serviceNameEnd = -1;
    row.statusStart = -1;
    row.statusEnd = -1;
    row.createIndex = -1;
    row.modifyIndex = -1;
    this.pos += 1;
    this.space();
    if (this.buf[this.pos] === CLOSE_BRACE) {
      this.pos += 1;
      return false;
    }
    for (;;) {
      this.space();
      if (this.buf[this.pos] !== QUOTE) this.fail("expected a key");
      const field = this.readKey();
      this.space();
      if (this.buf[this.pos] !== COLON) this.fail("expected :");
      this.pos += 1;
      this.space();
      const isString = this.buf[this.pos] === QUOTE;
      if (field === Field.CreateIndex) row.createIndex = this.readIndex();
      else if (field === Field.ModifyIndex) row.modifyIndex = this.readIndex();
      else if (field === Field.Other || !isString) {
        this.skipValue();
        // A non-string value replaces an earlier string one, as the last of repeated keys wins.
        if (field === Field.Node) row.nodeStart = -1;
        else if (field === Field.CheckId) row.checkIdStart = -1;
        else if (field === Field.ServiceId) row.serviceIdStart = -1;
        else if (field === Field.ServiceName) row.serviceNameStart = -1;
        else if (field === Field.Status) row.statusStart = -1;
      } else {
        const start = this.pos + 1;
        const end = this.stringEnd();
        this.pos = end + 1;
        if (field === Field.Node) [row.nodeStart, row.nodeEnd] = [start, end];
        else if (field === Field.CheckId) [row.checkIdStart, row.checkIdEnd] = [start, end];
        else if (field === Field.ServiceId) [row.serviceIdStart, row.serviceIdEnd] = [start, end];
        else if (field === Field.ServiceName) [row.serviceNameStart, row.serviceNameEnd] = [start, end];
        else [row.statusStart, row.statusEnd] = [start, end];
      }
      this.space();
      const next = this.buf[this.pos];
      this.pos += 1;
      if (next === COMMA) continue;
      if (next === CLOSE_BRACE) break;
      this.fail("expected , or }");
    }
    return row.nodeStart >= 0 && row.checkIdStart >= 0;
  }

  private readKey(): Field {
    const buf = this.buf;
    const start = this.pos + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      const b = buf[i];
      if (b === undefined) this.fail("unterminated string");
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        escaped = true;
        i += 2;
        continue;
      }
      i += 1;
    }
    this.pos = i + 1;
    if (escaped) {
      // An escaped key (never sent by Consul, but valid JSON): compare its decoded text.
      const key = this.text(start, i);
      return fieldNames.find(([name]) => name === key)?.[1] ?? Field.Other;
    }
    const length = i - start;
    if (length !== 4 && length !== 6 && length !== 7 && length !== 9 && length !== 11) return Field.Other;
    for (const [name, field] of fieldBytes) {
      if (name.length !== length || name[0] !== buf[start]) continue;
      let k = 1;
      while (k < length && buf[start + k] === name[k]) k += 1;
      if (k === length) return field;
    }
    return Field.Other;
  }

  /** Index of the closing quote of the string at pos (does not move). */
  private stringEnd(): number {
    const buf = this.buf;
    // Most strings are short: look at their first bytes here, and hand long ones to indexOf.
    const stop = Math.min(buf.length, this.pos + 33);
    for (let k = this.pos + 1; k < stop; k++) {
      const b = buf[k];
      if (b === QUOTE) return k;
      if (b === BACKSLASH) break;
    }
    let i = this.pos + 1;
    for (;;) {
      const quote = this.buf.indexOf(QUOTE, i);
      if (quote === -1) this.fail("unterminated string");
      let backslashes = 0;
      for (let k = quote - 1; k > this.pos && this.buf[k] === BACKSLASH; k--) backslashes += 1;
      if (backslashes % 2 === 0) return quote;
      i = quote + 1;
    }
  }

  /** A raft index: a finite number, else -1 (whatever other JSON value it is). */
  private readIndex(): number {
    const b = this.buf[this.pos];
    if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) {
      const value = this.readNumber();
      return Number.isFinite(value) ? value : -1;
    }
    this.skipValue();
    return -1;
  }

  private readNumber(): number {
    const buf = this.buf;
    const start = this.pos;
    let i = start;
    // The usual case, a raft index: plain digits without a leading zero, read without a string.
    let value = 0;
    while (i < buf.length && buf[i]! >= 0x30 && buf[i]! <= 0x39) value = value * 10 + (buf[i++]! - 0x30);
    const next = buf[i];
    const plain =
      i > start &&
      (buf[start] !== 0x30 || i === start + 1) &&
      !(next === 0x2e || next === 0x65 || next === 0x45 || next === 0x2d || next === 0x2b);
    if (plain && i - start <= 15) {
      this.pos = i;
      return value;
    }
    i = start;
    for (;;) {
      const b = buf[i];
      if (b === undefined || !((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45)) break;
      i += 1;
    }
    this.pos = i;
    const text = buf.toString("latin1", start, i);
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) this.fail(`bad number ${text}`);
    return Number(text);
  }

  /** Moves past any JSON value at pos, checking its syntax without building it. */
  private skipValue(): void {
    this.space();
    const b = this.buf[this.pos];
    if (b === QUOTE) {
      this.pos = this.stringEnd() + 1;
      return;
    }
    if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      const close = b === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      this.pos += 1;
      this.space();
      if (this.buf[this.pos] === close) {
        this.pos += 1;
        return;
      }
      for (;;) {
        this.space();
        if (close === CLOSE_BRACE) {
          if (this.buf[this.pos] !== QUOTE) this.fail("expected a key");
          this.pos = this.stringEnd() + 1;
          this.space();
          if (this.buf[this.pos] !== COLON) this.fail("expected :");
          this.pos += 1;
        }
        this.skipValue();
        this.space();
        const next = this.buf[this.pos];
        this.pos += 1;
        if (next === COMMA) continue;
        if (next === close) return;
        this.fail("expected , or a closing bracket");
      }
    }
    if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) {
      this.readNumber();
      return;
    }
    for (const literal of literals) {
      let i = 0;
      while (i < literal.length && this.buf[this.pos + i] === literal[i]) i += 1;
      if (i === literal.length) {
        this.pos += literal.length;
        return;
      }
    }
    this.fail("unexpected token");
  }

  private space(): void {
    const buf = this.buf;
    let i = this.pos;
    for (;;) {
      const b = buf[i];
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
      i += 1;
    }
    this.pos = i;
  }

  private end(): void {
    this.space();
    if (this.pos !== this.buf.length) this.fail("unexpected data after the JSON value");
  }

  private fail(message: string): never {
    throw new FeedSyntaxError(`${message} at byte ${this.pos}`);
  }
}
