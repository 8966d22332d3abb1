import type { Message } from "@bufbuild/protobuf";
import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { HeaderValueOption } from "../gen/envoy/config/core/v3/base_pb.js";
import type { Route, VirtualHost } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import type { ValidationError } from "./validation-result.js";

// Rules Envoy enforces when it loads a resource that are not `(validate.rules)` annotations, so the
// descriptor-driven validator cannot see them. Breaking one NACKs the whole resource — for the
// shared route configuration, every service's virtual host at once.

/** The fields of a route configuration, virtual host, route or weighted cluster that change headers. */
interface HeaderMutations {
  readonly requestHeadersToAdd: readonly HeaderValueOption[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOption[];
  readonly responseHeadersToRemove: readonly string[];
}

/** Envoy's HeaderUtility::isModifiableHeader / isRemovableHeader: no pseudo-header (`:…`) and not `host`, in any case. */
function mayChange(name: string): boolean {
  return !name.startsWith(":") && name.toLowerCase() !== "host";
}

function headerErrors(owner: HeaderMutations, path: string, errors: ValidationError[]): void {
  for (const direction of ["request", "response"] as const) {
    const added = direction === "request" ? owner.requestHeadersToAdd : owner.responseHeadersToAdd;
    const removed = direction === "request" ? owner.requestHeadersToRemove : owner.responseHeadersToRemove;
    for (const [i, option] of added.entries()) {
      const key = option.header?.key ?? "";
      if (!mayChange(key)) {
        errors.push({
          path: `${path}${direction}_headers_to_add[${i}].header.key`,
          message: `:-prefixed or host headers may not be modified (got ${JSON.stringify(key)}; Envoy's HeaderParser)`,
        });
      }
    }
    for (const [i, name] of removed.entries()) {
      if (!mayChange(name)) {
        errors.push({
          path: `${path}${direction}_headers_to_remove[${i}]`,
          message: `:-prefixed or host headers may not be removed (got ${JSON.stringify(name)}; Envoy's HeaderParser)`,
        });
      }
    }
  }
}

function routeErrors(route: Route, path: string, errors: ValidationError[]): void {
  headerErrors(route, path, errors);
  if (route.action.case !== "route") return;
  const specifier = route.action.value.clusterSpecifier;
  if (specifier.case !== "weightedClusters") return;
  for (const [i, cluster] of specifier.value.clusters.entries()) {
    headerErrors(cluster, `${path}route.weighted_clusters.clusters[${i}].`, errors);
  }
}

function virtualHostErrors(host: VirtualHost, path: string, errors: ValidationError[]): void {
  headerErrors(host, path, errors);
  for (const [i, route] of host.routes.entries()) routeErrors(route, `${path}routes[${i}].`, errors);
}

const defaultMinimumRingSize = 1024n;
const defaultMaximumRingSize = 8_388_608n;

function clusterErrors(cluster: Cluster, errors: ValidationError[]): void {
  if (cluster.lbConfig.case !== "ringHashLbConfig") return;
  const ring = cluster.lbConfig.value;
  const min = ring.minimumRingSize ?? defaultMinimumRingSize;
  const max = ring.maximumRingSize ?? defaultMaximumRingSize;
  if (min > max) {
    errors.push({
      path: "ring_hash_lb_config",
      message: `ring hash: minimum_ring_size (${min}) > maximum_ring_size (${max}) (an unset size is Envoy's default, 1024 / 8388608)`,
    });
  }
}

/**
 * Envoy's load-time rules that its `(validate.rules)` do not express, for the resource types the
 * bridge sends: no route configuration, virtual host, route or weighted cluster may add, set or
 * remove a pseudo-header or `host` (HeaderParser), and a cluster's ring hash minimum may not exceed
 * its maximum (unset sizes taking Envoy's defaults). Returns every broken rule; empty when none.
 */
export function envoyConfigRuleErrors(message: Message): ValidationError[] {
  const errors: ValidationError[] = [];
  switch (message.$typeName) {
    case "envoy.config.route.v3.RouteConfiguration": {
      const config = message as RouteConfiguration;
      headerErrors(config, "", errors);
      for (const [i, host] of config.virtualHosts.entries()) virtualHostErrors(host, `virtual_hosts[${i}].`, errors);
      break;
    }
    case "envoy.config.route.v3.VirtualHost":
      virtualHostErrors(message as VirtualHost, "", errors);
      break;
    case "envoy.config.cluster.v3.Cluster":
      clusterErrors(message as Cluster, errors);
      break;
  }
  return errors;
}
