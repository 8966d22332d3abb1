import type { HeaderModifiers } from "../model/config-entry.js";

/**
 * Consul's `MergeHTTPHeaderModifiers(base, overrides)`: the overrides' `Add` and `Set` keys replace
 * the base's, `Remove` is the union without duplicates. Used when nested splitters are multiplied
 * out, so a parent split's header changes still apply (request: parent then child; response: the
 * other way round).
 */
export function mergeHeaderModifiers(
  base: HeaderModifiers | undefined,
  overrides: HeaderModifiers | undefined,
): HeaderModifiers | undefined {
  if (!base) return overrides;
  if (!overrides) return base;
  const remove = [...base.remove];
  for (const name of overrides.remove) if (!remove.includes(name)) remove.push(name);
  return { add: { ...base.add, ...overrides.add }, set: { ...base.set, ...overrides.set }, remove };
}
