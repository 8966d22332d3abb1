import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";

/** The node metadata key that limits a client to some services: a list of names, or one comma-separated string. */
export const upstreamsMetadataKey = "consul-xds-bridge.upstreams";

/** More names than this in one node's list are cut off (with a warning): a bound on what one client can make the bridge hold. */
export const maxScopeServices = 10_000;

/** A client's scope: the group it is served from and the services it asked for. */
export interface Scope {
  readonly group: string;
  readonly services: ReadonlySet<string>;
}

/**
 * Reads the services a node asked for from `consul-xds-bridge.upstreams` (undefined: no key, or a
 * value that is neither a string nor a list of strings — then the node gets every service, with a
 * warning). Names are trimmed, deduplicated and sorted, so equal lists share one group named after
 * the kind and a digest of the names.
 */
export function scopeOf(node: Node | undefined, kind: string, logger?: Logger): Scope | undefined {
  const value = node?.metadata?.[upstreamsMetadataKey];
  if (value === undefined || value === null) return undefined;
  let names: string[];
  if (typeof value === "string") names = value.split(",");
  else if (Array.isArray(value) && value.every((item) => typeof item === "string")) names = value as string[];
  else {
    logger?.warn(
      { node: node?.id.slice(0, 200), key: upstreamsMetadataKey },
      "node metadata upstreams is neither a string nor a list of strings; serving every service",
    );
    return undefined;
  }
  const services = [...new Set(names.map((name) => name.trim()).filter((name) => name !== ""))].sort();
  if (services.length > maxScopeServices) {
    logger?.warn(
      { node: node?.id.slice(0, 200), names: services.length, limit: maxScopeServices },
      "node lists too many upstreams; the rest are ignored",
    );
    services.length = maxScopeServices;
  }
  const digest = createHash("sha256").update(services.join("\n")).digest("hex").slice(0, 16);
  return { group: `${kind}~${digest}`, services: new Set(services) };
}
