import { VirtualHostSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import { RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../resource-types/index.js";
import { buildEnvoyListener } from "./build-envoy-listener.js";
import { buildEnvoyRouteConfiguration } from "./build-envoy-route-configuration.js";
import { buildEnvoyVirtualHost, type VirtualHostSource } from "./build-envoy-virtual-host.js";
import { chainDrafts } from "./chain-drafts.js";
import type { ClientKindBuilder, PartUpdate, ResourceDraft, ServiceContribution } from "./client-kind-builder.js";
import { DomainRegistry } from "./domain-registry.js";
import type { ServiceMapping } from "./map-service.js";
import type { ResolvedMappingOptions } from "./mapping-options.js";
import { envoyListenerName } from "./resource-names.js";

/** RouteConfiguration.virtual_hosts. */
const virtualHostsField = 2;

/**
 * The Envoy builder: per service its cluster (EDS with an assignment, or STRICT_DNS) and a virtual
 * host in the one route configuration of the bridge's HTTP listener. Virtual host domains must be
 * unique across the whole route configuration, so the builder keeps who claims which domain (a
 * domain registry) and, when a service appears, vanishes or changes its claims, hands back the
 * virtual hosts of every service whose won domains moved. A virtual host whose inputs did not change
 * (an instance change, the common case) is not rebuilt.
 */
export function createEnvoyBuilder(options: ResolvedMappingOptions): ClientKindBuilder {
  const shell = buildEnvoyRouteConfiguration([]);
  const listener: ResourceDraft = {
    typeUrl: listenerType,
    name: envoyListenerName,
    message: buildEnvoyListener(options.envoyListener),
    references: [shell.name],
  };
  const domains = new DomainRegistry();
  const sources = new Map<string, VirtualHostSource>();
  const inputs = new Map<string, string>();

  const partOf = (service: string): PartUpdate | undefined => {
    const source = sources.get(service);
    if (!source) {
      if (!inputs.delete(service)) return undefined;
      return { part: undefined, warnings: [] };
    }
    const won = domains.won(service);
    const key = JSON.stringify([
      source.resourceName,
      source.settings,
      source.envoy.domainClaims.map((c) => c.domain),
      won,
      source.chainRoutes?.key ?? null,
    ]);
    if (inputs.get(service) === key) return undefined;
    inputs.set(service, key);
    const built = buildEnvoyVirtualHost(source, won);
    return {
      part: built.virtualHost && {
        name: source.resourceName,
        message: built.virtualHost,
        exclusiveKeys: keysOf(source, won),
      },
      warnings: built.warnings,
    };
  };

  return {
    kind: "envoy",
    fixedResources: [listener],
    assembly: {
      typeUrl: routeType,
      name: shell.name,
      shell,
      shellSchema: RouteConfigurationSchema,
      partField: virtualHostsField,
      partSchema: VirtualHostSchema,
    },
    contribute(mapping: ServiceMapping): ServiceContribution {
      const { cluster, assignment } = mapping.envoy;
      const name = mapping.resourceName;
      const chain = mapping.chain?.envoy;
      const resources: ResourceDraft[] = chain
        ? chainDrafts(chain.clusters, chain.assignments)
        : [{ typeUrl: clusterType, name, message: cluster, references: assignment ? [name] : [] }];
      if (!chain && assignment) resources.push({ typeUrl: endpointType, name, message: assignment, references: [] });
      const partSource: VirtualHostSource = {
        service: mapping.service,
        resourceName: name,
        settings: mapping.settings,
        envoy: { domainClaims: mapping.envoy.domainClaims },
        chainRoutes: chain && { routes: chain.routes, key: chain.routesKey },
      };
      return { resources, partSource };
    },
    updateParts(changes) {
      const affected = new Set<string>();
      for (const [service, value] of changes) {
        const source = value as VirtualHostSource | undefined;
        if (source) sources.set(service, source);
        else sources.delete(service);
        for (const name of domains.update(service, source ? source.envoy.domainClaims : [])) affected.add(name);
        affected.add(service);
      }
      const updates = new Map<string, PartUpdate>();
      for (const service of affected) {
        const update = partOf(service);
        if (update) updates.set(service, update);
      }
      return updates;
    },
  };
}

/** The lower-cased keys of the domains a service won (the claims' own strings: 60,000 of them at 10,000 services). */
function keysOf(source: VirtualHostSource, won: readonly string[]): string[] {
  const wonSet = new Set(won);
  return source.envoy.domainClaims.filter((claim) => wonSet.has(claim.domain)).map((claim) => claim.key);
}
