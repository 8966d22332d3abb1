import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ChainRoute, DiscoveryChain } from "../discovery-chain/index.js";
import { HeaderValueOption_HeaderAppendAction, type HeaderValueOptionSchema } from "../gen/envoy/config/core/v3/base_pb.js";
import {
  type Route,
  type RouteAction_HashPolicySchema,
  type RouteActionSchema,
  RouteSchema,
  type WeightedCluster_ClusterWeightSchema,
} from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { HashPolicy, HeaderModifiers } from "../model/config-entry.js";
import { buildChainRouteMatch, isUnmatchable } from "./build-chain-route-match.js";
import type { ClientKind } from "./client-kind.js";
import type { MappingWarning } from "./mapping-warning.js";
import { protoDuration } from "./proto-duration.js";

/** Input of {@link buildChainRoutes}. */
export interface ChainRoutesInput {
  /** The chain's service (warnings name it). */
  readonly owner: string;
  readonly chain: DiscoveryChain;
  readonly kind: ClientKind;
  /** Target id → the name of its cluster. */
  readonly clusterNames: ReadonlyMap<string, string>;
  /** The upstream speaks gRPC: Envoy's route timeout defaults to none (0s) so streams outlive 15 s. */
  readonly grpcUpstream: boolean;
  /** A header to hash for ring_hash from Service Meta, used when the chain's resolver names no hash policy. */
  readonly metaHashHeader: string | undefined;
}

/** The gRPC status codes gRFC A44 retries on (grpc-js-xds and C-core read these names in retry_on). */
const grpcRetryCodes = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/**
 * Builds a virtual host's routes from a chain, in the chain's order (the last one matches every
 * request). Envoy gets everything Consul's own xDS gets: matches, single or weighted clusters,
 * request and idle timeouts, retry policy (RetryOn, connect-failure, retriable status codes), prefix
 * rewrite, header manipulation on routes and weighted clusters, hash policies. gRPC clients get
 * what gRFC A28/A31/A42/A44 define — matches, weighted clusters, `max_stream_duration`, retries on
 * gRPC status codes, header hash policies — and every other field is left out with a warning naming
 * the entry, the field and the reason; a route that could never match a gRPC call is left out.
 */
export function buildChainRoutes(input: ChainRoutesInput): { routes: Route[]; warnings: MappingWarning[] } {
  const warnings: MappingWarning[] = [];
  const routes: Route[] = [];
  for (const route of input.chain.routes) {
    const built = buildRoute(input, route, warnings);
    if (built) routes.push(built);
  }
  return { routes, warnings };
}

function buildRoute(input: ChainRoutesInput, route: ChainRoute, warnings: MappingWarning[]): Route | undefined {
  const { kind } = input;
  const where = route.source ? `${route.source.entry} Routes[${route.source.index}]` : `the default route of ${input.owner}`;
  const leaveOut = (field: string, reason: string): void => {
    warnings.push({
      service: input.owner,
      clientKind: kind,
      code: "unsupported-for-grpc",
      message: `${where}.${field}: ${reason}; left out for gRPC clients`,
    });
  };
  const match = buildChainRouteMatch(route.match, kind);
  if (isUnmatchable(match)) {
    warnings.push({
      service: input.owner,
      clientKind: kind,
      code: "unsupported-for-grpc",
      message: `${where}.${match.field}: ${match.reason}; the route is left out for gRPC clients`,
    });
    return undefined;
  }
  const destination = route.destination;
  const clusterSpecifier = clusters(input, route, leaveOut, warnings);
  const hashPolicy = hashPolicies(input, route, leaveOut);
  if (kind === "grpc") {
    if (destination?.prefixRewrite !== undefined)
      leaveOut("Destination.PrefixRewrite", "gRPC clients cannot rewrite the path (no prefix_rewrite in gRFC A28)");
    if (route.idleTimeoutMs !== undefined && route.idleTimeoutMs > 0)
      leaveOut("Destination.IdleTimeout", "gRPC clients have no idle timeout (gRFC A31 reads max_stream_duration only)");
    if (destination?.requestHeaders || destination?.responseHeaders)
      leaveOut("Destination.RequestHeaders/ResponseHeaders", "gRPC clients do not rewrite headers");
    return create(RouteSchema, {
      match,
      action: {
        case: "route",
        value: {
          clusterSpecifier,
          ...(route.requestTimeoutMs !== undefined
            ? { maxStreamDuration: { maxStreamDuration: protoDuration(route.requestTimeoutMs) } }
            : {}),
          ...grpcRetryPolicy(route, leaveOut),
          hashPolicy,
        },
      },
    });
  }
  const timeout =
    route.requestTimeoutMs !== undefined ? protoDuration(route.requestTimeoutMs) : input.grpcUpstream ? protoDuration(0) : undefined;
  return create(RouteSchema, {
    match,
    action: {
      case: "route",
      value: {
        clusterSpecifier,
        ...(timeout ? { timeout } : {}),
        ...(route.idleTimeoutMs !== undefined ? { idleTimeout: protoDuration(route.idleTimeoutMs) } : {}),
        ...(destination?.prefixRewrite !== undefined ? { prefixRewrite: destination.prefixRewrite } : {}),
        ...envoyRetryPolicy(route),
        hashPolicy,
      },
    },
    ...headerChanges(destination?.requestHeaders, destination?.responseHeaders, input, { where, field: "Destination" }, warnings),
  });
}

type HashPolicyInit = MessageInitShape<typeof RouteAction_HashPolicySchema>;
type HeaderOptionInit = MessageInitShape<typeof HeaderValueOptionSchema>;
type ClusterSpecifierInit = MessageInitShape<typeof RouteActionSchema>["clusterSpecifier"];

function clusters(
  input: ChainRoutesInput,
  route: ChainRoute,
  leaveOut: (field: string, reason: string) => void,
  warnings: MappingWarning[],
): ClusterSpecifierInit {
  const name = (target: string): string => {
    const found = input.clusterNames.get(target);
    if (found === undefined) throw new Error(`no cluster name for chain target ${target}`);
    return found;
  };
  if (route.splitter === undefined && route.splits.length === 1) return { case: "cluster", value: name(route.splits[0]!.target) };
  let headersLeftOut = false;
  const weighted: MessageInitShape<typeof WeightedCluster_ClusterWeightSchema>[] = route.splits.map((split) => {
    const base = { name: name(split.target), weight: split.weight };
    if (input.kind === "grpc") {
      if (split.requestHeaders || split.responseHeaders) headersLeftOut = true;
      return base;
    }
    const where = { where: `${route.splitter ?? "a split"} (the split to ${base.name})`, field: "Splits[]" };
    return { ...base, ...headerChanges(split.requestHeaders, split.responseHeaders, input, where, warnings) };
  });
  if (headersLeftOut) leaveOut("Splits[].RequestHeaders/ResponseHeaders", "gRPC clients do not rewrite headers");
  const total = route.splits.reduce((sum, split) => sum + split.weight, 0);
  return {
    case: "weightedClusters",
    // C-core before 1.49 checks the sum against total_weight (default 100): state it for gRPC.
    value: { clusters: weighted, ...(input.kind === "grpc" ? { totalWeight: total } : {}) },
  };
}

function envoyRetryPolicy(route: ChainRoute): { retryPolicy?: { retryOn: string; numRetries?: number; retriableStatusCodes: number[] } } {
  const d = route.destination;
  if (
    !d ||
    (!(d.numRetries !== undefined && d.numRetries > 0) &&
      !d.retryOnConnectFailure &&
      d.retryOn.length === 0 &&
      d.retryOnStatusCodes.length === 0)
  )
    return {};
  const retryOn = [...d.retryOn];
  if (d.retryOnConnectFailure && !retryOn.includes("connect-failure")) retryOn.push("connect-failure");
  if (d.retryOnStatusCodes.length > 0) retryOn.push("retriable-status-codes");
  return {
    retryPolicy: {
      retryOn: retryOn.join(","),
      ...(d.numRetries !== undefined && d.numRetries > 0 ? { numRetries: d.numRetries } : {}),
      retriableStatusCodes: [...d.retryOnStatusCodes],
    },
  };
}

function grpcRetryPolicy(
  route: ChainRoute,
  leaveOut: (field: string, reason: string) => void,
): { retryPolicy?: { retryOn: string; numRetries?: number } } {
  const d = route.destination;
  if (!d) return {};
  const codes = d.retryOn.filter((condition) => grpcRetryCodes.has(condition));
  const others = d.retryOn.filter((condition) => !grpcRetryCodes.has(condition));
  if (others.length > 0)
    leaveOut("Destination.RetryOn", `${others.join(", ")} are HTTP conditions; gRPC clients retry on gRPC status codes only (gRFC A44)`);
  if (d.retryOnConnectFailure)
    leaveOut("Destination.RetryOnConnectFailure", 'gRPC clients retry on status codes only (gRFC A44); add "unavailable" to RetryOn');
  if (d.retryOnStatusCodes.length > 0)
    leaveOut("Destination.RetryOnStatusCodes", "HTTP status codes do not exist for gRPC calls (gRFC A44 retries on gRPC status codes)");
  if (codes.length === 0) {
    if (d.numRetries !== undefined && d.numRetries > 0) leaveOut("Destination.NumRetries", "no gRPC status code in RetryOn to retry on");
    return {};
  }
  return {
    retryPolicy: { retryOn: codes.join(","), ...(d.numRetries !== undefined && d.numRetries > 0 ? { numRetries: d.numRetries } : {}) },
  };
}

function hashPolicies(input: ChainRoutesInput, route: ChainRoute, leaveOut: (field: string, reason: string) => void): HashPolicyInit[] {
  const policies: readonly HashPolicy[] =
    route.hashPolicies.length > 0
      ? route.hashPolicies
      : input.metaHashHeader !== undefined
        ? [{ field: "header", fieldValue: input.metaHashHeader, sourceIp: false, terminal: false }]
        : [];
  const out: HashPolicyInit[] = [];
  for (const policy of policies) {
    if (policy.field === "header" && policy.fieldValue !== undefined) {
      out.push({ policySpecifier: { case: "header", value: { headerName: policy.fieldValue.toLowerCase() } }, terminal: policy.terminal });
      continue;
    }
    if (input.kind === "grpc") {
      leaveOut(
        "LoadBalancer.HashPolicies",
        `gRPC clients hash headers only (gRFC A42), not ${policy.sourceIp ? "the source IP" : `a ${policy.field}`}`,
      );
      continue;
    }
    if (policy.sourceIp) {
      out.push({ policySpecifier: { case: "connectionProperties", value: { sourceIp: true } }, terminal: policy.terminal });
    } else if (policy.field === "cookie" && policy.fieldValue !== undefined) {
      const cookie = policy.cookieConfig;
      const ttl = cookie?.session
        ? protoDuration(0)
        : cookie?.ttlMs !== undefined && cookie.ttlMs > 0
          ? protoDuration(cookie.ttlMs)
          : undefined;
      out.push({
        policySpecifier: { case: "cookie", value: { name: policy.fieldValue, path: cookie?.path ?? "", ...(ttl ? { ttl } : {}) } },
        terminal: policy.terminal,
      });
    } else if (policy.field === "query_parameter" && policy.fieldValue !== undefined) {
      out.push({ policySpecifier: { case: "queryParameter", value: { name: policy.fieldValue } }, terminal: policy.terminal });
    }
  }
  return out;
}

/**
 * Envoy's HeaderParser refuses a route configuration that adds, sets or removes a pseudo-header
 * (`:…`) or `host` (in any case), and every virtual host shares the one route configuration, so one
 * such change would NACK routing for every service.
 */
function isModifiable(name: string): boolean {
  return name !== "" && !name.startsWith(":") && name.toLowerCase() !== "host";
}

/** What Envoy's header rules (HTTP_HEADER_NAME / _VALUE, not strict; 16 KiB) refuse in a name or value Consul passes through. */
function unusableText(text: string): string | undefined {
  if (/[\0\r\n]/.test(text)) return "holds a NUL, CR or LF";
  return Buffer.byteLength(text) > 16_384 ? "is longer than 16 KiB" : undefined;
}

/** Consul's header manipulation: Add appends, Set overwrites, Remove removes; pseudo-headers and `host` are skipped with a warning (Envoy refuses them). */
function headerChanges(
  request: HeaderModifiers | undefined,
  response: HeaderModifiers | undefined,
  input: ChainRoutesInput,
  at: { readonly where: string; readonly field: string },
  warnings: MappingWarning[],
): {
  requestHeadersToAdd: HeaderOptionInit[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderOptionInit[];
  responseHeadersToRemove: string[];
} {
  const skip = (field: string, name: string, why: string): false => {
    warnings.push({
      service: input.owner,
      clientKind: input.kind,
      code: "ignored-config-entry",
      message: `${at.where} ${at.field}.${field}: header ${JSON.stringify(name)} is skipped: ${why}`,
    });
    return false;
  };
  const allowed =
    (field: string) =>
    (name: string, value?: string): boolean => {
      if (!isModifiable(name)) {
        return skip(
          field,
          name,
          "Envoy refuses to add, set or remove pseudo-headers and Host (it would reject the route configuration of every service)",
        );
      }
      const nameProblem = unusableText(name);
      if (nameProblem !== undefined) return skip(field, name, `its name ${nameProblem}, which Envoy refuses`);
      const valueProblem = value === undefined ? undefined : unusableText(value);
      return valueProblem === undefined || skip(field, name, `its value ${valueProblem}, which Envoy refuses`);
    };
  const options = (modifiers: HeaderModifiers | undefined, field: string): HeaderOptionInit[] => [
    ...Object.entries(modifiers?.add ?? {})
      .filter(([key, value]) => allowed(`${field}.Add`)(key, value))
      .map(([key, value]) => ({ header: { key, value }, appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD })),
    ...Object.entries(modifiers?.set ?? {})
      .filter(([key, value]) => allowed(`${field}.Set`)(key, value))
      .map(([key, value]) => ({ header: { key, value }, appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD })),
  ];
  return {
    requestHeadersToAdd: options(request, "RequestHeaders"),
    requestHeadersToRemove: (request?.remove ?? []).filter((name) => allowed("RequestHeaders.Remove")(name)),
    responseHeadersToAdd: options(response, "ResponseHeaders"),
    responseHeadersToRemove: (response?.remove ?? []).filter((name) => allowed("ResponseHeaders.Remove")(name)),
  };
}
