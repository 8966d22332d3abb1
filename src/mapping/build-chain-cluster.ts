import { create } from "@bufbuild/protobuf";
import type { ChainTarget } from "../discovery-chain/index.js";
import { CircuitBreakersSchema } from "../gen/envoy/config/cluster/v3/circuit_breaker_pb.js";
import {
  type Cluster,
  Cluster_LbPolicy,
  Cluster_LeastRequestLbConfigSchema,
  Cluster_RingHashLbConfigSchema,
} from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { OutlierDetectionSchema } from "../gen/envoy/config/cluster/v3/outlier_detection_pb.js";
import type { ConfigEntryKey, UpstreamConfig } from "../model/config-entry.js";
import { buildCluster } from "./build-cluster.js";
import type { ClientKind } from "./client-kind.js";
import type { MappingWarning } from "./mapping-warning.js";
import { protoDuration } from "./proto-duration.js";
import type { LbPolicyName, ServiceSettings } from "./service-settings.js";

/** Input of {@link buildChainCluster}. */
export interface ChainClusterInput {
  /** The chain's service (warnings name it). */
  readonly owner: string;
  readonly name: string;
  readonly kind: ClientKind;
  readonly target: ChainTarget;
  /** The settings of the target's service (Service Meta, with the chain's protocol applied). */
  readonly settings: ServiceSettings;
  /** Where the target's `UpstreamConfig` came from (the downstream's service-defaults), for warnings. */
  readonly upstreamSource: ConfigEntryKey;
}

const bridgePolicies: ReadonlySet<string> = new Set(["round_robin", "least_request", "ring_hash", "random"]);

/**
 * Builds the EDS cluster of a chain target for one client kind: the target's connect timeout and
 * load balancer (Envoy: every Consul policy, ring-hash and least-request settings; gRPC clients:
 * round_robin or ring_hash — maglev becomes ring_hash, the others round_robin, with a warning), and
 * the downstream's `UpstreamConfig`: `Limits` as circuit breakers (gRPC: `max_requests` only, gRFC
 * A32) and `PassiveHealthCheck` as outlier detection (Envoy only: gRPC ejects by success rate or
 * failure percentage, gRFC A50, never by consecutive failures, so it is left out with a warning).
 */
export function buildChainCluster(input: ChainClusterInput): { cluster: Cluster; warnings: MappingWarning[] } {
  const { target, kind, owner } = input;
  const warnings: MappingWarning[] = [];
  const leaveOut = (field: string, reason: string): void => {
    warnings.push({
      service: owner,
      clientKind: kind,
      code: "unsupported-for-grpc",
      message: `${field}: ${reason}; left out for gRPC clients`,
    });
  };
  const lb = target.loadBalancer;
  const resolver = target.resolver ?? "service-resolver";
  const policy = lb?.policy ?? "";
  let lbPolicy: LbPolicyName = input.settings.lbPolicy;
  if (policy !== "") {
    if (bridgePolicies.has(policy)) lbPolicy = policy as LbPolicyName;
    else if (policy === "maglev") lbPolicy = "ring_hash";
  }
  if (kind === "grpc" && policy === "maglev")
    leaveOut(`${resolver} LoadBalancer.Policy`, "gRPC clients have no maglev (gRFC A42 defines ring_hash); ring_hash is used");
  const settings: ServiceSettings = {
    ...input.settings,
    lbPolicy,
    connectTimeoutMs: target.connectTimeoutMs ?? input.settings.connectTimeoutMs,
  };
  const built = buildCluster({ service: owner, name: input.name, kind, settings });
  warnings.push(...built.warnings);
  const cluster = built.cluster;
  if (kind === "envoy" && policy === "maglev") cluster.lbPolicy = Cluster_LbPolicy.MAGLEV;
  if (cluster.lbPolicy === Cluster_LbPolicy.RING_HASH && lb?.ringHash) {
    const sizes = ringSizes(lb.ringHash, `${resolver} LoadBalancer.RingHashConfig`, (message) =>
      warnings.push({ service: owner, clientKind: kind, code: "ignored-config-entry", message }),
    );
    if (sizes) cluster.lbConfig = { case: "ringHashLbConfig", value: create(Cluster_RingHashLbConfigSchema, sizes) };
  }
  const choiceCount = lb?.leastRequest?.choiceCount;
  if (kind === "envoy" && cluster.lbPolicy === Cluster_LbPolicy.LEAST_REQUEST && choiceCount !== undefined) {
    const count = Math.min(Math.floor(choiceCount), 0xffff_ffff);
    if (count >= 2) {
      cluster.lbConfig = { case: "leastRequestLbConfig", value: create(Cluster_LeastRequestLbConfigSchema, { choiceCount: count }) };
    } else {
      warnings.push({
        service: owner,
        clientKind: kind,
        code: "ignored-config-entry",
        message: `${resolver} LoadBalancer.LeastRequestConfig.ChoiceCount: ${choiceCount} is below 2, which Envoy refuses; left out (Envoy's default, 2, applies)`,
      });
    }
  }
  applyUpstream(cluster, target.upstream, input, warnings, leaveOut);
  return { cluster, warnings };
}

/** Envoy's (and gRPC's) ring sizes: the default minimum, the default and largest maximum. */
const ring = { defaultMinimum: 1024, defaultMaximum: 8_388_608 };

/**
 * The ring sizes of a `RingHashConfig` that Envoy and gRPC clients accept: a size above 8,388,608
 * (Envoy's and gRPC's cap) is left out, and a minimum above the maximum (unset sizes taking the
 * defaults, 1024 and 8,388,608) leaves both out — each with a warning, as Consul would send them
 * and every client would refuse the cluster. Undefined: no ring settings at all (the defaults).
 */
function ringSizes(
  config: { readonly minimumRingSize?: number; readonly maximumRingSize?: number },
  where: string,
  warn: (message: string) => void,
): { minimumRingSize?: bigint; maximumRingSize?: bigint } | undefined {
  const size = (field: string, value: number | undefined): number | undefined => {
    if (value === undefined || value <= 0) return undefined;
    const whole = Math.floor(value);
    if (whole <= ring.defaultMaximum) return whole;
    warn(`${where}.${field}: ${whole} is above ${ring.defaultMaximum}, the largest ring Envoy and gRPC clients accept; left out`);
    return undefined;
  };
  const minimum = size("MinimumRingSize", config.minimumRingSize);
  const maximum = size("MaximumRingSize", config.maximumRingSize);
  if ((minimum ?? ring.defaultMinimum) > (maximum ?? ring.defaultMaximum)) {
    warn(
      `${where}: MinimumRingSize ${minimum ?? `${ring.defaultMinimum} (the default)`} is above MaximumRingSize ${maximum ?? ring.defaultMaximum}, which Envoy and gRPC clients refuse; left out (the default ring sizes apply)`,
    );
    return undefined;
  }
  if (minimum === undefined && maximum === undefined) return undefined;
  return {
    ...(minimum !== undefined ? { minimumRingSize: BigInt(minimum) } : {}),
    ...(maximum !== undefined ? { maximumRingSize: BigInt(maximum) } : {}),
  };
}

function applyUpstream(
  cluster: Cluster,
  upstream: UpstreamConfig | undefined,
  input: ChainClusterInput,
  warnings: MappingWarning[],
  leaveOut: (field: string, reason: string) => void,
): void {
  if (!upstream) return;
  const source = `${input.upstreamSource} UpstreamConfig`;
  const limits = upstream.limits;
  if (limits) {
    const uint32 = (value: number | undefined): number | undefined =>
      value === undefined ? undefined : Math.min(Math.floor(value), 0xffff_ffff);
    if (input.kind === "grpc") {
      if (limits.maxConnections !== undefined || limits.maxPendingRequests !== undefined) {
        leaveOut(
          `${source}.Limits.MaxConnections/MaxPendingRequests`,
          "gRPC clients limit concurrent requests only (gRFC A32 reads max_requests)",
        );
      }
      if (limits.maxConcurrentRequests !== undefined) {
        cluster.circuitBreakers = create(CircuitBreakersSchema, { thresholds: [{ maxRequests: uint32(limits.maxConcurrentRequests) }] });
      }
    } else {
      cluster.circuitBreakers = create(CircuitBreakersSchema, {
        thresholds: [
          {
            maxConnections: uint32(limits.maxConnections),
            maxPendingRequests: uint32(limits.maxPendingRequests),
            maxRequests: uint32(limits.maxConcurrentRequests),
          },
        ],
      });
    }
  }
  const check = upstream.passiveHealthCheck;
  if (check) {
    if (input.kind === "grpc") {
      leaveOut(
        `${source}.PassiveHealthCheck`,
        "gRPC clients eject by success rate or failure percentage (gRFC A50), not after consecutive failures",
      );
    } else {
      const percent = (field: string, value: number | undefined): number | undefined => {
        if (value === undefined) return undefined;
        if (value <= 100) return Math.floor(value);
        warnings.push({
          service: input.owner,
          clientKind: "envoy",
          code: "ignored-config-entry",
          message: `${source}.PassiveHealthCheck.${field}: ${value} is above 100 percent; ignored`,
        });
        return undefined;
      };
      const duration = (ms: number | undefined) => {
        const value = ms === undefined ? undefined : protoDuration(ms);
        return value && (value.seconds > 0n || value.nanos > 0) ? value : undefined;
      };
      const maxEjectionPercent = percent("MaxEjectionPercent", check.maxEjectionPercent);
      const enforcingConsecutive5xx = percent("EnforcingConsecutive5xx", check.enforcingConsecutive5xx);
      cluster.outlierDetection = create(OutlierDetectionSchema, {
        ...(check.maxFailures !== undefined && check.maxFailures > 0
          ? { consecutive5xx: Math.min(Math.floor(check.maxFailures), 0xffff_ffff) }
          : {}),
        interval: duration(check.intervalMs),
        baseEjectionTime: duration(check.baseEjectionTimeMs),
        maxEjectionPercent,
        enforcingConsecutive5xx,
      });
    }
  }
  if (upstream.balanceOutboundConnections !== undefined && upstream.balanceOutboundConnections !== "") {
    warnings.push({
      service: input.owner,
      clientKind: input.kind,
      code: "ignored-config-entry",
      message: `${source}.BalanceOutboundConnections: balances an outbound listener's connections across Envoy worker threads; the bridge's clients have no per-upstream listener, so it is not applied`,
    });
  }
}
