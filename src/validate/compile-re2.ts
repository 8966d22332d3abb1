import { RE2JS } from "re2js";

const compiled = new Map<string, RE2JS>();

/**
 * Compiles an RE2 pattern with re2js (RE2's own syntax and semantics, linear-time matching), once per
 * pattern: Envoy's `(validate.rules)` patterns and the regexes inside resources are RE2, which
 * JavaScript's RegExp differs from in small but real ways. Throws re2js's syntax error for a pattern
 * RE2 refuses.
 */
export function compileRe2(pattern: string): RE2JS {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = RE2JS.compile(pattern);
    compiled.set(pattern, regex);
  }
  return regex;
}
