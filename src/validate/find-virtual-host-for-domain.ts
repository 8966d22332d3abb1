import type { VirtualHost } from "../gen/envoy/config/route/v3/route_components_pb.js";

// Mirrors @grpc/grpc-js-xds 1.14.1 src/xds-dependency-manager.ts (domainPatternMatchType,
// domainMatch, findVirtualHostForDomain): exact beats suffix (`*x`) beats prefix (`x*`) beats
// universe (`*`); within one kind the longest pattern wins.

enum MatchType {
  Exact,
  Suffix,
  Prefix,
  Universe,
  Invalid,
}

function matchType(pattern: string): MatchType {
  if (pattern.length === 0) return MatchType.Invalid;
  if (!pattern.includes("*")) return MatchType.Exact;
  if (pattern === "*") return MatchType.Universe;
  if (pattern.startsWith("*")) return MatchType.Suffix;
  if (pattern.endsWith("*")) return MatchType.Prefix;
  return MatchType.Invalid;
}

function matches(type: MatchType, pattern: string, host: string): boolean {
  switch (type) {
    case MatchType.Exact:
      return host === pattern;
    case MatchType.Suffix:
      return host.endsWith(pattern.slice(1));
    case MatchType.Prefix:
      return host.startsWith(pattern.slice(0, -1));
    case MatchType.Universe:
      return true;
    case MatchType.Invalid:
      return false;
  }
}

/** The virtual host a gRPC client picks for its data-plane authority (the `xds:///` target), or undefined. */
export function findVirtualHostForDomain(virtualHosts: readonly VirtualHost[], authority: string): VirtualHost | undefined {
  let best: VirtualHost | undefined;
  let bestType = MatchType.Invalid;
  let longest = 0;
  for (const virtualHost of virtualHosts) {
    for (const pattern of virtualHost.domains) {
      const type = matchType(pattern);
      if (type > bestType || (type === bestType && pattern.length <= longest)) continue;
      if (matches(type, pattern, authority)) {
        best = virtualHost;
        bestType = type;
        longest = pattern.length;
      }
      if (bestType === MatchType.Exact) break;
    }
    if (bestType === MatchType.Exact) break;
  }
  return best;
}
