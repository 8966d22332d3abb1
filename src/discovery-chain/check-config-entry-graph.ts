import type { ConfigEntry } from "../model/config-entry.js";
import type { ConfigEntriesView } from "../model/config-entry-store.js";
import { compileDiscoveryChain } from "./compile-discovery-chain.js";

/** The services an entry names or points at: its own, and those of its splits, route destinations, redirect and failovers. */
function servicesOf(entry: ConfigEntry): string[] {
  switch (entry.kind) {
    case "proxy-defaults":
      return [];
    case "service-defaults":
      return [entry.name, ...entry.upstreamOverrides.map((o) => o.name)];
    case "service-router":
      return [entry.name, ...entry.routes.flatMap((route) => (route.destination?.service ? [route.destination.service] : []))];
    case "service-splitter":
      return [entry.name, ...entry.splits.flatMap((split) => (split.service ? [split.service] : []))];
    case "service-resolver":
      return [
        entry.name,
        ...(entry.redirect?.service ? [entry.redirect.service] : []),
        ...Object.values(entry.failover).flatMap((f) => [
          ...(f.service ? [f.service] : []),
          ...f.targets.flatMap((t) => (t.service ? [t.service] : [])),
        ]),
      ];
  }
}

/**
 * Consul's graph check of a proposed set of config entries (what it runs before it applies a write
 * or a delete): every chain an entry can shape is compiled, and the first error — a router or
 * splitter on a tcp chain, a missing subset, a redirect or split cycle, mixed protocols, an entry
 * Consul's own validation refuses — is returned in Consul's words. Undefined when the graph is valid.
 */
export function checkConfigEntryGraph(entries: ConfigEntriesView): string | undefined {
  const services = new Set<string>();
  for (const entry of entries.entries.values()) for (const name of servicesOf(entry)) services.add(name);
  for (const service of [...services].sort()) {
    const result = compileDiscoveryChain(service, {
      entries,
      localDatacenter: "",
      servedDatacenters: [],
      hasService: () => true,
      downstreamService: "",
      mode: "consul-write",
    });
    const problem = result.errors[0];
    if (problem) return problem.message;
  }
  return undefined;
}
