import { compileRe2 } from "./compile-re2.js";

/**
 * Compiles a `(validate.rules)` `pattern` (RE2, matched anywhere in the value as protoc-gen-validate
 * does) into a test of text; a pattern RE2 itself refuses becomes a test that always reports it,
 * never one that passes.
 */
export function compilePatternTest(pattern: string): (text: string) => string | undefined {
  let regex: ReturnType<typeof compileRe2>;
  try {
    regex = compileRe2(pattern);
  } catch (error) {
    const reason = (error as Error).message;
    return () => `cannot check pattern rule ${JSON.stringify(pattern)}: ${reason}`;
  }
  return (text) => (regex.matcher(text).find() ? undefined : `value does not match regex pattern ${JSON.stringify(pattern)}`);
}
