import type {
  ConfigEntry,
  ConfigEntryKind,
  HashPolicy,
  HeaderModifiers,
  LoadBalancer,
  ResolverFailover,
  ResolverSubset,
  RouteDestination,
  ServiceRoute,
  UpstreamConfig,
  UpstreamOverride,
} from "../model/config-entry.js";
import { EntryFields, type FieldNotes } from "./config-entry-fields.js";
import { isObject } from "./is-object.js";

/** What decoding one element of `/v1/config/:kind` gave. */
export type DecodedConfigEntry =
  | { readonly ok: true; readonly entry: ConfigEntry; readonly notes: FieldNotes }
  | { readonly ok: false; readonly name: string | undefined; readonly reason: string };

/** Fields every entry may carry that the bridge has no use for (read silently). */
const commonFields = ["Kind", "Name", "Namespace", "Partition", "Meta", "CreateIndex", "ModifyIndex", "Hash"];

/**
 * Decodes one config entry as Consul's API sends it into the bridge's typed record, tolerantly: any
 * spelling of a field name (CamelCase or snake_case), durations as Go strings or nanoseconds, unknown
 * fields and wrongly typed known fields noted and ignored. Only an entry that is not an object, has
 * no name, or is of another kind is refused (with a reason). Never throws.
 */
export function decodeConfigEntry(raw: unknown, kind: ConfigEntryKind): DecodedConfigEntry {
  if (!isObject(raw)) return { ok: false, name: undefined, reason: "not a JSON object" };
  const notes: FieldNotes = { unknown: [], invalid: [] };
  const fields = new EntryFields(raw, "", notes).known(...commonFields);
  const name = fields.string("Name");
  if (name === undefined) return { ok: false, name: undefined, reason: "no Name" };
  const writtenKind = fields.string("Kind");
  if (writtenKind !== undefined && writtenKind !== kind)
    return { ok: false, name, reason: `Kind is ${JSON.stringify(writtenKind)}, not ${kind}` };
  const modifyIndex = fields.number("ModifyIndex") ?? 0;
  const entry = decodeKind(kind, name, modifyIndex, fields);
  fields.finish();
  return { ok: true, entry, notes };
}

function decodeKind(kind: ConfigEntryKind, name: string, modifyIndex: number, f: EntryFields): ConfigEntry {
  switch (kind) {
    case "service-defaults": {
      f.known("Mode", "TransparentProxy", "MutualTLSMode", "MeshGateway", "Expose", "ExternalSNI", "Destination");
      f.known("MaxInboundConnections", "LocalConnectTimeoutMs", "LocalRequestTimeoutMs", "BalanceInboundConnections");
      f.known("RateLimits", "EnvoyExtensions");
      const upstream = f.object("UpstreamConfig");
      const protocol = f.string("Protocol")?.toLowerCase();
      const upstreamDefaults = upstream?.object("Defaults");
      return {
        kind,
        name,
        modifyIndex,
        ...(protocol !== undefined ? { protocol } : {}),
        ...(upstreamDefaults ? { upstreamDefaults: upstreamConfig(upstreamDefaults) } : {}),
        upstreamOverrides: (upstream?.objects("Overrides") ?? []).flatMap((o): UpstreamOverride[] => {
          const overrideName = o.string("Name");
          o.known("Namespace", "Partition", "Peer");
          return overrideName === undefined ? [] : [{ name: overrideName, ...upstreamConfig(o) }];
        }),
      };
    }
    case "proxy-defaults": {
      f.known("Mode", "TransparentProxy", "MutualTLSMode", "MeshGateway", "Expose", "AccessLogs", "EnvoyExtensions");
      f.known("FailoverPolicy", "PrioritizeByLocality");
      // Config is free-form (Envoy escape hatches live there too): only `protocol` is read.
      const config = f.raw("Config");
      const protocol =
        isObject(config) && typeof config.protocol === "string" && config.protocol !== "" ? config.protocol.toLowerCase() : undefined;
      return { kind, name, modifyIndex, ...(protocol !== undefined ? { protocol } : {}) };
    }
    case "service-router":
      return { kind, name, modifyIndex, routes: f.objects("Routes").map(route) };
    case "service-splitter":
      return {
        kind,
        name,
        modifyIndex,
        splits: f.objects("Splits").map((s) => ({
          weight: s.number("Weight") ?? 0,
          ...optional({
            service: s.string("Service"),
            serviceSubset: s.string("ServiceSubset"),
            namespace: s.string("Namespace"),
            partition: s.string("Partition"),
          }),
          ...headers(s),
        })),
      };
    case "service-resolver":
      return resolver(name, modifyIndex, f);
  }
}

function upstreamConfig(f: EntryFields): UpstreamConfig {
  f.known("EnvoyListenerJSON", "EnvoyClusterJSON", "Protocol", "MeshGateway");
  const limits = f.object("Limits");
  const check = f.object("PassiveHealthCheck");
  return optional({
    connectTimeoutMs: f.number("ConnectTimeoutMs"),
    limits: limits
      ? optional({
          maxConnections: limits.number("MaxConnections"),
          maxPendingRequests: limits.number("MaxPendingRequests"),
          maxConcurrentRequests: limits.number("MaxConcurrentRequests"),
        })
      : undefined,
    passiveHealthCheck: check
      ? optional({
          intervalMs: check.duration("Interval"),
          maxFailures: check.number("MaxFailures"),
          enforcingConsecutive5xx: check.number("EnforcingConsecutive5xx"),
          maxEjectionPercent: check.number("MaxEjectionPercent"),
          baseEjectionTimeMs: check.duration("BaseEjectionTime"),
        })
      : undefined,
    balanceOutboundConnections: f.string("BalanceOutboundConnections"),
  });
}

function route(f: EntryFields): ServiceRoute {
  const http = f.object("Match")?.object("HTTP");
  const destination = f.object("Destination");
  return optional({
    match: http
      ? {
          ...optional({ pathExact: http.string("PathExact"), pathPrefix: http.string("PathPrefix"), pathRegex: http.string("PathRegex") }),
          header: http.objects("Header").map((h) => ({
            name: h.string("Name") ?? "",
            present: h.boolean("Present"),
            ...optional({ exact: h.string("Exact"), prefix: h.string("Prefix"), suffix: h.string("Suffix"), regex: h.string("Regex") }),
            invert: h.boolean("Invert"),
          })),
          queryParam: http.objects("QueryParam").map((q) => ({
            name: q.string("Name") ?? "",
            present: q.boolean("Present"),
            ...optional({ exact: q.string("Exact"), regex: q.string("Regex") }),
          })),
          methods: http.strings("Methods").map((m) => m.toUpperCase()),
          caseInsensitive: http.boolean("CaseInsensitive"),
        }
      : undefined,
    destination: destination ? routeDestination(destination) : undefined,
  });
}

function routeDestination(d: EntryFields): RouteDestination {
  return {
    ...optional({
      service: d.string("Service"),
      serviceSubset: d.string("ServiceSubset"),
      namespace: d.string("Namespace"),
      partition: d.string("Partition"),
      prefixRewrite: d.string("PrefixRewrite"),
      requestTimeoutMs: d.signedDuration("RequestTimeout"),
      idleTimeoutMs: d.signedDuration("IdleTimeout"),
      numRetries: d.number("NumRetries"),
    }),
    retryOnConnectFailure: d.boolean("RetryOnConnectFailure"),
    retryOn: d.strings("RetryOn"),
    retryOnStatusCodes: d.numbers("RetryOnStatusCodes"),
    ...headers(d),
  };
}

function headers(f: EntryFields): { requestHeaders?: HeaderModifiers; responseHeaders?: HeaderModifiers } {
  const modifiers = (name: string): HeaderModifiers | undefined => {
    const m = f.object(name);
    if (!m) return undefined;
    const out = { add: m.stringMap("Add"), set: m.stringMap("Set"), remove: m.strings("Remove") };
    return Object.keys(out.add).length + Object.keys(out.set).length + out.remove.length > 0 ? out : undefined;
  };
  return optional({ requestHeaders: modifiers("RequestHeaders"), responseHeaders: modifiers("ResponseHeaders") });
}

function resolver(name: string, modifyIndex: number, f: EntryFields): ConfigEntry {
  f.known("PrioritizeByLocality");
  // Built with Object.fromEntries (own data properties), never by assignment: a key "__proto__" stays a key.
  const subsets: Record<string, ResolverSubset> = Object.fromEntries(
    [...f.objectMap("Subsets")].map(([subset, s]) => [subset, { filter: s.string("Filter") ?? "", onlyPassing: s.boolean("OnlyPassing") }]),
  );
  const failover: Record<string, ResolverFailover> = Object.fromEntries(
    [...f.objectMap("Failover")].map(([subset, o]) => [subset, resolverFailover(o)]),
  );
  const redirect = f.object("Redirect");
  redirect?.known("SamenessGroup");
  const lb = f.object("LoadBalancer");
  return {
    kind: "service-resolver",
    name,
    modifyIndex,
    ...optional({ defaultSubset: f.string("DefaultSubset") }),
    subsets,
    ...(redirect
      ? {
          redirect: optional({
            service: redirect.string("Service"),
            serviceSubset: redirect.string("ServiceSubset"),
            namespace: redirect.string("Namespace"),
            partition: redirect.string("Partition"),
            datacenter: redirect.string("Datacenter"),
            peer: redirect.string("Peer"),
          }),
        }
      : {}),
    failover,
    ...optional({ connectTimeoutMs: f.duration("ConnectTimeout"), requestTimeoutMs: f.duration("RequestTimeout") }),
    ...(lb ? { loadBalancer: loadBalancer(lb) } : {}),
  };
}

function resolverFailover(o: EntryFields): ResolverFailover {
  o.known("SamenessGroup", "Policy");
  return {
    ...optional({ service: o.string("Service"), serviceSubset: o.string("ServiceSubset"), namespace: o.string("Namespace") }),
    datacenters: o.strings("Datacenters"),
    targets: o.objects("Targets").map((t) =>
      optional({
        service: t.string("Service"),
        serviceSubset: t.string("ServiceSubset"),
        namespace: t.string("Namespace"),
        partition: t.string("Partition"),
        datacenter: t.string("Datacenter"),
        peer: t.string("Peer"),
      }),
    ),
  };
}

function loadBalancer(f: EntryFields): LoadBalancer {
  const ring = f.object("RingHashConfig");
  const least = f.object("LeastRequestConfig");
  return {
    policy: f.string("Policy") ?? "",
    ...(ring
      ? { ringHash: optional({ minimumRingSize: ring.number("MinimumRingSize"), maximumRingSize: ring.number("MaximumRingSize") }) }
      : {}),
    ...(least ? { leastRequest: optional({ choiceCount: least.number("ChoiceCount") }) } : {}),
    hashPolicies: f.objects("HashPolicies").map((h): HashPolicy => {
      const cookie = h.object("CookieConfig");
      return {
        ...optional({ field: h.string("Field"), fieldValue: h.string("FieldValue") }),
        ...(cookie
          ? {
              cookieConfig: {
                session: cookie.boolean("Session"),
                ...optional({ ttlMs: cookie.duration("TTL"), path: cookie.string("Path") }),
              },
            }
          : {}),
        sourceIp: h.boolean("SourceIP"),
        terminal: h.boolean("Terminal"),
      };
    }),
  };
}

/** Drops undefined fields, so absent stays absent under exactOptionalPropertyTypes-style comparisons. */
function optional<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
