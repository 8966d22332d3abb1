import { create } from "@bufbuild/protobuf";
import { type Route, type VirtualHost, VirtualHostSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import { buildVirtualHost } from "./build-virtual-host.js";
import type { EnvoyServiceResources, ServiceMapping } from "./map-service.js";
import type { MappingWarning } from "./mapping-warning.js";

/** What building a virtual host reads of a service's mapping (a publisher may keep only this between publishes). */
export type VirtualHostSource = Pick<ServiceMapping, "service" | "resourceName" | "settings"> & {
  readonly envoy: Pick<EnvoyServiceResources, "domainClaims">;
  /** The discovery chain's routes, when a chain shapes the service (instead of the one plain route). */
  readonly chainRoutes?: { readonly routes: readonly Route[]; readonly key: string } | undefined;
};

/**
 * Builds a service's virtual host in Envoy's route configuration from the domains it won (see
 * domain-claims.ts). Lost domains give a `domain-conflict` warning; a service that won none has no
 * virtual host (Envoy requires at least one domain) and gets an `unrouted-service` warning.
 */
export function buildEnvoyVirtualHost(
  mapping: VirtualHostSource,
  won: readonly string[],
): { virtualHost: VirtualHost | undefined; warnings: MappingWarning[] } {
  const warnings: MappingWarning[] = [];
  const wonSet = new Set(won);
  const lost = mapping.envoy.domainClaims.filter((claim) => !wonSet.has(claim.domain)).map((claim) => claim.domain);
  if (lost.length > 0) {
    warnings.push({
      service: mapping.service,
      clientKind: "envoy",
      code: "domain-conflict",
      message: `virtual host domain(s) ${lost.join(", ")} belong to other services (Envoy needs domains unique, case-insensitively)`,
    });
  }
  if (won.length === 0) {
    warnings.push({
      service: mapping.service,
      clientKind: "envoy",
      code: "unrouted-service",
      message: "no virtual host domain left: Envoy's listener does not route to this service",
    });
    return { virtualHost: undefined, warnings };
  }
  if (mapping.chainRoutes) {
    const virtualHost = create(VirtualHostSchema, {
      name: mapping.resourceName,
      domains: [...won],
      routes: [...mapping.chainRoutes.routes],
    });
    return { virtualHost, warnings };
  }
  const virtualHost = buildVirtualHost({
    name: mapping.resourceName,
    domains: won,
    clusterName: mapping.resourceName,
    kind: "envoy",
    settings: mapping.settings,
  });
  return { virtualHost, warnings };
}
