import type { Any, Duration } from "@bufbuild/protobuf/wkt";
import type { RetryPolicy } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import { findVirtualHostForDomain } from "./find-virtual-host-for-domain.js";
import { grpcHttpFilters } from "./grpc-http-filters.js";
import { toValidationResult, type ValidationError, type ValidationResult } from "./validation-result.js";

// Mirrors @grpc/grpc-js-xds 1.14.1 src/xds-resource-type/route-config-resource-type.ts
// (RouteConfigurationResourceType.validateResource and validateRetryPolicy, gRFC A28/A31/A44)
// with its defaults: fault injection and retry support on. Paths use indexes where grpc-js uses names.

const SUPPORTED_PATH_SPECIFIERS: ReadonlySet<string | undefined> = new Set(["prefix", "path", "safeRegex"]);
const SUPPORTED_HEADER_MATCHERS: ReadonlySet<string | undefined> = new Set([
  "exactMatch",
  "safeRegexMatch",
  "rangeMatch",
  "presentMatch",
  "prefixMatch",
  "suffixMatch",
  "stringMatch",
]);
const SUPPORTED_CLUSTER_SPECIFIERS: ReadonlySet<string | undefined> = new Set(["cluster", "weightedClusters", "clusterHeader"]);
const UINT32_MAX = 0xffffffff;

/** Options of {@link validateGrpcRouteConfiguration}. */
export interface GrpcRouteConfigurationOptions {
  /**
   * The data-plane authority of the client (the host of its `xds:///` target). When given, a
   * virtual host must match it: otherwise the client fails RPCs with UNAVAILABLE ("No matching
   * route found") even though the resource itself is ACKed.
   */
  authority?: string;
}

/** grpc-js's durationToMs: milliseconds truncated to int32. */
function durationToMs(duration: Duration): number {
  return (Number(duration.seconds) * 1000 + duration.nanos / 1_000_000) | 0;
}

function validateRetryPolicy(policy: RetryPolicy | undefined, path: string, errors: ValidationError[]): void {
  if (!policy) return;
  const numRetries = policy.numRetries ?? 1;
  if (numRetries < 1) errors.push({ path: `${path}.num_retries`, message: `Invalid policy.num_retries.value: ${numRetries}` });
  const backOff = policy.retryBackOff;
  if (!backOff) return;
  if (!backOff.baseInterval) {
    errors.push({ path: `${path}.retry_back_off.base_interval`, message: "retry_back_off.base_interval unset" });
    return;
  }
  const base = durationToMs(backOff.baseInterval);
  const max = backOff.maxInterval ? durationToMs(backOff.maxInterval) : 10 * base;
  if (base <= 0) errors.push({ path: `${path}.retry_back_off.base_interval`, message: `Invalid retry_back_off.base_interval: ${base}ms` });
  if (max < base)
    errors.push({ path: `${path}.retry_back_off.max_interval`, message: "retry_back_off.max_interval < retry_back_off.base_interval" });
}

function validateOverrides(configs: { [name: string]: Any }, path: string, errors: ValidationError[]): void {
  for (const [name, config] of Object.entries(configs)) {
    const problem = grpcHttpFilters.validateOverride(config);
    if (problem)
      errors.push({
        path: `${path}.typed_per_filter_config[${JSON.stringify(name)}]`,
        message: `typed_per_filter_config validation failed for type_url ${config.typeUrl}: ${problem}`,
      });
  }
}

/** Collects the errors a gRPC client would NACK a RouteConfiguration for, below `prefix` (used for inline route_config). */
export function grpcRouteConfigurationErrors(
  routeConfig: RouteConfiguration,
  prefix: string,
  options: GrpcRouteConfigurationOptions = {},
): ValidationError[] {
  const errors: ValidationError[] = [];
  const at = (path: string): string => (prefix === "" ? path : `${prefix}.${path}`);
  routeConfig.virtualHosts.forEach((virtualHost, v) => {
    const vhPath = at(`virtual_hosts[${v}]`);
    virtualHost.domains.forEach((domain, d) => {
      const first = domain.indexOf("*");
      if (first !== domain.lastIndexOf("*"))
        errors.push({ path: `${vhPath}.domains[${d}]`, message: `domains entry has multiple wildcards: ${domain}` });
      if (!(first === -1 || first === 0 || first === domain.length - 1)) {
        errors.push({ path: `${vhPath}.domains[${d}]`, message: `domains entry has wildcard in the middle: ${domain}` });
      }
    });
    validateOverrides(virtualHost.typedPerFilterConfig, vhPath, errors);
    validateRetryPolicy(virtualHost.retryPolicy, `${vhPath}.retry_policy`, errors);
    virtualHost.routes.forEach((route, r) => {
      const routePath = `${vhPath}.routes[${r}]`;
      const match = route.match;
      if (!match) {
        errors.push({ path: `${routePath}.match`, message: "match unset" });
      } else {
        if (match.pathSpecifier.case === undefined) errors.push({ path: `${routePath}.match`, message: "no path_specifier set" });
        else if (!SUPPORTED_PATH_SPECIFIERS.has(match.pathSpecifier.case)) {
          errors.push({ path: `${routePath}.match`, message: `unsupported path_specifier: ${match.pathSpecifier.case}` });
        }
        match.headers.forEach((header, h) => {
          const kind = header.headerMatchSpecifier.case;
          if (kind !== undefined && !SUPPORTED_HEADER_MATCHERS.has(kind)) {
            errors.push({ path: `${routePath}.match.headers[${h}]`, message: `unsupported header_match_specifier: ${kind}` });
          }
        });
      }
      const action = route.action;
      switch (action.case) {
        case "route": {
          const routeAction = action.value;
          const specifier = routeAction.clusterSpecifier;
          if (specifier.case !== undefined && !SUPPORTED_CLUSTER_SPECIFIERS.has(specifier.case)) {
            errors.push({ path: `${routePath}.route`, message: `unsupported route.cluster_specifier: ${specifier.case}` });
          }
          validateOverrides(route.typedPerFilterConfig, routePath, errors);
          validateRetryPolicy(routeAction.retryPolicy, `${routePath}.route.retry_policy`, errors);
          if (specifier.case === "weightedClusters") {
            let sum = 0;
            for (const clusterWeight of specifier.value.clusters) sum += clusterWeight.weight ?? 0;
            if (sum === 0) errors.push({ path: `${routePath}.route.weighted_clusters`, message: "sum of weights is 0" });
            if (sum > UINT32_MAX)
              errors.push({ path: `${routePath}.route.weighted_clusters`, message: "sum of weights is greater than UINT32_MAX" });
            specifier.value.clusters.forEach((clusterWeight, c) => {
              validateOverrides(clusterWeight.typedPerFilterConfig, `${routePath}.route.weighted_clusters.clusters[${c}]`, errors);
            });
          }
          break;
        }
        case "nonForwardingAction":
          break;
        default:
          // redirect, direct_response, filter_action or no action: the whole resource is NACKed.
          errors.push({ path: routePath, message: `unsupported action: ${action.case ?? "unset"}` });
      }
    });
  });
  if (options.authority !== undefined && !findVirtualHostForDomain(routeConfig.virtualHosts, options.authority)) {
    errors.push({
      path: at("virtual_hosts"),
      message: `No matching route found for ${options.authority} (grpc-js ACKs this but fails every RPC with UNAVAILABLE)`,
    });
  }
  return errors;
}

/**
 * Checks a RouteConfiguration bound for proxyless gRPC clients against what @grpc/grpc-js-xds
 * 1.14.1 accepts (gRFC A28): wildcard placement in domains, prefix/path/safe_regex matchers,
 * supported header matchers, a `route` action with cluster/weighted_clusters/cluster_header
 * (redirect and direct_response invalidate the whole resource), weights, retry policies and
 * per-filter overrides; and, given `authority`, that a virtual host matches it.
 */
export function validateGrpcRouteConfiguration(
  routeConfig: RouteConfiguration,
  options: GrpcRouteConfigurationOptions = {},
): ValidationResult {
  return toValidationResult(grpcRouteConfigurationErrors(routeConfig, "", options));
}
