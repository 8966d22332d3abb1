/**
 * Deep equality of JSON-like values (primitives, arrays, plain objects): what `JSON.stringify(a) ===
 * JSON.stringify(b)` decides for the model's instances, without building the text — for 10,000
 * services that text cost ~25 MB kept and a serialisation on every read. Object keys are compared as
 * sets (order does not matter; a key whose value is undefined counts as absent, as in JSON).
 */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContent(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key) || x[key] === undefined) continue;
    keys += 1;
    if (!Object.hasOwn(y, key) || !sameContent(x[key], y[key])) return false;
  }
  for (const key in y) if (Object.hasOwn(y, key) && y[key] !== undefined) keys -= 1;
  return keys === 0;
}
