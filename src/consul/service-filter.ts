import { isObject } from "./is-object.js";

/** Which Consul services a watch bridges: `--prefix`, `--tag` and the names never bridged. */
export interface ServiceFilter {
  /** Only services whose names start with this. */
  readonly prefix: string;
  /** Services never bridged, whatever the prefix (Consul's own `consul` service by default). */
  readonly exclude: ReadonlySet<string>;
  /** Only services (and instances) carrying this tag. */
  readonly tag: string | undefined;
}

/**
 * The bridged services of one `/v1/catalog/services` answer (`{name: [tags…]}`), name → tags, or
 * undefined when the answer is not an object. Tags that are not strings are dropped, and so is an
 * empty name: Consul refuses to register a service without one, so an answer listing it is broken
 * (and a resource named "" is one Envoy rejects).
 */
export function selectBridgedServices(body: unknown, filter: ServiceFilter): Map<string, readonly string[]> | undefined {
  if (!isObject(body)) return undefined;
  const out = new Map<string, readonly string[]>();
  const wantedTag = filter.tag;
  for (const [name, rawTags] of Object.entries(body)) {
    if (name === "" || !name.startsWith(filter.prefix) || filter.exclude.has(name)) continue;
    const tags = Array.isArray(rawTags) ? rawTags.filter((t): t is string => typeof t === "string") : [];
    if (wantedTag !== undefined && !tags.includes(wantedTag)) continue;
    out.set(name, tags);
  }
  return out;
}
