import type { DiscoveryChain } from "../discovery-chain/index.js";
import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { Route } from "../gen/envoy/config/route/v3/route_components_pb.js";
import { configEntryKey } from "../model/config-entry.js";
import type { ConfigEntriesView } from "../model/config-entry-store.js";
import type { ModelView } from "../model/service-model.js";
import { settingInstances } from "../model/setting-instances.js";
import { buildChainCluster } from "./build-chain-cluster.js";
import { buildChainRoutes } from "./build-chain-routes.js";
import { buildLoadAssignment } from "./build-load-assignment.js";
import { chainClusterName } from "./chain-cluster-name.js";
import { chainTargetEndpoints } from "./chain-target-endpoints.js";
import type { ClientKind } from "./client-kind.js";
import type { ResolvedMappingOptions } from "./mapping-options.js";
import type { MappingWarning } from "./mapping-warning.js";
import { readServiceSettings, type ServiceSettings, serviceMetaKeys, type UpstreamProtocol } from "./service-settings.js";

/** Input of {@link buildChainResources}. */
export interface ChainResourcesInput {
  readonly view: ModelView;
  /** A valid chain (its service is the owner of every resource built). */
  readonly chain: DiscoveryChain;
  readonly entries: ConfigEntriesView;
  readonly kind: ClientKind;
  readonly options: ResolvedMappingOptions;
  /** `--downstream-service` (whose service-defaults held the targets' UpstreamConfig). */
  readonly downstreamService: string;
}

/** What a chain gives one client kind: a cluster and an assignment per target, and the virtual host's routes. */
export interface ChainResources {
  readonly clusters: readonly Cluster[];
  readonly assignments: readonly ClusterLoadAssignment[];
  /** The routes of the service's virtual host, in order (Envoy's route configuration, or the gRPC one). */
  readonly routes: readonly Route[];
  /** The owner's settings as the chain leaves them (protocol from service-defaults, and so on). */
  readonly settings: ServiceSettings;
  readonly warnings: readonly MappingWarning[];
}

/** Consul protocols with an HTTP version (a Map: the protocol is entry-supplied text, "constructor" included). */
const protocols: ReadonlyMap<string, UpstreamProtocol> = new Map([
  ["http", "http1"],
  ["http2", "http2"],
  ["grpc", "grpc"],
]);

/**
 * Turns a compiled chain into one client kind's resources, pure: per target an EDS cluster named by
 * {@link chainClusterName} and its assignment (the target's subset of instances, then its failover
 * sources as further priorities, with the bridge's health rules), and the routes of the service's
 * virtual host. Config entries win over `xds-bridge-*` Service Meta for the same aspect (protocol,
 * load balancer, connect timeout, hash header), with a warning when both are set.
 */
export function buildChainResources(input: ChainResourcesInput): ChainResources {
  const { view, chain, kind, entries } = input;
  const owner = chain.service;
  const warnings: MappingWarning[] = [];
  const clusterNames = new Map<string, string>();
  const clusters: Cluster[] = [];
  const assignments: ClusterLoadAssignment[] = [];
  const settingsCache = new Map<string, ServiceSettings>();
  const settingsOf = (service: string): ServiceSettings => {
    let settings = settingsCache.get(service);
    if (!settings) {
      settings = effectiveSettings(view, entries, service, owner, warnings);
      settingsCache.set(service, settings);
    }
    return settings;
  };
  const upstreamSource = configEntryKey("service-defaults", input.downstreamService);
  for (const target of chain.targets.values()) {
    const name = chainClusterName(owner, target, view.localDatacenter);
    clusterNames.set(target.id, name);
    const settings = settingsOf(target.service);
    const metaSet = metaKeysSet(view, target.service);
    if (target.loadBalancer && target.loadBalancer.policy !== "" && metaSet.has(serviceMetaKeys.lbPolicy)) {
      warnings.push(overrides(owner, `${target.resolver} LoadBalancer.Policy`, serviceMetaKeys.lbPolicy, target.service));
    }
    if (target.connectTimeoutMs !== undefined && metaSet.has(serviceMetaKeys.connectTimeout)) {
      warnings.push(
        overrides(owner, "the connect timeout of the resolver or UpstreamConfig", serviceMetaKeys.connectTimeout, target.service),
      );
    }
    const cluster = buildChainCluster({ owner, name, kind, target, settings, upstreamSource });
    warnings.push(...cluster.warnings);
    clusters.push(cluster.cluster);
    const endpoints = chainTargetEndpoints(view, owner, target);
    warnings.push(...endpoints.warnings);
    const load = buildLoadAssignment({
      service: owner,
      clusterName: name,
      datacenters: endpoints.groups,
      policy: input.options.healthPolicy,
      zoneMetaKey: input.options.zoneMetaKey,
      failOpen: settings.whenUnhealthy === "fail-open",
    });
    warnings.push(...load.warnings);
    assignments.push(load.assignment);
  }
  const ownerSettings = settingsOf(owner);
  const hashed = chain.routes.some((route) => route.hashPolicies.length > 0);
  if (hashed && metaKeysSet(view, owner).has(serviceMetaKeys.hashHeader)) {
    warnings.push(overrides(owner, "the resolver's LoadBalancer.HashPolicies", serviceMetaKeys.hashHeader, owner));
  }
  const routes = buildChainRoutes({
    owner,
    chain,
    kind,
    clusterNames,
    grpcUpstream: ownerSettings.protocol === "grpc",
    metaHashHeader: ownerSettings.lbPolicy === "ring_hash" ? ownerSettings.hashHeader : undefined,
  });
  warnings.push(...routes.warnings);
  return { clusters, assignments, routes: routes.routes, settings: ownerSettings, warnings: dedupe(warnings) };
}

/**
 * A service's Service Meta settings with the protocol of its config entries, as Consul reads it: a
 * service-defaults entry decides whenever it exists (over `xds-bridge-protocol`, with a warning when
 * both are set; one without Protocol is tcp, which has no HTTP version, so Meta or the default
 * applies), else proxy-defaults unless Meta sets the protocol.
 */
function effectiveSettings(
  view: ModelView,
  entries: ConfigEntriesView,
  service: string,
  owner: string,
  warnings: MappingWarning[],
): ServiceSettings {
  const instances = [...(view.services.get(service)?.values() ?? [])].flatMap(settingInstances);
  const meta = readServiceSettings(service, instances).settings;
  const own = entries.serviceDefaults(service);
  const metaSet = metaKeysSet(view, service).has(serviceMetaKeys.protocol);
  if (own) {
    const fromOwn = own.protocol !== undefined ? protocols.get(own.protocol) : undefined;
    if (!fromOwn) return meta;
    if (metaSet) warnings.push(overrides(owner, `service-defaults/${service} Protocol`, serviceMetaKeys.protocol, service));
    return { ...meta, protocol: fromOwn };
  }
  const global = entries.proxyDefaults()?.protocol;
  const fromGlobal = global !== undefined ? protocols.get(global) : undefined;
  return fromGlobal && !metaSet ? { ...meta, protocol: fromGlobal } : meta;
}

const metaKeyCache = new WeakMap<object, Map<string, ReadonlySet<string>>>();

/** The `xds-bridge-*` keys some instance of the service sets (cached per model view). */
function metaKeysSet(view: ModelView, service: string): ReadonlySet<string> {
  let perView = metaKeyCache.get(view.services);
  if (!perView) metaKeyCache.set(view.services, (perView = new Map()));
  let keys = perView.get(service);
  if (!keys) {
    const found = new Set<string>();
    for (const state of view.services.get(service)?.values() ?? []) {
      for (const instance of settingInstances(state))
        for (const key of Object.keys(instance.meta)) if (key.startsWith("xds-bridge-")) found.add(key);
    }
    perView.set(service, (keys = found));
  }
  return keys;
}

function overrides(owner: string, what: string, metaKey: string, service: string): MappingWarning {
  return {
    service: owner,
    code: "config-entry-overrides-meta",
    message: `${what} and Service Meta ${metaKey} of ${service} are both set: the config entry wins`,
  };
}

function dedupe(warnings: readonly MappingWarning[]): MappingWarning[] {
  const seen = new Set<string>();
  return warnings.filter((warning) => {
    const key = `${warning.code}\u0000${warning.clientKind ?? ""}\u0000${warning.instance ?? ""}\u0000${warning.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
