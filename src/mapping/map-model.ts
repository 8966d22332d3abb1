import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.js";
import type { VirtualHost } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import type { ModelView } from "../model/service-model.js";
import { buildEnvoyListener } from "./build-envoy-listener.js";
import { buildEnvoyRouteConfiguration } from "./build-envoy-route-configuration.js";
import { buildEnvoyVirtualHost } from "./build-envoy-virtual-host.js";
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
export function compareByResourceName(a: { readonly resourceName: string }, b: { readonly resourceName: string }): number {
  return a.resourceName < b.resourceName ? -1 : a.resourceName > b.resourceName ? 1 : 0;
}

/**
 * Maps the whole model in one go (pure, nothing validated or encoded): the reference the incremental
 * publisher must agree with, and the simple path for tools and tests. Envoy gets every service's
 * cluster (and EDS assignment), one HTTP listener and one route configuration with a virtual host
 * per service (sorted by resource name); gRPC clients get cluster, assignment, listener and route
 * configuration per EDS service.
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
  const envoy: ClientResources = {
    clusters: mappings.map((mapping) => mapping.envoy.cluster),
    assignments: mappings.flatMap((mapping) => (mapping.envoy.assignment ? [mapping.envoy.assignment] : [])),
    listeners: [buildEnvoyListener(options.envoyListener)],
    routeConfigurations: [buildEnvoyRouteConfiguration(virtualHosts)],
  };
  const grpcMappings = mappings.flatMap((mapping) => (mapping.grpc ? [mapping.grpc] : []));
  const grpc: ClientResources = {
    clusters: grpcMappings.map((resources) => resources.cluster),
    assignments: grpcMappings.map((resources) => resources.assignment),
    listeners: grpcMappings.map((resources) => resources.listener),
    routeConfigurations: grpcMappings.map((resources) => resources.routeConfiguration),
  };
  return { envoy, grpc, services: new Map(mappings.map((mapping) => [mapping.service, mapping])), warnings };
}
