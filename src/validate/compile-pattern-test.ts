import { re2ToRegExp } from "./re2-to-regexp.js";

/**
 * Compiles a `(validate.rules)` `pattern` (RE2) into a test of text; a pattern JavaScript cannot
 * express with the same meaning becomes a test that always reports it, never one that passes.
 */
export function compilePatternTest(pattern: string): (text: string) => string | undefined {
  let regex: RegExp;
  try {
    regex = re2ToRegExp(pattern);
  } catch (error) {
    const unsupported = (error as Error).message;
    return () => `cannot check pattern rule: ${unsupported}`;
  }
  return (text) => (regex.test(text) ? undefined : `value does not match regex pattern ${JSON.stringify(pattern)}`);
}
