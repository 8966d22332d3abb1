import { compileFilter } from "../bexpr/index.js";
import type {
  ConfigEntry,
  HashPolicy,
  LoadBalancer,
  ServiceResolverEntry,
  ServiceRouterEntry,
  ServiceSplitterEntry,
} from "./config-entry.js";

// Consul's own write-time checks of one config entry (agent/structs/config_entry_discoverychain.go
// `Validate`), with its error texts. Consul refuses such an entry when it is written; the bridge
// refuses to apply one it reads anyway (an older or newer Consul, an entry restored from a snapshot),
// and the embedded catalog answers `PUT /v1/config` with the same text.

const httpMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"]);
const retryConditions = new Set([
  "5xx",
  "gateway-error",
  "reset",
  "connect-failure",
  "envoy-ratelimited",
  "retriable-4xx",
  "refused-stream",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
]);
const lbPolicies = new Set(["", "random", "round_robin", "least_request", "ring_hash", "maglev"]);
const hashFields = new Set(["header", "cookie", "query_parameter"]);
const subsetName = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Go's `%q` for the strings config entries hold. */
function q(text: string): string {
  return JSON.stringify(text);
}

/** Consul's scaling of a split weight to hundredths of a percent (`scaleWeight`: round(w × 100)). */
export function scaledSplitWeight(weight: number): number {
  return Math.round(Math.fround(Math.fround(weight) * 100));
}

/** The error Consul gives when the entry is written, or undefined for an entry Consul accepts. */
export function validateConfigEntry(entry: ConfigEntry): string | undefined {
  if (entry.name === "") return "Name is required";
  switch (entry.kind) {
    case "service-router":
      return validateRouter(entry);
    case "service-splitter":
      return validateSplitter(entry);
    case "service-resolver":
      return validateResolver(entry);
    case "service-defaults":
      for (const [i, override] of entry.upstreamOverrides.entries()) {
        if (override.name === "") return `error in upstream override at index ${i}: Name is required`;
      }
      return undefined;
    case "proxy-defaults":
      return entry.name === "global" ? undefined : `invalid name (${q(entry.name)}), only "global" is supported`;
  }
}

function validateRouter(entry: ServiceRouterEntry): string | undefined {
  for (const [i, route] of entry.routes.entries()) {
    let eligibleForPrefixRewrite = false;
    const http = route.match;
    if (http) {
      let pathParts = 0;
      if (http.pathExact !== undefined) {
        eligibleForPrefixRewrite = true;
        pathParts += 1;
        if (!http.pathExact.startsWith("/")) return `Route[${i}] PathExact doesn't start with '/': ${q(http.pathExact)}`;
      }
      if (http.pathPrefix !== undefined) {
        eligibleForPrefixRewrite = true;
        pathParts += 1;
        if (!http.pathPrefix.startsWith("/")) return `Route[${i}] PathPrefix doesn't start with '/': ${q(http.pathPrefix)}`;
      }
      if (http.pathRegex !== undefined) pathParts += 1;
      if (pathParts > 1) return `Route[${i}] should only contain at most one of PathExact, PathPrefix, or PathRegex`;
      for (const [j, header] of http.header.entries()) {
        if (header.name === "") return `Route[${i}] Header[${j}] missing required Name field`;
        const parts = [header.present, header.exact, header.regex, header.prefix, header.suffix].filter(
          (p) => p !== undefined && p !== false,
        );
        if (parts.length !== 1) return `Route[${i}] Header[${j}] should only contain one of Present, Exact, Prefix, Suffix, or Regex`;
      }
      for (const [j, param] of http.queryParam.entries()) {
        if (param.name === "") return `Route[${i}] QueryParam[${j}] missing required Name field`;
        const parts = [param.present, param.exact, param.regex].filter((p) => p !== undefined && p !== false);
        if (parts.length !== 1) return `Route[${i}] QueryParam[${j}] should only contain one of Present, Exact, or Regex`;
      }
      const seen = new Set<string>();
      for (const method of http.methods) {
        if (!httpMethods.has(method)) return `Route[${i}] Methods contains an invalid method ${q(method)}`;
        if (seen.has(method)) return `Route[${i}] Methods contains ${q(method)} more than once`;
        seen.add(method);
      }
    }
    const destination = route.destination;
    if (destination) {
      if (destination.prefixRewrite !== undefined && !eligibleForPrefixRewrite) {
        return `Route[${i}] cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix`;
      }
      for (const condition of destination.retryOn) {
        if (!retryConditions.has(condition)) return `Route[${i}] contains an invalid retry condition: ${q(condition)}`;
      }
    }
  }
  return undefined;
}

function validateSplitter(entry: ServiceSplitterEntry): string | undefined {
  if (entry.splits.length === 0) return "no splits configured";
  const seen = new Set<string>();
  for (const split of entry.splits) {
    const service = split.service ?? entry.name;
    const key = JSON.stringify([service, split.serviceSubset ?? "", split.namespace ?? "", split.partition ?? ""]);
    if (seen.has(key)) {
      return `split destination occurs more than once: service=${q(service)}, subset=${q(split.serviceSubset ?? "")}, namespace=${q(split.namespace ?? "")}, partition=${q(split.partition ?? "")}`;
    }
    seen.add(key);
  }
  const sum = entry.splits.reduce((total, split) => total + scaledSplitWeight(split.weight), 0);
  if (sum !== 10_000) return `the sum of all split weights must be 100, not ${(sum / 100).toFixed(6)}`;
  return undefined;
}

function validateResolver(entry: ServiceResolverEntry): string | undefined {
  const isSubset = (name: string): boolean => Object.hasOwn(entry.subsets, name);
  for (const [name, subset] of Object.entries(entry.subsets)) {
    if (name === "") return "Subset defined with empty name";
    if (name.length > 63 || !subsetName.test(name)) {
      return `Subset ${q(name)} is invalid: must be 63 characters or fewer, begin or end with lower case alphanumeric characters, and contain lower case alphanumeric characters or '-' in between`;
    }
    if (subset.filter !== "") {
      const compiled = compileFilter(subset.filter);
      if (!compiled.ok) return `Filter for subset ${q(name)} is not a valid expression: ${compiled.error}`;
    }
  }
  if (entry.defaultSubset !== undefined && !isSubset(entry.defaultSubset))
    return `DefaultSubset ${q(entry.defaultSubset)} is not a valid subset`;
  const redirect = entry.redirect;
  if (redirect) {
    if (Object.keys(entry.failover).length > 0) return "Redirect and Failover cannot both be set";
    if (Object.values(redirect).every((v) => v === undefined)) return "Redirect is empty";
    if (redirect.peer !== undefined && redirect.serviceSubset !== undefined)
      return "Redirect.Peer cannot be set with Redirect.ServiceSubset";
    if (redirect.peer !== undefined && redirect.partition !== undefined) return "Redirect.Partition cannot be set with Redirect.Peer";
    if (redirect.peer !== undefined && redirect.datacenter !== undefined) return "Redirect.Peer cannot be set with Redirect.Datacenter";
    if (redirect.service === undefined) {
      for (const [field, value] of [
        ["ServiceSubset", redirect.serviceSubset],
        ["Namespace", redirect.namespace],
        ["Partition", redirect.partition],
        ["Peer", redirect.peer],
      ] as const) {
        if (value !== undefined) return `Redirect.${field} defined without Redirect.Service`;
      }
    } else if (redirect.serviceSubset !== undefined && redirect.service === entry.name && !isSubset(redirect.serviceSubset)) {
      return `Redirect.ServiceSubset ${q(redirect.serviceSubset)} is not a valid subset of ${q(entry.name)}`;
    }
  }
  for (const [subset, failover] of Object.entries(entry.failover)) {
    const prefix = `Bad Failover[${q(subset)}]: `;
    if (subset !== "*" && !isSubset(subset)) return `${prefix}not a valid subset subset`;
    const empty =
      failover.service === undefined &&
      failover.serviceSubset === undefined &&
      failover.namespace === undefined &&
      failover.datacenters.length === 0 &&
      failover.targets.length === 0;
    if (empty) return `${prefix}one of Service, ServiceSubset, Namespace, Targets, or Datacenters is required`;
    if (
      failover.serviceSubset !== undefined &&
      (failover.service === undefined || failover.service === entry.name) &&
      !isSubset(failover.serviceSubset)
    ) {
      return `${prefix}ServiceSubset ${q(failover.serviceSubset)} is not a valid subset of ${q(failover.service ?? "")}`;
    }
    if (failover.datacenters.length > 0 && failover.targets.length > 0) return `${prefix}Targets cannot be set with Datacenters`;
    if (failover.serviceSubset !== undefined && failover.targets.length > 0) return `${prefix}Targets cannot be set with ServiceSubset`;
    if (failover.service !== undefined && failover.targets.length > 0) return `${prefix}Targets cannot be set with Service`;
    for (const [i, target] of failover.targets.entries()) {
      const targetPrefix = `Bad Failover[${q(subset)}].Targets[${i}]: `;
      if (target.peer !== undefined && target.serviceSubset !== undefined) return `${targetPrefix}Peer cannot be set with ServiceSubset`;
      if (target.peer !== undefined && target.partition !== undefined) return `${targetPrefix}Partition cannot be set with Peer`;
      if (target.peer !== undefined && target.datacenter !== undefined) return `${targetPrefix}Peer cannot be set with Datacenter`;
      if (target.partition !== undefined && target.datacenter !== undefined)
        return `${targetPrefix}Partition cannot be set with Datacenter`;
      if (
        target.serviceSubset !== undefined &&
        (target.service === undefined || target.service === entry.name) &&
        !isSubset(target.serviceSubset)
      ) {
        return `${targetPrefix}ServiceSubset ${q(target.serviceSubset)} is not a valid subset of ${q(entry.name)}`;
      }
    }
    if (failover.datacenters.some((dc) => dc === "")) return `Bad Failover[${q(subset)}].Datacenters: found empty datacenter`;
  }
  return entry.loadBalancer ? validateLoadBalancer(entry.loadBalancer) : undefined;
}

function validateLoadBalancer(lb: LoadBalancer): string | undefined {
  if (!lbPolicies.has(lb.policy)) return `Bad LoadBalancer policy: ${q(lb.policy)} is not supported`;
  if (lb.policy !== "ring_hash" && lb.ringHash) {
    return `Bad LoadBalancer configuration. RingHashConfig specified for incompatible load balancing policy ${q(lb.policy)}`;
  }
  if (lb.policy !== "least_request" && lb.leastRequest) {
    return `Bad LoadBalancer configuration. LeastRequestConfig specified for incompatible load balancing policy ${q(lb.policy)}`;
  }
  const hashBased = lb.policy === "ring_hash" || lb.policy === "maglev";
  if (!hashBased && lb.hashPolicies.length > 0)
    return `Bad LoadBalancer configuration: HashPolicies specified for non-hash-based Policy: ${q(lb.policy)}`;
  for (const [i, policy] of lb.hashPolicies.entries()) {
    const problem = validateHashPolicy(policy);
    if (problem) return `Bad LoadBalancer HashPolicy[${i}]: ${problem}`;
  }
  return undefined;
}

function validateHashPolicy(policy: HashPolicy): string | undefined {
  const field = policy.field ?? "";
  if (field !== "" && !hashFields.has(field)) return `${q(field)} is not a supported field`;
  if (policy.sourceIp && field !== "") return `A single hash policy cannot hash both a source address and a ${q(field)}`;
  if (policy.sourceIp && policy.fieldValue !== undefined) return "A FieldValue cannot be specified when hashing SourceIP";
  if (field !== "" && policy.fieldValue === undefined) return `Field ${q(field)} was specified without a FieldValue`;
  if (policy.fieldValue !== undefined && field === "") return "FieldValue requires a Field to apply to";
  if (policy.cookieConfig) {
    if (field !== "cookie") return `cookie_config provided for ${q(field)}`;
    if (policy.cookieConfig.session && (policy.cookieConfig.ttlMs ?? 0) !== 0) return "a session cookie cannot have an associated TTL";
  }
  return undefined;
}
