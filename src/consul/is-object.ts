/** True for a JSON object (not null, not an array): the first check on anything Consul sends. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
