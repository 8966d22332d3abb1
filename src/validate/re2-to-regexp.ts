// RE2 (the syntax of protoc-gen-validate's `pattern` rules) and JavaScript RegExp agree on almost
// everything protobuf schemas use. This file rewrites the few constructs that differ in meaning or
// spelling and refuses, with an error, the ones JavaScript cannot express, so a pattern is never
// silently checked with different semantics.

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Characters that may (and sometimes must) be escaped in a JavaScript `u`-mode pattern. */
const JS_SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);

const GENERAL_CATEGORY = /^(?:[CLMNPSZ]|C[cfos]|L[lmotu]|M[cen]|N[dlo]|P[cdefios]|S[ckmo]|Z[lps])$/;

const cache = new Map<string, RegExp | Error>();

/**
 * Compiles an RE2 pattern into an equivalent JavaScript RegExp (with the `u` flag: code points,
 * like RE2's runes), cached per pattern. Throws for constructs JavaScript cannot express with the
 * same meaning (ungreedy mode, scoped flag groups, `\C`, negated POSIX classes).
 */
export function re2ToRegExp(pattern: string): RegExp {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    try {
      compiled = translate(pattern);
    } catch (error) {
      compiled = error instanceof Error ? error : new Error(String(error));
    }
    cache.set(pattern, compiled);
  }
  if (compiled instanceof Error) throw compiled;
  return compiled;
}

function translate(pattern: string): RegExp {
  let flags = "u";
  let i = 0;
  // Leading global flag group, e.g. `(?i)` or `(?is)`.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    for (const flag of lead[1]!) {
      if (flag === "U") throw new Error(`unsupported RE2 pattern ${JSON.stringify(pattern)}: ungreedy mode (?U)`);
      if (!flags.includes(flag)) flags += flag;
    }
    i = lead[0].length;
  }
  const dotAll = flags.includes("s");
  let out = "";
  let inClass = false;
  const fail = (what: string): never => {
    throw new Error(`unsupported RE2 pattern ${JSON.stringify(pattern)}: ${what}`);
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) fail("trailing backslash");
      i += 2;
      switch (next) {
        case "A":
          if (inClass) fail("\\A in a character class");
          out += "(?<![\\s\\S])";
          break;
        case "z":
          if (inClass) fail("\\z in a character class");
          out += "(?![\\s\\S])";
          break;
        case "s":
          out += inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]";
          break;
        case "S":
          if (inClass) fail("\\S in a character class");
          out += "[^\\t\\n\\f\\r ]";
          break;
        case "Q": {
          const end = pattern.indexOf("\\E", i);
          const literal = end < 0 ? pattern.slice(i) : pattern.slice(i, end);
          out += [...literal].map((ch) => (JS_SYNTAX.has(ch) || ch === "-" ? `\\${ch}` : ch)).join("");
          i = end < 0 ? pattern.length : end + 2;
          break;
        }
        case "C":
          fail("\\C (any byte)");
          break;
        case "p":
        case "P": {
          let name: string;
          if (pattern[i] === "{") {
            const end = pattern.indexOf("}", i);
            if (end < 0) fail("unterminated \\p{");
            name = pattern.slice(i + 1, end);
            i = end + 1;
          } else {
            name = pattern[i] ?? fail("\\p without a class");
            i += 1;
          }
          const negated = name.startsWith("^");
          if (negated) name = name.slice(1);
          const upper = (next === "P") !== negated;
          const jsName = GENERAL_CATEGORY.test(name) || name === "Any" ? name : `Script=${name}`;
          out += name === "Any" ? (upper ? "[^\\s\\S]" : "[\\s\\S]") : `\\${upper ? "P" : "p"}{${jsName}}`;
          break;
        }
        case "x": {
          if (pattern[i] === "{") {
            const end = pattern.indexOf("}", i);
            if (end < 0) fail("unterminated \\x{");
            out += `\\u{${pattern.slice(i + 1, end)}}`;
            i = end + 1;
          } else {
            out += `\\x${pattern.slice(i, i + 2)}`;
            i += 2;
          }
          break;
        }
        default:
          if (/[0-9]/.test(next!)) {
            if (next === "0" && !/[0-7]/.test(pattern[i] ?? "")) out += "\\x00";
            else fail("octal escape or back-reference");
          } else if (/[A-Za-z]/.test(next!)) {
            // \d \D \w \W \b \B \t \n \r \f \v: same meaning in both.
            out += `\\${next}`;
          } else if (JS_SYNTAX.has(next!) || (inClass && next === "-")) {
            out += `\\${next}`;
          } else {
            // RE2 lets any punctuation be escaped; JavaScript's `u` mode does not: emit it literally.
            out += next === "-" ? "\\x2D" : next;
          }
      }
      continue;
    }
    if (inClass) {
      if (c === "[" && pattern[i + 1] === ":") {
        const end = pattern.indexOf(":]", i + 2);
        if (end < 0) fail("unterminated POSIX class");
        const name = pattern.slice(i + 2, end);
        if (name.startsWith("^")) fail(`negated POSIX class [:${name}:]`);
        const expansion = POSIX_CLASSES[name];
        if (expansion === undefined) fail(`unknown POSIX class [:${name}:]`);
        out += expansion;
        i = end + 2;
        continue;
      }
      if (c === "[") {
        out += "\\[";
        i += 1;
        continue;
      }
      if (c === "]") inClass = false;
      out += c;
      i += 1;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      i += 1;
      if (pattern[i] === "^") {
        out += "^";
        i += 1;
      }
      // A `]` right after `[` or `[^` is a literal in RE2.
      if (pattern[i] === "]") {
        out += "\\]";
        i += 1;
      }
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") {
      if (pattern.startsWith("(?P<", i)) {
        out += "(?<";
        i += 4;
        continue;
      }
      if (pattern[i + 2] !== ":" && pattern[i + 2] !== "<") fail("flag group inside the pattern");
    }
    if (c === "{" || c === "}") {
      // RE2 reads a brace that does not form a repeat `{n}`, `{n,}`, `{n,m}` as a literal;
      // JavaScript's `u` mode rejects it.
      const repeat = c === "{" ? /^\{\d+(?:,\d*)?\}/.exec(pattern.slice(i)) : null;
      if (repeat) {
        out += repeat[0];
        i += repeat[0].length;
      } else {
        out += `\\${c}`;
        i += 1;
      }
      continue;
    }
    if (c === ".") {
      // RE2's `.` excludes only \n; JavaScript's also excludes \r, \u2028 and \u2029.
      out += dotAll ? "[\\s\\S]" : "[^\\n]";
      i += 1;
      continue;
    }
    out += c;
    i += 1;
  }
  if (inClass) fail("unterminated character class");
  return new RegExp(out, flags.replace("s", ""));
}
