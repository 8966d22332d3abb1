import { RE2JS } from "re2js";
import {
  type ConfigEntryKey,
  configEntryKey,
  type HashPolicy,
  type HeaderModifiers,
  type ServiceResolverEntry,
  type ServiceRouterEntry,
} from "../model/config-entry.js";
import { scaledSplitWeight } from "../model/validate-config-entry.js";
import { ChainEntryReader, ChainError } from "./chain-entry-reader.js";
import type {
  ChainCompilation,
  ChainContext,
  ChainProblem,
  ChainRoute,
  ChainSplit,
  ChainTarget,
  DiscoveryChain,
} from "./discovery-chain.js";
import { mergeHeaderModifiers } from "./merge-header-modifiers.js";
import { ChainTargetResolver } from "./resolve-chain-target.js";

const l7Protocols = new Set(["http", "http2", "grpc"]);

/**
 * Compiles the discovery chain of `service` the way Consul does (agent/consul/discoverychain):
 * its `service-router` (only when the chain's protocol is http, http2 or grpc — on tcp it is ignored
 * with a warning, as Consul refuses it), then splitters (nested ones multiplied out, weights rounded
 * to Consul's two decimals), then resolvers (redirects with cycle detection, `DefaultSubset`, subset
 * filters compiled with the shared bexpr engine, `Failover` per subset or `*`, timeouts, load
 * balancer), plus the downstream service's `UpstreamConfig`. Pure: same input, same output.
 *
 * Anything Consul would refuse — an entry failing Consul's own validation, a subset or service that
 * does not exist, a cyclic redirect or split, mixed protocols, a regex RE2 does not accept, a
 * datacenter the bridge does not read, a split, route or redirect into another namespace or
 * partition — makes the chain invalid: `chain` is undefined and `errors`
 * name the entry and the reason, so the caller keeps the service's last good chain.
 */
export function compileDiscoveryChain(service: string, context: ChainContext): ChainCompilation {
  const compiler = new Compiler(service, context);
  try {
    const chain = compiler.compile();
    return { chain, errors: [], warnings: compiler.warnings, dependencies: compiler.dependencies() };
  } catch (error) {
    if (!(error instanceof ChainError)) throw error;
    return { chain: undefined, errors: [error.problem], warnings: compiler.warnings, dependencies: compiler.dependencies() };
  }
}

/** A Consul timeout as routes.go reads it: 0 is unset, a negative one disables the timeout (0 here). */
function consulTimeout(ms: number | undefined): number | undefined {
  if (ms === undefined || ms === 0) return undefined;
  return ms < 0 ? 0 : ms;
}

class Compiler {
  readonly warnings: ChainProblem[] = [];
  readonly reader: ChainEntryReader;
  private readonly resolver: ChainTargetResolver;
  private customised = false;
  private readonly l7: boolean;

  constructor(
    private readonly service: string,
    private readonly context: ChainContext,
  ) {
    this.reader = new ChainEntryReader(service, context);
    this.resolver = new ChainTargetResolver(this.reader, this.warnings);
    this.reader.consult(configEntryKey("service-defaults", context.downstreamService));
    this.l7 = l7Protocols.has(this.reader.protocolOf(service));
  }

  dependencies(): ChainCompilation["dependencies"] {
    return this.reader.dependencies();
  }

  private get targets(): ReadonlyMap<string, ChainTarget> {
    return this.resolver.targets;
  }

  compile(): DiscoveryChain {
    const { service } = this;
    const routerKey = configEntryKey("service-router", service);
    let router = this.reader.entry(routerKey) as ServiceRouterEntry | undefined;
    if (router && !this.l7) {
      this.refuseOnWrite();
      this.warnings.push({
        entry: routerKey,
        message: `ignored: service ${JSON.stringify(service)} has protocol ${JSON.stringify(this.reader.protocolOf(service))}, and routers need http, http2 or grpc (${this.protocolHint()})`,
      });
      router = undefined;
    }
    const routes: ChainRoute[] = [];
    if (router) {
      this.customised = true;
      for (const [index, route] of router.routes.entries()) {
        if (route.match && this.context.mode !== "consul-write") this.checkRegexes(routerKey, index, route.match);
        const destination = route.destination;
        if (destination) this.resolver.requireInside(destination, routerKey, `Routes[${index}].Destination`, "a route");
        const target = destination?.service ?? service;
        const next =
          destination?.serviceSubset !== undefined
            ? {
                splits: [this.split(10_000, this.resolver.resolve(target, destination.serviceSubset, routerKey), undefined, undefined)],
                splitter: undefined,
              }
            : this.splitterOrResolver(target, routerKey);
        const timeouts = { request: consulTimeout(destination?.requestTimeoutMs), idle: consulTimeout(destination?.idleTimeoutMs) };
        routes.push(this.route({ entry: routerKey, index }, route.match, destination, next, timeouts));
      }
    }
    const last = this.splitterOrResolver(service, routerKey);
    // Only a chain that starts at the resolver (no router, no splitter) takes the resolver's RequestTimeout.
    const request = router || last.splitter ? undefined : consulTimeout(this.resolverOf(last.splits[0]?.target)?.requestTimeoutMs);
    routes.push(this.route(undefined, undefined, undefined, last, { request, idle: undefined }));
    this.addStandbyTargets();
    const onlyTarget = this.targets.size === 1 ? [...this.targets.values()][0] : undefined;
    const isDefault =
      !this.customised &&
      onlyTarget !== undefined &&
      onlyTarget.service === service &&
      onlyTarget.subset === undefined &&
      onlyTarget.datacenter === this.context.localDatacenter &&
      onlyTarget.resolver === undefined &&
      onlyTarget.upstream === undefined &&
      this.context.entries.serviceDefaults(service)?.protocol === undefined &&
      this.context.entries.proxyDefaults()?.protocol === undefined;
    return { service, protocol: this.reader.protocolOf(service), isDefault, routes, targets: this.targets };
  }

  /**
   * Every subset of the service's own resolver, and the service as a whole, become targets even when
   * no route uses them now: moving a split or a DefaultSubset then changes routes only, never removes
   * a cluster a client is still subscribed to (grpc-js can lose a cluster's endpoints when a cluster
   * it follows is removed and routed to again in quick succession).
   */
  private addStandbyTargets(): void {
    const own = this.context.entries.resolver(this.service);
    if (!own || own.redirect || Object.keys(own.subsets).length === 0) return;
    this.resolver.resolve(this.service, undefined, undefined, false);
    for (const subset of Object.keys(own.subsets).sort()) this.resolver.resolve(this.service, subset, undefined);
  }

  /** How to give the chain's service an L7 protocol, for the warning that ignores its router or splitter. */
  private protocolHint(): string {
    const own = this.context.entries.serviceDefaults(this.service);
    if (own && own.protocol === undefined && this.context.entries.proxyDefaults()?.protocol !== undefined) {
      return `service-defaults/${this.service} has no Protocol, which Consul reads as tcp even though proxy-defaults sets one: set it there`;
    }
    return "set Protocol in service-defaults or proxy-defaults";
  }

  /** Consul refuses a router or splitter on a chain whose protocol is not L7 when it is written. */
  private refuseOnWrite(): void {
    if (this.context.mode !== "consul-write") return;
    throw new ChainError({
      entry: undefined,
      message: `discovery chain ${JSON.stringify(this.service)} uses a protocol ${JSON.stringify(this.reader.protocolOf(this.service))} that does not permit advanced routing or splitting behavior`,
    });
  }

  private checkRegexes(entry: ConfigEntryKey, index: number, match: NonNullable<ChainRoute["match"]>): void {
    const check = (field: string, pattern: string | undefined): void => {
      if (pattern === undefined) return;
      try {
        RE2JS.compile(pattern);
      } catch (error) {
        throw new ChainError({
          entry,
          field: `Routes[${index}].${field}`,
          message: `${JSON.stringify(pattern)} is not an RE2 regular expression: ${(error as Error).message}`,
        });
      }
    };
    check("Match.HTTP.PathRegex", match.pathRegex);
    for (const [i, header] of match.header.entries()) check(`Match.HTTP.Header[${i}].Regex`, header.regex);
    for (const [i, param] of match.queryParam.entries()) check(`Match.HTTP.QueryParam[${i}].Regex`, param.regex);
  }

  // ---- routes and splits ----

  private route(
    source: ChainRoute["source"],
    match: ChainRoute["match"],
    destination: ChainRoute["destination"],
    next: { readonly splits: readonly ChainSplit[]; readonly splitter: ConfigEntryKey | undefined },
    timeouts: { readonly request: number | undefined; readonly idle: number | undefined },
  ): ChainRoute {
    const { splits, splitter } = next;
    const targets = splits.map((split) => this.targets.get(split.target)!);
    const hashed = targets.find((t) => t.loadBalancer?.policy === "ring_hash" || t.loadBalancer?.policy === "maglev");
    const hashPolicies: readonly HashPolicy[] = hashed?.loadBalancer?.hashPolicies ?? [];
    return {
      source,
      match,
      destination,
      splits,
      splitter,
      requestTimeoutMs: timeouts.request,
      idleTimeoutMs: timeouts.idle,
      hashPolicies,
    };
  }

  /** The resolver entry that defined a target, when one did. */
  private resolverOf(targetId: string | undefined): ServiceResolverEntry | undefined {
    const key = targetId === undefined ? undefined : this.targets.get(targetId)?.resolver;
    const entry = key === undefined ? undefined : this.context.entries.entries.get(key);
    return entry?.kind === "service-resolver" ? entry : undefined;
  }

  private split(
    weight: number,
    target: string,
    requestHeaders: HeaderModifiers | undefined,
    responseHeaders: HeaderModifiers | undefined,
  ): ChainSplit {
    return { weight, target, requestHeaders, responseHeaders };
  }

  private splitterOrResolver(
    service: string,
    from: ConfigEntryKey | undefined,
  ): { splits: ChainSplit[]; splitter: ConfigEntryKey | undefined } {
    const key = configEntryKey("service-splitter", service);
    const splitter = this.reader.entry(key);
    if (splitter?.kind === "service-splitter") {
      if (this.l7) {
        this.customised = true;
        return { splits: this.flatten(service, [service]).filter((s) => s.weight > 0), splitter: key };
      }
      this.refuseOnWrite();
      this.warnings.push({
        entry: key,
        message: `ignored: service ${JSON.stringify(this.service)} has protocol ${JSON.stringify(this.reader.protocolOf(this.service))}, and splitters need http, http2 or grpc (${this.protocolHint()})`,
      });
    }
    return { splits: [this.split(10_000, this.resolver.resolve(service, undefined, from), undefined, undefined)], splitter: undefined };
  }

  /** A splitter's splits with nested splitters multiplied out (Consul's flattenAdjacentSplitterNodes). */
  private flatten(service: string, stack: readonly string[]): ChainSplit[] {
    const key = configEntryKey("service-splitter", service);
    const splitter = this.reader.entry(key);
    if (splitter?.kind !== "service-splitter") return [];
    const out: ChainSplit[] = [];
    for (const [index, split] of splitter.splits.entries()) {
      this.resolver.requireInside(split, key, `Splits[${index}]`, "a split");
      const weight = scaledSplitWeight(split.weight);
      const next = split.service ?? service;
      const nested =
        next !== service && split.serviceSubset === undefined ? this.reader.entry(configEntryKey("service-splitter", next)) : undefined;
      if (nested?.kind === "service-splitter") {
        if (stack.includes(next)) {
          throw new ChainError({ entry: key, message: `detected circular reference: [${[...stack, next].join(" -> ")}]` });
        }
        for (const inner of this.flatten(next, [...stack, next])) {
          out.push(
            this.split(
              Math.round((weight * inner.weight) / 10_000),
              inner.target,
              mergeHeaderModifiers(split.requestHeaders, inner.requestHeaders),
              mergeHeaderModifiers(inner.responseHeaders, split.responseHeaders),
            ),
          );
        }
        continue;
      }
      out.push(this.split(weight, this.resolver.resolve(next, split.serviceSubset, key), split.requestHeaders, split.responseHeaders));
    }
    return out;
  }
}
