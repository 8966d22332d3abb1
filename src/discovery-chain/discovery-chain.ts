import type {
  ConfigEntryKey,
  HashPolicy,
  HeaderModifiers,
  HttpRouteMatch,
  LoadBalancer,
  RouteDestination,
  UpstreamConfig,
} from "../model/config-entry.js";
import type { ConfigEntriesView } from "../model/config-entry-store.js";

/** Where a chain target takes endpoints from: one service (a subset of it) in one datacenter. */
export interface ChainEndpointSource {
  readonly service: string;
  readonly subset: string | undefined;
  readonly datacenter: string;
  /** The subset's bexpr filter ("" for every instance). */
  readonly filter: string;
  /** The compiled filter; undefined when there is none. */
  readonly matches: ((entry: unknown) => boolean) | undefined;
  /** The subset admits passing instances only. */
  readonly onlyPassing: boolean;
}

/** One resolved target of a chain: a set of instances plus how to connect to them (one cluster and assignment). */
export interface ChainTarget extends ChainEndpointSource {
  /** Unique within the chain: `<subset>.<service>.<datacenter>` in Consul's style, as a JSON triple. */
  readonly id: string;
  /**
   * Failover sources from the resolver's `Failover`, in order (served as further priorities of the
   * target's assignment). Empty when the resolver has none.
   */
  readonly failover: readonly ChainEndpointSource[];
  /** `--failover-datacenters` applies: the same service and subset in each other served datacenter, in order. */
  readonly failoverByFlag: boolean;
  /** `UpstreamConfig.ConnectTimeoutMs`, else the resolver's `ConnectTimeout`; undefined: Service Meta or the default. */
  readonly connectTimeoutMs: number | undefined;
  /** The resolver's `LoadBalancer`, when it has one. */
  readonly loadBalancer: LoadBalancer | undefined;
  /** The `UpstreamConfig` of the downstream service for this target's service (its override merged over the Defaults). */
  readonly upstream: UpstreamConfig | undefined;
  /** The resolver that defined this target, when there is one (for warnings). */
  readonly resolver: ConfigEntryKey | undefined;
}

/** One weighted destination of a route (weights in hundredths of a percent). */
export interface ChainSplit {
  /** 0–10,000: Consul's two-decimal percent × 100. */
  readonly weight: number;
  readonly target: string;
  readonly requestHeaders: HeaderModifiers | undefined;
  readonly responseHeaders: HeaderModifiers | undefined;
}

/** One route of a chain, in order; the last one matches every request. */
export interface ChainRoute {
  /** The router entry and route index that defined it; undefined for the implicit last route. */
  readonly source: { readonly entry: ConfigEntryKey; readonly index: number } | undefined;
  /** Undefined: every request. */
  readonly match: HttpRouteMatch | undefined;
  /** The router's destination settings (retries, timeouts, rewrite, headers), when a router defined the route. */
  readonly destination: RouteDestination | undefined;
  /** At least one; weights sum to about 10,000 (nested splitters are multiplied out and rounded, as Consul does). */
  readonly splits: readonly ChainSplit[];
  /** The splitter the splits came from, when there is one. */
  readonly splitter: ConfigEntryKey | undefined;
  /**
   * The route's request timeout, as Consul's agent/xds/routes.go sets it: a router route's
   * `Destination.RequestTimeout` only; the resolver's `RequestTimeout` only on the one route of a
   * chain that starts at the resolver (no router, no splitter); none on splitter routes. Undefined:
   * unset (Envoy's default); 0: disabled (a negative value in Consul); else milliseconds.
   */
  readonly requestTimeoutMs: number | undefined;
  /** A router route's `Destination.IdleTimeout`, read the same way (undefined: unset; 0: disabled). */
  readonly idleTimeoutMs: number | undefined;
  /** Hash policies of the (first hash-based) resolver of the route's targets. */
  readonly hashPolicies: readonly HashPolicy[];
}

/** A compiled discovery chain: what one service's name resolves to, for every client kind. */
export interface DiscoveryChain {
  readonly service: string;
  /** Consul's chain protocol: `tcp`, `http`, `http2` or `grpc` (the service-defaults entry when there is one — no Protocol is tcp — else proxy-defaults, else tcp). */
  readonly protocol: string;
  /** True when no config entry shapes this service: plain routing gives the same result. */
  readonly isDefault: boolean;
  readonly routes: readonly ChainRoute[];
  readonly targets: ReadonlyMap<string, ChainTarget>;
}

/** What a chain was compiled from: a change to any of these may change it. */
export interface ChainDependencies {
  /** Services whose instances the chain's targets read (the chain's own service included). */
  readonly services: ReadonlySet<string>;
  /** Entries consulted, present or not (an entry that appears later changes the chain too). */
  readonly entries: ReadonlySet<ConfigEntryKey>;
}

/** Something the compiler refused or worked around, naming the entry (and field) concerned. */
export interface ChainProblem {
  readonly entry: ConfigEntryKey | undefined;
  readonly field?: string;
  readonly message: string;
}

/** The outcome of compiling one service's chain. */
export interface ChainCompilation {
  /** Undefined when the chain is invalid (see `errors`): the service keeps its last good chain. */
  readonly chain: DiscoveryChain | undefined;
  /** Why the chain is invalid; empty when it is valid. */
  readonly errors: readonly ChainProblem[];
  /** What was ignored in a valid chain (e.g. a router on a tcp service). */
  readonly warnings: readonly ChainProblem[];
  readonly dependencies: ChainDependencies;
}

/** What compiling a chain reads besides the entries. */
export interface ChainContext {
  readonly entries: ConfigEntriesView;
  /** The datacenter the bridge serves (Consul compiles chains there). */
  readonly localDatacenter: string;
  /** Local first, then `--failover-datacenters` in order: the datacenters whose instances the bridge has. */
  readonly servedDatacenters: readonly string[];
  /** Whether the bridge knows the service (it is in the model). */
  readonly hasService: (name: string) => boolean;
  /** `--downstream-service`: the service whose `UpstreamConfig` the bridge's clients get. */
  readonly downstreamService: string;
  /**
   * `bridge` (default): what the bridge can serve — unknown services and unread datacenters are
   * errors, regexes must be RE2, routers and splitters on tcp chains are ignored with a warning.
   * `consul-write`: only what Consul refuses when an entry is written (its graph checks, with its
   * texts: an L7 entry on a tcp chain is an error), for the embedded catalog's `PUT /v1/config`.
   */
  readonly mode?: "bridge" | "consul-write";
}
