import type { DiscoveryChain } from "../discovery-chain/index.js";
import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.js";
import type { Route } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import type { ConfigEntriesView } from "../model/config-entry-store.js";
import type { ServiceState } from "../model/service-instance.js";
import type { ModelView } from "../model/service-model.js";
import { settingInstances } from "../model/setting-instances.js";
import { buildChainResources, type ChainResources } from "./build-chain-resources.js";
import { buildChainRouteConfiguration, chainRoutesKey } from "./build-chain-route-configuration.js";
import { buildCluster } from "./build-cluster.js";
import { buildGrpcListener } from "./build-grpc-listener.js";
import { buildGrpcRouteConfiguration } from "./build-grpc-route-configuration.js";
import { buildLoadAssignment, type EndpointCandidate } from "./build-load-assignment.js";
import { type DomainClaim, domainClaimsFor } from "./domain-claims.js";
import { classifyEndpointAddress, type EndpointAddress } from "./endpoint-address.js";
import type { ResolvedMappingOptions } from "./mapping-options.js";
import type { MappingWarning } from "./mapping-warning.js";
import { resourceNameFor } from "./resource-names.js";
import { readServiceSettings, type ServiceSettings } from "./service-settings.js";

/** What Envoy gets for one service (its virtual host is built once its domains are resolved). */
export interface EnvoyServiceResources {
  /** EDS, or STRICT_DNS with an inline load assignment when every instance address is a hostname. */
  readonly cluster: Cluster;
  /** The EDS assignment; undefined for a DNS cluster. */
  readonly assignment: ClusterLoadAssignment | undefined;
  /** The virtual host domains the service asks for in Envoy's route configuration. */
  readonly domainClaims: readonly DomainClaim[];
}

/** What a proxyless gRPC client of `xds:///<resourceName>` gets for one service. */
export interface GrpcServiceResources {
  /** The same object as Envoy's cluster when the two would be equal. */
  readonly cluster: Cluster;
  /** The same object as Envoy's assignment (EDS mode is the only one gRPC gets). */
  readonly assignment: ClusterLoadAssignment;
  readonly listener: Listener;
  readonly routeConfiguration: RouteConfiguration;
  /**
   * For a name that escaping changed (`my svc` → `my%20svc`): the listener and route configuration
   * under the decoded spelling, because gRPC C-core percent-decodes an `xds:///my%20svc` target and
   * asks for `my svc` where grpc-js-xds asks for `my%20svc` as written. Both route to the cluster.
   */
  readonly decodedAlias:
    | { readonly name: string; readonly listener: Listener; readonly routeConfiguration: RouteConfiguration }
    | undefined;
}

/** A service's discovery chain as resources: its targets' clusters and assignments, and its routes. */
export interface ChainMapping {
  readonly envoy: {
    readonly clusters: readonly Cluster[];
    readonly assignments: readonly ClusterLoadAssignment[];
    /** The routes of the service's virtual host in Envoy's route configuration. */
    readonly routes: readonly Route[];
    /** Equal for equal routes: the virtual host is rebuilt only when it changes. */
    readonly routesKey: string;
  };
  /** Undefined when the service is not served to gRPC clients (its route configuration holds the chain's routes). */
  readonly grpc: { readonly clusters: readonly Cluster[]; readonly assignments: readonly ClusterLoadAssignment[] } | undefined;
}

/** A compiled chain to map a service with, and what it was compiled from. */
export interface ServiceChainInput {
  readonly chain: DiscoveryChain;
  readonly entries: ConfigEntriesView;
  /** `--downstream-service`, whose service-defaults' UpstreamConfig the targets carry. */
  readonly downstreamService: string;
}

/** Everything one service maps to, per client kind, with the warnings met on the way. */
export interface ServiceMapping {
  /** The Consul service name. */
  readonly service: string;
  /** The name of every resource of the service: cluster, assignment, gRPC listener and route configuration, virtual host. */
  readonly resourceName: string;
  readonly settings: ServiceSettings;
  readonly envoy: EnvoyServiceResources;
  /** Undefined when the service cannot be served to gRPC clients (every address is a hostname). */
  readonly grpc: GrpcServiceResources | undefined;
  /**
   * Set when a discovery chain shapes the service (see docs/traffic-policy.md): builders then serve
   * its clusters, assignments and routes instead of `envoy.cluster`/`grpc.cluster` and the plain route.
   */
  readonly chain?: ChainMapping | undefined;
  readonly warnings: readonly MappingWarning[];
}

/** The datacenters the bridge serves, in priority order: local first, then failover ones (deduplicated). */
export function servedDatacenters(view: ModelView): string[] {
  return [...new Set([view.localDatacenter, ...view.failoverDatacenters])];
}

/**
 * Maps one service of the model to its xDS resources for both client kinds — pure: same view, same
 * output, no I/O. Instances of the local datacenter and of the failover datacenters (in order) are
 * used; instances with a bad port or an unusable address are skipped with a warning. A service with
 * at least one IP-literal instance is an EDS service (hostname instances are skipped with a warning);
 * a service whose instances are all hostnames becomes a STRICT_DNS cluster for Envoy and is left out
 * for gRPC clients (grpc-js takes IP literals only, and LOGICAL_DNS holds a single address). The
 * decision looks at addresses only, never at health, so a flapping check never changes a cluster's
 * type. Returns undefined when the service has no instances list in any served datacenter.
 */
export function mapService(
  view: ModelView,
  service: string,
  options: ResolvedMappingOptions,
  chain?: ServiceChainInput,
): ServiceMapping | undefined {
  const perDc = view.services.get(service);
  if (!perDc) return undefined;
  const states: ServiceState[] = [];
  for (const dc of servedDatacenters(view)) {
    const state = perDc.get(dc);
    if (state) states.push(state);
  }
  if (states.length === 0) return undefined;

  const warnings: MappingWarning[] = [];
  const resourceName = resourceNameFor(service);
  // A service with no instances now (a redeploy's gap, a vanished service kept through its grace)
  // keeps the settings and cluster type its last instances gave it: its resources stay as they were.
  const shaping = states.flatMap(settingInstances);
  const { settings, warnings: settingWarnings } = readServiceSettings(service, shaping);
  warnings.push(...settingWarnings);

  const classified = states.map((state) => ({
    datacenter: state.datacenter,
    instances: state.instances.flatMap((instance) => {
      if (!Number.isInteger(instance.port) || instance.port < 1 || instance.port > 65535) {
        warnings.push({
          service,
          instance: instance.id,
          datacenter: state.datacenter,
          code: "invalid-port",
          message: `instance ${instance.id} on ${instance.node} has port ${instance.port}, outside 1–65535; skipped`,
        });
        return [];
      }
      const address = classifyEndpointAddress(instance.address);
      if (address.kind === "invalid") {
        warnings.push({
          service,
          instance: instance.id,
          datacenter: state.datacenter,
          code: "invalid-address",
          message: `instance ${instance.id} on ${instance.node}: ${address.reason}; skipped`,
        });
        return [];
      }
      return [{ instance, address }];
    }),
  }));
  const all = classified.flatMap((dc) => dc.instances);
  const kinds =
    all.length > 0
      ? all.map(({ address }) => address.kind)
      : shaping.map((instance) => classifyEndpointAddress(instance.address).kind).filter((kind) => kind !== "invalid");
  const dnsMode = kinds.length > 0 && kinds.every((kind) => kind === "hostname");
  const usable = (address: EndpointAddress): boolean => (dnsMode ? address.kind === "hostname" : address.kind === "ip");
  if (dnsMode) {
    warnings.push({
      service,
      code: "dns-cluster",
      message: "every instance address is a hostname: served to Envoy as a STRICT_DNS cluster, not served to gRPC clients",
    });
  }
  const datacenters = classified.map(({ datacenter, instances }) => ({
    datacenter,
    candidates: instances.flatMap(({ instance, address }): EndpointCandidate[] => {
      if (usable(address)) return [{ instance, address: address.address }];
      warnings.push({
        service,
        instance: instance.id,
        datacenter,
        code: "hostname-address",
        message: `instance ${instance.id} on ${instance.node} has hostname ${instance.address}, but other instances have IP addresses and EDS takes IP literals only; skipped`,
      });
      return [];
    }),
  }));
  const load = buildLoadAssignment({
    service,
    clusterName: resourceName,
    datacenters,
    policy: options.healthPolicy,
    zoneMetaKey: options.zoneMetaKey,
    failOpen: settings.whenUnhealthy === "fail-open",
  });
  warnings.push(...load.warnings);

  const envoyCluster = buildCluster({
    service,
    name: resourceName,
    kind: "envoy",
    settings,
    dnsAssignment: dnsMode ? load.assignment : undefined,
  });
  warnings.push(...envoyCluster.warnings);
  const envoy: EnvoyServiceResources = {
    cluster: envoyCluster.cluster,
    assignment: dnsMode ? undefined : load.assignment,
    domainClaims: domainClaimsFor(service, view.localDatacenter),
  };
  let grpc: GrpcServiceResources | undefined;
  if (!dnsMode) {
    // When nothing differs between the kinds, gRPC shares Envoy's cluster object (encoded once).
    const shared = settings.protocol === "http1" && (settings.lbPolicy === "round_robin" || settings.lbPolicy === "ring_hash");
    const grpcCluster = shared
      ? { cluster: envoyCluster.cluster, warnings: [] }
      : buildCluster({ service, name: resourceName, kind: "grpc", settings });
    warnings.push(...grpcCluster.warnings);
    grpc = {
      cluster: grpcCluster.cluster,
      assignment: load.assignment,
      listener: buildGrpcListener(resourceName, resourceName),
      routeConfiguration: buildGrpcRouteConfiguration(resourceName, resourceName, settings),
      decodedAlias: decodedAliasOf(service, resourceName, settings, warnings),
    };
  }
  if (!chain || chain.chain.isDefault) return { service, resourceName, settings, envoy, grpc, warnings };
  if (dnsMode) {
    warnings.push({
      service,
      code: "ignored-config-entry",
      message: "the discovery chain is not applied: its targets need IP-address instances, and every instance address is a hostname",
    });
    return { service, resourceName, settings, envoy, grpc, warnings };
  }
  const input = { view, chain: chain.chain, entries: chain.entries, options, downstreamService: chain.downstreamService };
  const envoyChain = buildChainResources({ ...input, kind: "envoy" });
  const grpcChain = grpc ? buildChainResources({ ...input, kind: "grpc" }) : undefined;
  warnings.push(...mergeWarnings(envoyChain, grpcChain));
  if (grpc && grpcChain) {
    const alias = grpc.decodedAlias;
    grpc = {
      ...grpc,
      routeConfiguration: buildChainRouteConfiguration(resourceName, resourceName, [resourceName], grpcChain.routes),
      decodedAlias: alias && {
        ...alias,
        routeConfiguration: buildChainRouteConfiguration(alias.name, alias.name, [alias.name], grpcChain.routes),
      },
    };
  }
  const mappedChain: ChainMapping = {
    envoy: {
      clusters: envoyChain.clusters,
      assignments: envoyChain.assignments,
      routes: envoyChain.routes,
      routesKey: chainRoutesKey(envoyChain.routes),
    },
    grpc: grpcChain && { clusters: grpcChain.clusters, assignments: grpcChain.assignments },
  };
  return { service, resourceName, settings, envoy, grpc, chain: mappedChain, warnings };
}

/** Both kinds' chain warnings, once each (a warning about an instance is met by both). */
function mergeWarnings(envoy: ChainResources, grpc: ChainResources | undefined): MappingWarning[] {
  const seen = new Set<string>();
  const out: MappingWarning[] = [];
  for (const warning of [...envoy.warnings, ...(grpc?.warnings ?? [])]) {
    const key = `${warning.code}\u0000${warning.clientKind ?? ""}\u0000${warning.instance ?? ""}\u0000${warning.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(warning);
  }
  return out;
}

/** Decoded names that can be an alias: no `%` or `:` (see below), no control characters (not a valid authority). */
const aliasable = /^[^\p{Cc}%:]+$/u;

/**
 * The listener and route configuration under the percent-decoded spelling of `resourceName` (which
 * is the Consul name itself), when it differs. Some names get none, with a warning: one holding `%`
 * (its decoded target could be another service's resource name: `a%20b` decodes to the name of
 * service `a b`), `:` (the bridge's own names hold `:`, and `xdstp:` names are new-style resource
 * names to clients), or control characters (no client can send them as an authority).
 */
function decodedAliasOf(
  service: string,
  resourceName: string,
  settings: ServiceSettings,
  warnings: MappingWarning[],
): GrpcServiceResources["decodedAlias"] {
  if (resourceName === service) return undefined;
  if (!aliasable.test(service)) {
    warnings.push({
      service,
      clientKind: "grpc",
      code: "no-decoded-alias",
      message: `only xds:///${resourceName} is served, as written: the decoded name ${JSON.stringify(service)} cannot be a target (it holds "%", ":" or a control character), so clients that percent-decode the target (gRPC C-core) cannot reach it`,
    });
    return undefined;
  }
  return {
    name: service,
    listener: buildGrpcListener(service, service),
    routeConfiguration: buildGrpcRouteConfiguration(service, resourceName, settings),
  };
}
