// Consul's L7 config entries as the bridge keeps them: typed, immutable records decoded from
// `/v1/config/:kind` (src/consul/decode-config-entry.ts). Field names follow Consul's, in
// lowerCamelCase; durations are milliseconds; absent optional fields are undefined, absent lists
// and maps are empty. Only the fields the discovery chain uses are kept.

/** The config-entry kinds the bridge reads. */
export type ConfigEntryKind = "service-defaults" | "proxy-defaults" | "service-router" | "service-splitter" | "service-resolver";

/** Every kind, in the order the watch reads them. */
export const configEntryKinds: readonly ConfigEntryKind[] = Object.freeze([
  "service-defaults",
  "proxy-defaults",
  "service-router",
  "service-splitter",
  "service-resolver",
]);

/** What every entry carries. */
interface EntryBase {
  readonly name: string;
  /** Consul's raft index of the entry's last write (0 when unknown). */
  readonly modifyIndex: number;
}

/** `Add`/`Set`/`Remove` header modifiers of routes and splits. */
export interface HeaderModifiers {
  readonly add: Readonly<Record<string, string>>;
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/** `UpstreamConfig.Limits`: circuit breakers. */
export interface UpstreamLimits {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxConcurrentRequests?: number;
}

/** `UpstreamConfig.PassiveHealthCheck`: outlier detection. */
export interface PassiveHealthCheck {
  readonly intervalMs?: number;
  readonly maxFailures?: number;
  readonly enforcingConsecutive5xx?: number;
  readonly maxEjectionPercent?: number;
  readonly baseEjectionTimeMs?: number;
}

/** How a downstream reaches its upstreams (`UpstreamConfig.Defaults`, or one of `Overrides`). */
export interface UpstreamConfig {
  readonly connectTimeoutMs?: number;
  readonly limits?: UpstreamLimits;
  readonly passiveHealthCheck?: PassiveHealthCheck;
  /** `exact_balance` or "" (Envoy only). */
  readonly balanceOutboundConnections?: string;
}

/** One of `UpstreamConfig.Overrides`: settings for the upstream called `name`. */
export interface UpstreamOverride extends UpstreamConfig {
  readonly name: string;
}

/** `service-defaults` of one service. */
export interface ServiceDefaultsEntry extends EntryBase {
  readonly kind: "service-defaults";
  /** `tcp`, `http`, `http2` or `grpc` (lower case), when set. */
  readonly protocol?: string;
  readonly upstreamDefaults?: UpstreamConfig;
  readonly upstreamOverrides: readonly UpstreamOverride[];
}

/** `proxy-defaults` (only `global` matters): its `Config.protocol` is Consul's fallback protocol. */
export interface ProxyDefaultsEntry extends EntryBase {
  readonly kind: "proxy-defaults";
  readonly protocol?: string;
}

/** One `Match.HTTP.Header` condition. */
export interface HeaderMatch {
  readonly name: string;
  readonly present: boolean;
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly regex?: string;
  readonly invert: boolean;
}

/** One `Match.HTTP.QueryParam` condition. */
export interface QueryParamMatch {
  readonly name: string;
  readonly present: boolean;
  readonly exact?: string;
  readonly regex?: string;
}

/** `Match.HTTP` of a route. */
export interface HttpRouteMatch {
  readonly pathExact?: string;
  readonly pathPrefix?: string;
  readonly pathRegex?: string;
  readonly header: readonly HeaderMatch[];
  readonly queryParam: readonly QueryParamMatch[];
  /** Upper case. */
  readonly methods: readonly string[];
  /** Paths match case-insensitively (Consul 1.13+). */
  readonly caseInsensitive: boolean;
}

/** `Destination` of a route. */
export interface RouteDestination {
  readonly service?: string;
  readonly serviceSubset?: string;
  readonly namespace?: string;
  readonly partition?: string;
  readonly prefixRewrite?: string;
  /** As written: 0 means unset, a negative value disables the timeout (Consul's agent/xds/routes.go). */
  readonly requestTimeoutMs?: number;
  /** As written: 0 means unset, a negative value disables the timeout. */
  readonly idleTimeoutMs?: number;
  readonly numRetries?: number;
  readonly retryOnConnectFailure: boolean;
  readonly retryOn: readonly string[];
  readonly retryOnStatusCodes: readonly number[];
  readonly requestHeaders?: HeaderModifiers;
  readonly responseHeaders?: HeaderModifiers;
}

/** One route of a `service-router`. */
export interface ServiceRoute {
  /** Undefined: matches every request. */
  readonly match?: HttpRouteMatch;
  /** Undefined: the router's own service. */
  readonly destination?: RouteDestination;
}

/** `service-router` of one service. */
export interface ServiceRouterEntry extends EntryBase {
  readonly kind: "service-router";
  readonly routes: readonly ServiceRoute[];
}

/** One split of a `service-splitter`. */
export interface ServiceSplit {
  /** Percent, 0–100, as written (Consul keeps two decimals). */
  readonly weight: number;
  readonly service?: string;
  readonly serviceSubset?: string;
  readonly namespace?: string;
  readonly partition?: string;
  readonly requestHeaders?: HeaderModifiers;
  readonly responseHeaders?: HeaderModifiers;
}

/** `service-splitter` of one service. */
export interface ServiceSplitterEntry extends EntryBase {
  readonly kind: "service-splitter";
  readonly splits: readonly ServiceSplit[];
}

/** A named subset of a resolver. */
export interface ResolverSubset {
  /** go-bexpr over the instance's `Service.*`/`Node.*`; empty: every instance. */
  readonly filter: string;
  /** Only passing instances (else warning ones count too, as for the whole service). */
  readonly onlyPassing: boolean;
}

/** A resolver's `Redirect`. */
export interface ResolverRedirect {
  readonly service?: string;
  readonly serviceSubset?: string;
  readonly namespace?: string;
  readonly partition?: string;
  readonly datacenter?: string;
  readonly peer?: string;
}

/** One of a failover's `Targets`. */
export interface FailoverTarget {
  readonly service?: string;
  readonly serviceSubset?: string;
  readonly namespace?: string;
  readonly partition?: string;
  readonly datacenter?: string;
  readonly peer?: string;
}

/** A resolver's `Failover` for one subset (or `*`). */
export interface ResolverFailover {
  readonly service?: string;
  readonly serviceSubset?: string;
  readonly namespace?: string;
  readonly datacenters: readonly string[];
  readonly targets: readonly FailoverTarget[];
}

/** A `LoadBalancer.HashPolicies` element. */
export interface HashPolicy {
  /** `header`, `cookie` or `query_parameter`. */
  readonly field?: string;
  readonly fieldValue?: string;
  readonly cookieConfig?: { readonly session: boolean; readonly ttlMs?: number; readonly path?: string };
  readonly sourceIp: boolean;
  readonly terminal: boolean;
}

/** A resolver's `LoadBalancer`. */
export interface LoadBalancer {
  /** `round_robin`, `least_request`, `ring_hash`, `maglev`, `random` or "" (Envoy's default). */
  readonly policy: string;
  readonly ringHash?: { readonly minimumRingSize?: number; readonly maximumRingSize?: number };
  readonly leastRequest?: { readonly choiceCount?: number };
  readonly hashPolicies: readonly HashPolicy[];
}

/** `service-resolver` of one service. */
export interface ServiceResolverEntry extends EntryBase {
  readonly kind: "service-resolver";
  readonly defaultSubset?: string;
  readonly subsets: Readonly<Record<string, ResolverSubset>>;
  readonly redirect?: ResolverRedirect;
  /** By subset name, or `*` for any subset not listed. */
  readonly failover: Readonly<Record<string, ResolverFailover>>;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly loadBalancer?: LoadBalancer;
}

/** Any config entry the bridge reads. */
export type ConfigEntry = ServiceDefaultsEntry | ProxyDefaultsEntry | ServiceRouterEntry | ServiceSplitterEntry | ServiceResolverEntry;

/** The identity of an entry, `<kind>/<name>` (e.g. `service-resolver/web`): what chains depend on. */
export type ConfigEntryKey = `${ConfigEntryKind}/${string}`;

/** The key of the entry of `kind` named `name`. */
export function configEntryKey(kind: ConfigEntryKind, name: string): ConfigEntryKey {
  return `${kind}/${name}`;
}
