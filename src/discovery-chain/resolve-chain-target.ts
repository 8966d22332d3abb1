import { compileFilter } from "../bexpr/index.js";
import {
  type ConfigEntryKey,
  configEntryKey,
  type ResolverFailover,
  type ServiceResolverEntry,
  type UpstreamConfig,
} from "../model/config-entry.js";
import { type ChainEntryReader, ChainError } from "./chain-entry-reader.js";
import type { ChainEndpointSource, ChainProblem, ChainTarget } from "./discovery-chain.js";

/** The roots a subset filter may select from: a `/v1/health/service` entry, as Consul evaluates it. */
const filterRoots: ReadonlySet<string> = new Set(["Node", "Service", "Checks"]);

/** The fields that move a redirect or failover out of the local partition and namespace. */
interface Elsewhere {
  readonly namespace?: string | undefined;
  readonly partition?: string | undefined;
  readonly peer?: string | undefined;
}

const notRead = "the bridge reads the default partition and namespace of its datacenters only, not cluster peers";

interface Requested {
  readonly service: string;
  readonly subset: string | undefined;
  readonly datacenter: string;
}

/**
 * The resolver step of a chain (Consul's getResolverNode): turns a requested service and subset
 * into a target, following redirects (with cycle detection) and `DefaultSubset`, checking that the
 * subset, the service and the datacenter exist, compiling the subset filter, collecting `Failover`
 * sources, and attaching the downstream's `UpstreamConfig`. Targets are kept by id, once each.
 */
export class ChainTargetResolver {
  readonly targets = new Map<string, ChainTarget>();

  constructor(
    private readonly reader: ChainEntryReader,
    private readonly warnings: ChainProblem[],
  ) {}

  private get context() {
    return this.reader.context;
  }

  /** Whether the bridge has the instances of a datacenter (any datacenter when checking a write, as Consul does). */
  private reads(datacenter: string): boolean {
    return this.context.mode === "consul-write" || this.context.servedDatacenters.includes(datacenter);
  }

  /** Resolves a service (and subset) to a target of the chain, following redirects and the default subset. */
  resolve(service: string, subset: string | undefined, from: ConfigEntryKey | undefined, useDefaultSubset = true): string {
    const resolved = this.follow({ service, subset, datacenter: this.context.localDatacenter }, from, useDefaultSubset);
    const id = targetId(resolved.requested);
    if (this.targets.has(id)) return id;
    const { requested, resolver, resolverKey } = resolved;
    const policy = resolver ? (ownValue(resolver.failover, requested.subset ?? "") ?? ownValue(resolver.failover, "*")) : undefined;
    const failover = policy ? this.failoverSources(requested, policy, resolverKey) : [];
    const upstream = this.upstreamFor(requested.service);
    const resolverTimeout = wholeNanoseconds(resolver?.connectTimeoutMs);
    const upstreamTimeout = wholeNanoseconds(upstream?.connectTimeoutMs);
    const target: ChainTarget = {
      id,
      ...this.source(requested),
      failover,
      failoverByFlag: policy === undefined && requested.datacenter === this.context.localDatacenter,
      connectTimeoutMs: upstreamTimeout ?? resolverTimeout,
      loadBalancer: resolver?.loadBalancer,
      upstream,
      resolver: resolver ? resolverKey : undefined,
    };
    this.targets.set(id, target);
    return id;
  }

  /**
   * The sources of a target's `Failover` policy, in order, each followed through its redirects: a
   * peer, namespace or partition, a datacenter the bridge does not read, or a service the catalog
   * does not have is left out with a warning (Consul accepts them all; the rest of the chain stands).
   */
  private failoverSources(requested: Requested, policy: ResolverFailover, resolverKey: ConfigEntryKey): ChainEndpointSource[] {
    const readable = (where: Elsewhere, field: string): boolean => {
      const outside = this.outside(where);
      if (outside !== undefined) this.warnings.push({ entry: resolverKey, field, message: `failover to ${outside} left out: ${notRead}` });
      return outside === undefined;
    };
    const wanted: Requested[] = !readable(policy, "Failover")
      ? []
      : policy.datacenters.length > 0
        ? policy.datacenters.map((datacenter) => rewrite(requested, { service: policy.service, subset: policy.serviceSubset, datacenter }))
        : policy.targets.length > 0
          ? policy.targets
              .filter((t) => readable(t, "Failover.Targets"))
              .map((t) => rewrite(requested, { service: t.service, subset: t.serviceSubset, datacenter: t.datacenter }))
          : [rewrite(requested, { service: policy.service, subset: policy.serviceSubset })];
    const sources: ChainEndpointSource[] = [];
    const seen = new Set([targetId(requested)]);
    for (const want of wanted) {
      if (!this.reads(want.datacenter)) {
        this.warnings.push({
          entry: resolverKey,
          field: "Failover",
          message: `failover to datacenter ${JSON.stringify(want.datacenter)} left out: the bridge does not read it (add it to --failover-datacenters)`,
        });
        continue;
      }
      if (this.context.mode !== "consul-write" && !this.context.hasService(want.service)) {
        this.reader.services.add(want.service);
        this.warnings.push({
          entry: resolverKey,
          field: "Failover",
          message: `failover to service ${JSON.stringify(want.service)} left out: it is not in the catalog the bridge reads (it applies once the service appears)`,
        });
        continue;
      }
      const next = this.follow(want, resolverKey).requested;
      const nextId = targetId(next);
      if (seen.has(nextId)) continue;
      seen.add(nextId);
      sources.push(this.source(next));
    }
    return sources;
  }

  /** Applies redirects and the default subset until the target settles (Consul's RESOLVE_AGAIN loop). */
  private follow(
    start: Requested,
    from: ConfigEntryKey | undefined,
    useDefaultSubset = true,
  ): { requested: Requested; resolver: ServiceResolverEntry | undefined; resolverKey: ConfigEntryKey } {
    const history: string[] = [];
    let requested = start;
    let referrer = from;
    for (;;) {
      const key = targetId(requested);
      if (history.includes(key)) {
        throw new ChainError({
          entry: configEntryKey("service-resolver", requested.service),
          field: "Redirect",
          message: `detected circular resolver redirect: [${[...history, key].map(describeTarget).join(" -> ")}]`,
        });
      }
      history.push(key);
      this.reader.services.add(requested.service);
      const resolverKey = configEntryKey("service-resolver", requested.service);
      if (this.context.mode !== "consul-write" && !this.context.hasService(requested.service)) {
        throw new ChainError({
          entry: referrer ?? resolverKey,
          message: `service ${JSON.stringify(requested.service)} does not exist in the catalog the bridge reads`,
        });
      }
      this.reader.protocolOf(requested.service);
      const entry = this.reader.entry(resolverKey);
      const resolver = entry?.kind === "service-resolver" ? entry : undefined;
      if (resolver?.redirect) {
        const r = resolver.redirect;
        const outside = this.outside(r);
        if (outside !== undefined)
          throw new ChainError({ entry: resolverKey, field: "Redirect", message: `redirect to ${outside}: ${notRead}` });
        const redirected = rewrite(requested, { service: r.service, subset: r.serviceSubset, datacenter: r.datacenter });
        if (targetId(redirected) !== key) {
          requested = redirected;
          referrer = resolverKey;
          continue;
        }
      }
      if (useDefaultSubset && requested.subset === undefined && resolver?.defaultSubset !== undefined) {
        requested = { ...requested, subset: resolver.defaultSubset };
        continue;
      }
      if (requested.subset !== undefined && !(resolver && Object.hasOwn(resolver.subsets, requested.subset))) {
        throw new ChainError({
          entry: referrer ?? resolverKey,
          message: `service ${JSON.stringify(requested.service)} does not have a subset named ${JSON.stringify(requested.subset)}`,
        });
      }
      if (!this.reads(requested.datacenter)) {
        throw new ChainError({
          entry: resolverKey,
          field: "Redirect.Datacenter",
          message: `datacenter ${JSON.stringify(requested.datacenter)} is not read by the bridge (add it to --failover-datacenters)`,
        });
      }
      return { requested, resolver, resolverKey };
    }
  }

  /**
   * Refuses a route destination or split that leads outside what the bridge reads (another
   * namespace or partition): the chain is invalid, as for a redirect, instead of silently sending
   * the traffic to the service of that name in the default namespace.
   */
  requireInside(where: Elsewhere, entry: ConfigEntryKey, field: string, what: string): void {
    const outside = this.outside(where);
    if (outside !== undefined) throw new ChainError({ entry, field, message: `${what} to ${outside}: ${notRead}` });
  }

  /**
   * Where a redirect or failover leads outside what the bridge reads — a cluster peer, a namespace or
   * an admin partition other than `default` — described; undefined when it stays inside. Checking a
   * write (`consul-write`) accepts them all, as Consul does.
   */
  private outside(where: Elsewhere): string | undefined {
    if (this.context.mode === "consul-write") return undefined;
    if (where.peer !== undefined && where.peer !== "") return `peer ${JSON.stringify(where.peer)}`;
    if (where.partition !== undefined && where.partition !== "" && where.partition !== "default")
      return `partition ${JSON.stringify(where.partition)}`;
    if (where.namespace !== undefined && where.namespace !== "" && where.namespace !== "default")
      return `namespace ${JSON.stringify(where.namespace)}`;
    return undefined;
  }

  private source(requested: Requested): ChainEndpointSource {
    const resolverKey = configEntryKey("service-resolver", requested.service);
    const resolver = this.context.entries.resolver(requested.service);
    const subset = requested.subset !== undefined && resolver ? ownValue(resolver.subsets, requested.subset) : undefined;
    const filter = subset?.filter ?? "";
    let matches: ((entry: unknown) => boolean) | undefined;
    if (filter !== "") {
      const compiled = compileFilter(filter, filterRoots);
      if (!compiled.ok) {
        throw new ChainError({
          entry: resolverKey,
          field: `Subsets[${JSON.stringify(requested.subset)}].Filter`,
          message: `Filter for subset ${JSON.stringify(requested.subset)} is not a valid expression: ${compiled.error}`,
        });
      }
      matches = compiled.matches;
    }
    return { ...requested, filter, matches, onlyPassing: subset?.onlyPassing ?? false };
  }

  /**
   * The downstream service's `UpstreamConfig` for `service`, as Consul resolves it
   * (agent/configentry/resolve.go): the Defaults, then the override named after the service merged
   * over them field by field (UpstreamConfig.MergeInto: a field the override sets wins — a non-zero
   * ConnectTimeoutMs, Limits and PassiveHealthCheck as a whole — and the others stay the Defaults').
   * With several overrides of one name, the last counts, as in Consul.
   */
  private upstreamFor(service: string): UpstreamConfig | undefined {
    const key = configEntryKey("service-defaults", this.context.downstreamService);
    const defaults = this.reader.entry(key);
    if (defaults?.kind !== "service-defaults") return undefined;
    const base = defaults.upstreamDefaults;
    const override = defaults.upstreamOverrides.findLast((o) => o.name === service);
    if (!override) return base;
    const { connectTimeoutMs, limits, passiveHealthCheck, balanceOutboundConnections } = override;
    return {
      ...base,
      ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
      ...(limits ? { limits } : {}),
      ...(passiveHealthCheck ? { passiveHealthCheck } : {}),
      ...(balanceOutboundConnections ? { balanceOutboundConnections } : {}),
    };
  }
}

/** `record[key]` when it is the record's own: entry-supplied names such as "constructor" never reach Object.prototype. */
function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * A connect timeout in milliseconds rounded to whole nanoseconds (Go's resolution: what Consul
 * itself sends Envoy), or undefined when it is unset or under 1 ns (Consul then uses its default).
 */
function wholeNanoseconds(ms: number | undefined): number | undefined {
  if (ms === undefined) return undefined;
  const rounded = Math.round(ms * 1e6) / 1e6;
  return rounded > 0 ? rounded : undefined;
}

/** A target moved by a redirect or failover: another service resets the subset, as Consul's rewriteTarget does. */
function rewrite(
  from: Requested,
  to: { service?: string | undefined; subset?: string | undefined; datacenter?: string | undefined },
): Requested {
  const service = to.service ?? from.service;
  const subset = to.subset ?? (service !== from.service ? undefined : from.subset);
  return { service, subset, datacenter: to.datacenter ?? from.datacenter };
}

function targetId(requested: Requested): string {
  return JSON.stringify([requested.service, requested.subset ?? "", requested.datacenter]);
}

function describeTarget(id: string): string {
  const [service, subset, datacenter] = JSON.parse(id) as [string, string, string];
  return `${subset === "" ? "" : `${subset}.`}${service}.${datacenter}`;
}
