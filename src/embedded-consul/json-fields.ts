import { isObject } from "../consul/is-object.js";

/** A request body rejected with Consul's 400 text. */
export class BadRequest extends Error {}

function normalize(key: string): string {
  return key.replace(/_/g, "").toLowerCase();
}

export { isObject };

/**
 * Reads a field the way Consul decodes request bodies: Go's JSON decoder matches field names
 * case-insensitively and Consul also accepts snake_case (`enable_tag_override`).
 */
export function field(body: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(body, name)) return body[name];
  const wanted = normalize(name);
  for (const key of Object.keys(body)) if (normalize(key) === wanted) return body[key];
  return undefined;
}

function decodeError(name: string, expected: string): BadRequest {
  return new BadRequest(`Request decode failed: ${name}: expected ${expected}`);
}

/** A string field; absent or null → `fallback`. */
export function stringField(body: Record<string, unknown>, name: string, fallback = ""): string {
  const value = field(body, name);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string") throw decodeError(name, "a string");
  return value;
}

/** An integer field; absent or null → `fallback`. */
export function integerField(body: Record<string, unknown>, name: string, fallback = 0): number {
  const value = field(body, name);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) throw decodeError(name, "an integer");
  return value;
}

/** A boolean field; absent or null → false. */
export function booleanField(body: Record<string, unknown>, name: string): boolean {
  const value = field(body, name);
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw decodeError(name, "a boolean");
  return value;
}

/** A list of strings; absent or null → []. */
export function stringListField(body: Record<string, unknown>, name: string): string[] {
  const value = field(body, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw decodeError(name, "a list of strings");
  return value as string[];
}

/** A string → string map (Meta); absent or null → {}. Keys are kept as given. */
export function stringMapField(body: Record<string, unknown>, name: string): Record<string, string> {
  const value = field(body, name);
  if (value === undefined || value === null) return {};
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw decodeError(name, "an object of strings");
  }
  return { ...(value as Record<string, string>) };
}

/** An object field; absent or null → undefined. */
export function objectField(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = field(body, name);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw decodeError(name, "an object");
  return value;
}
