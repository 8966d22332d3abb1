import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.js";
import type { VirtualHost } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import type { ModelView } from "../model/service-model.js";
import { clusterType, endpointType, listenerType, routeType } from "../resource-types/index.js";
import { buildEnvoyRouteConfiguration } from "./build-envoy-route-configuration.js";
import { buildEnvoyVirtualHost } from "./build-envoy-virtual-host.js";
import type { ClientKind } from "./client-kind.js";
import type { ResourceDraft } from "./client-kind-builder.js";
import { createClientKindBuilders } from "./create-client-kind-builders.js";
import { resolveDomainClaims } from "./domain-claims.js";
import { mapService, type ServiceMapping } from "./map-service.js";
import type { ResolvedMappingOptions } from "./mapping-options.js";
import type { MappingWarning } from "./mapping-warning.js";

/** The resources of one client kind, by type. */
export interface ClientResources {
  readonly clusters: readonly Cluster[];
  readonly assignments: readonly ClusterLoadAssignment[];
  readonly listeners: readonly Listener[];
  readonly routeConfigurations: readonly RouteConfiguration[];
  /** The same resources as the builders hand them to the publisher's validation gate. */
  readonly drafts: readonly ResourceDraft[];
}

/** The whole model mapped at once. */
export interface ModelMapping {
  readonly envoy: ClientResources;
  readonly grpc: ClientResources;
  /** Per service, sorted by resource name. */
  readonly services: ReadonlyMap<string, ServiceMapping>;
  /** Every service's warnings, and those of Envoy's virtual hosts. */
  readonly warnings: readonly MappingWarning[];
}

/** Orders services the way Envoy's route configuration lists their virtual hosts: by resource name. */
function compareByResourceName(a: { readonly resourceName: string }, b: { readonly resourceName: string }): number {
  return a.resourceName < b.resourceName ? -1 : a.resourceName > b.resourceName ? 1 : 0;
}

/**
 * Maps the whole model in one go (pure, nothing validated or encoded): the reference the incremental
 * publisher must agree with, and the simple path for tools and tests. Each kind gets what its builder
 * contributes per service; Envoy's route configuration is resolved from every service's domain claims
 * at once (not incrementally), with a virtual host per service sorted by resource name.
 */
export function mapModel(view: ModelView, options: ResolvedMappingOptions): ModelMapping {
  const mappings: ServiceMapping[] = [];
  for (const name of view.services.keys()) {
    const mapping = mapService(view, name, options);
    if (mapping) mappings.push(mapping);
  }
  mappings.sort(compareByResourceName);
  const warnings: MappingWarning[] = mappings.flatMap((mapping) => mapping.warnings);
  const won = resolveDomainClaims(mappings.flatMap((mapping) => mapping.envoy.domainClaims));
  const virtualHosts: VirtualHost[] = [];
  for (const mapping of mappings) {
    const built = buildEnvoyVirtualHost(mapping, won.get(mapping.service) ?? []);
    warnings.push(...built.warnings);
    if (built.virtualHost) virtualHosts.push(built.virtualHost);
  }
  const resources = {} as Record<ClientKind, ClientResources>;
  for (const builder of createClientKindBuilders(options)) {
    const drafts = [...builder.fixedResources, ...mappings.flatMap((mapping) => builder.contribute(mapping).resources)];
    if (builder.assembly) {
      const routes = buildEnvoyRouteConfiguration(virtualHosts);
      drafts.push({ typeUrl: builder.assembly.typeUrl, name: builder.assembly.name, message: routes, references: [] });
    }
    const of = <T>(typeUrl: string) => drafts.filter((draft) => draft.typeUrl === typeUrl).map((draft) => draft.message as T);
    resources[builder.kind] = {
      clusters: of<Cluster>(clusterType),
      assignments: of<ClusterLoadAssignment>(endpointType),
      listeners: of<Listener>(listenerType),
      routeConfigurations: of<RouteConfiguration>(routeType),
      drafts,
    };
  }
  return { ...resources, services: new Map(mappings.map((mapping) => [mapping.service, mapping])), warnings };
}
