import type { Duration } from "@bufbuild/protobuf/wkt";
import {
  type Cluster,
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
  Cluster_RingHashLbConfig_HashFunction,
} from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { grpcTypeUrls } from "./grpc-type-urls.js";
import { readStringFields } from "./read-string-fields.js";
import { toValidationResult, type ValidationError, type ValidationResult } from "./validation-result.js";

// Mirrors @grpc/grpc-js-xds 1.14.1 src/xds-resource-type/cluster-resource-type.ts
// (ClusterResourceType.validateResource, validateNonnegativeDuration, validatePercentage) and
// src/lb-policy-registry.ts (convertToLoadBalancingConfig), with its defaults: custom LB config,
// ring hash and outlier detection on; pick_first and client-side WRR LB policies off.

/** LB policy extension type URLs `register()` makes convertible (lb-policy-registry/*, load-balancer-ring-hash.ts, load-balancer-xds-wrr-locality.ts). */
const REGISTERED_LB_POLICIES: ReadonlySet<string> = new Set([
  grpcTypeUrls.roundRobin,
  grpcTypeUrls.ringHash,
  grpcTypeUrls.wrrLocality,
  grpcTypeUrls.typedStructXds,
  grpcTypeUrls.typedStructUdpa,
]);
const MAX_RING_SIZE = 8_388_608n;
const MAX_DURATION_SECONDS = 315_576_000_000;

function nonnegativeDuration(duration: Duration | undefined): boolean {
  if (!duration) return true;
  const seconds = Number(duration.seconds);
  return seconds >= 0 && seconds <= MAX_DURATION_SECONDS && duration.nanos >= 0 && duration.nanos <= 999_999_999;
}

function percentage(value: number | undefined): boolean {
  return value === undefined || (value >= 0 && value <= 100);
}

function enumName(names: Record<number, string>, value: number): string {
  return names[value] ?? String(value);
}

function loadBalancingErrors(cluster: Cluster, errors: ValidationError[]): void {
  if (cluster.loadBalancingPolicy) {
    // The first policy with a registered type URL is used; its own conversion is not mirrored here.
    const usable = cluster.loadBalancingPolicy.policies.some((policy) => {
      const url = policy.typedExtensionConfig?.typedConfig?.typeUrl;
      return url !== undefined && REGISTERED_LB_POLICIES.has(url);
    });
    if (!usable) {
      errors.push({
        path: "load_balancing_policy",
        message: "load_balancing_policy parsing failed with error No registered LB policy found in list",
      });
    }
    return;
  }
  if (cluster.lbPolicy === Cluster_LbPolicy.ROUND_ROBIN) return;
  if (cluster.lbPolicy === Cluster_LbPolicy.RING_HASH) {
    const ringHash = cluster.lbConfig.case === "ringHashLbConfig" ? cluster.lbConfig.value : undefined;
    if (ringHash && ringHash.hashFunction !== Cluster_RingHashLbConfig_HashFunction.XX_HASH) {
      errors.push({
        path: "ring_hash_lb_config.hash_function",
        message: `unsupported ring_hash_lb_config.hash_function: ${enumName(Cluster_RingHashLbConfig_HashFunction, ringHash.hashFunction)}`,
      });
    }
    const min = ringHash?.minimumRingSize ? BigInt(ringHash.minimumRingSize) : 1024n;
    if (min > MAX_RING_SIZE)
      errors.push({ path: "ring_hash_lb_config.minimum_ring_size", message: `ring_hash_lb_config.minimum_ring_size is too large: ${min}` });
    const max = ringHash?.maximumRingSize ? BigInt(ringHash.maximumRingSize) : MAX_RING_SIZE;
    if (max > MAX_RING_SIZE)
      errors.push({ path: "ring_hash_lb_config.maximum_ring_size", message: `ring_hash_lb_config.maximum_ring_size is too large: ${max}` });
    // grpc-js caps the ring at the maximum instead, but gRPC C-core's cluster parser refuses it (bridge rule: both clients).
    if (min > max)
      errors.push({
        path: "ring_hash_lb_config",
        message: `max_ring_size cannot be smaller than min_ring_size (${max} < ${min}; gRPC C-core)`,
      });
    return;
  }
  errors.push({
    path: "lb_policy",
    message: `load_balancing_policy unset and unsupported lb_policy: ${enumName(Cluster_LbPolicy, cluster.lbPolicy)}`,
  });
}

function outlierDetectionErrors(cluster: Cluster, errors: ValidationError[]): void {
  const od = cluster.outlierDetection;
  if (!od) return;
  const durations = [
    ["interval", od.interval],
    ["base_ejection_time", od.baseEjectionTime],
    ["max_ejection_time", od.maxEjectionTime],
  ] as const;
  for (const [name, value] of durations) {
    if (!nonnegativeDuration(value)) errors.push({ path: `outlier_detection.${name}`, message: `outlier_detection.${name} out of range` });
  }
  const percentages = [
    ["max_ejection_percent", od.maxEjectionPercent],
    ["enforcing_success_rate", od.enforcingSuccessRate],
    ["failure_percentage_threshold", od.failurePercentageThreshold],
    ["enforcing_failure_percentage", od.enforcingFailurePercentage],
  ] as const;
  for (const [name, value] of percentages) {
    if (!percentage(value)) errors.push({ path: `outlier_detection.${name}`, message: `outlier_detection.${name} out of range` });
  }
}

function discoveryErrors(cluster: Cluster, errors: ValidationError[]): void {
  const discovery = cluster.clusterDiscoveryType;
  if (discovery.case === "clusterType") {
    const config = discovery.value.typedConfig;
    if (!config) {
      errors.push({ path: "cluster_type.typed_config", message: "cluster_type.typed_config unset" });
    } else if (config.typeUrl !== grpcTypeUrls.aggregateClusterConfig) {
      errors.push({ path: "cluster_type.typed_config", message: `Unexpected cluster_type.typed_config.type_url: ${config.typeUrl}` });
    } else {
      let clusters: string[] | undefined;
      try {
        clusters = readStringFields(config.value, 1);
      } catch (error) {
        errors.push({ path: "cluster_type.typed_config", message: `cannot decode ClusterConfig: ${(error as Error).message}` });
      }
      if (clusters?.length === 0)
        errors.push({ path: "cluster_type.typed_config.clusters", message: "cluster_type.typed_config.clusters.length == 0" });
    }
    return;
  }
  // An unset discovery type reads as STATIC (the enum's zero), as in grpc-js.
  const type = discovery.case === "type" ? discovery.value : Cluster_DiscoveryType.STATIC;
  if (type === Cluster_DiscoveryType.EDS) {
    const eds = cluster.edsClusterConfig;
    if (!eds) {
      errors.push({ path: "eds_cluster_config", message: "type == EDS but eds_cluster_config is unset" });
      return;
    }
    const source = eds.edsConfig?.configSourceSpecifier.case;
    if (source !== "ads" && source !== "self") {
      errors.push({
        path: "eds_cluster_config.eds_config",
        message: "eds_cluster_config.eds_config.ads and eds_cluster_config.eds_config.self both unset",
      });
    }
    if (cluster.name.startsWith("xdstp:") && eds.serviceName === "") {
      errors.push({
        path: "eds_cluster_config.service_name",
        message: 'name starts with "xdstp:" and eds_cluster_config.service_name is empty',
      });
    }
    return;
  }
  if (type === Cluster_DiscoveryType.LOGICAL_DNS) {
    const assignment = cluster.loadAssignment;
    if (!assignment) {
      errors.push({ path: "load_assignment", message: "load_assignment unset" });
    } else if (assignment.endpoints.length !== 1) {
      errors.push({ path: "load_assignment.endpoints", message: `load_assignment.endpoints.length == ${assignment.endpoints.length}` });
    } else if (assignment.endpoints[0]!.lbEndpoints.length !== 1) {
      errors.push({
        path: "load_assignment.endpoints[0].lb_endpoints",
        message: `load_assignment.endpoints[0].lb_endpoints.length == ${assignment.endpoints[0]!.lbEndpoints.length}`,
      });
    } else {
      const host = assignment.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
      const address = host.case === "endpoint" ? host.value.address?.address : undefined;
      const path = "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address";
      if (address?.case !== "socketAddress") {
        errors.push({ path, message: "socket_address is not set" });
      } else {
        if (address.value.address === "") errors.push({ path: `${path}.address`, message: "address is empty" });
        if (address.value.portSpecifier.case !== "portValue")
          errors.push({ path: `${path}.port_value`, message: "Unsupported port_specifier: port_value unset" });
      }
    }
    return;
  }
  errors.push({ path: "type", message: `Unsupported type ${enumName(Cluster_DiscoveryType, type)}` });
}

/**
 * Checks a Cluster bound for proxyless gRPC clients against what @grpc/grpc-js-xds 1.14.1 accepts
 * (gRFC A27/A42/A50): lb_policy ROUND_ROBIN or RING_HASH (XX_HASH, ring ≤ 8M, and — for gRPC
 * C-core — minimum ≤ maximum) or a registered
 * load_balancing_policy; lrs_server self; outlier detection ranges; EDS over ADS/self, LOGICAL_DNS
 * with one inline endpoint, or an aggregate cluster. TLS transport sockets are not supported here.
 */
export function validateGrpcCluster(cluster: Cluster): ValidationResult {
  const errors: ValidationError[] = [];
  loadBalancingErrors(cluster, errors);
  if (cluster.lrsServer && cluster.lrsServer.configSourceSpecifier.case !== "self") {
    errors.push({ path: "lrs_server", message: "lrs_server set but lrs_server.self unset" });
  }
  outlierDetectionErrors(cluster, errors);
  if (cluster.transportSocket) {
    // grpc-js checks an UpstreamTlsContext against its bootstrap's certificate providers; the bridge
    // sends gRPC clients plaintext clusters, so any transport socket is refused here (bridge rule).
    errors.push({
      path: "transport_socket",
      message: "transport_socket is not supported for gRPC-bound clusters by this bridge (bridge rule)",
    });
  }
  discoveryErrors(cluster, errors);
  return toValidationResult(errors);
}
