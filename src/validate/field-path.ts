/**
 * One step of a field path: a proto field name, a list index, or a map key already rendered
 * as `["key"]` (see {@link mapKeySegment}).
 */
export type PathSegment = string | number;

/** Renders a map key as a path segment (`["x-key"]`, `[42]`), so keys never look like field names. */
export function mapKeySegment(key: string | number | bigint | boolean): string {
  return typeof key === "string" ? `[${JSON.stringify(key)}]` : `[${String(key)}]`;
}

/** Renders segments as `a.b[0].c["k"]`; built only when an error is reported, never on the happy path. */
export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (segment.startsWith("[")) out += segment;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}
