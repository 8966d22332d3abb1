import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  type Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
  Cluster_LbPolicy,
  ClusterSchema,
} from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { ApiVersion } from "../gen/envoy/config/core/v3/config_source_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { HttpProtocolOptionsSchema } from "../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import type { ClientKind } from "./client-kind.js";
import type { MappingWarning } from "./mapping-warning.js";
import { protoDuration } from "./proto-duration.js";
import type { LbPolicyName, ServiceSettings } from "./service-settings.js";

/** Input of {@link buildCluster}. */
export interface ClusterInput {
  /** The Consul service name (for warnings). */
  readonly service: string;
  readonly name: string;
  readonly kind: ClientKind;
  readonly settings: ServiceSettings;
  /**
   * Envoy only: the hostname endpoints of a STRICT_DNS cluster, inline. Absent: an EDS cluster whose
   * ClusterLoadAssignment (named like the cluster) comes over ADS.
   */
  readonly dnsAssignment?: ClusterLoadAssignment;
}

/** The key Envoy reads upstream HTTP options under in `typed_extension_protocol_options`. */
export const httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

const envoyLbPolicies: Readonly<Record<LbPolicyName, Cluster_LbPolicy>> = {
  round_robin: Cluster_LbPolicy.ROUND_ROBIN,
  least_request: Cluster_LbPolicy.LEAST_REQUEST,
  ring_hash: Cluster_LbPolicy.RING_HASH,
  random: Cluster_LbPolicy.RANDOM,
};

/**
 * Builds the Cluster of a service for one client kind: EDS over ADS (resource API V3), or for Envoy
 * a STRICT_DNS cluster (V4_PREFERRED) with an inline load assignment; lb_policy from the settings —
 * gRPC clients accept only ROUND_ROBIN and RING_HASH, so other policies fall back to ROUND_ROBIN with
 * a warning; connect timeout; and, for Envoy with http2/grpc upstreams, explicit HTTP/2 protocol options.
 */
export function buildCluster(input: ClusterInput): { cluster: Cluster; warnings: MappingWarning[] } {
  const { settings, kind } = input;
  const warnings: MappingWarning[] = [];
  let lbPolicy = envoyLbPolicies[settings.lbPolicy];
  if (kind === "grpc" && lbPolicy !== Cluster_LbPolicy.ROUND_ROBIN && lbPolicy !== Cluster_LbPolicy.RING_HASH) {
    warnings.push({
      service: input.service,
      clientKind: "grpc",
      code: "unsupported-lb-policy",
      message: `gRPC clients do not support lb policy ${settings.lbPolicy}; using round_robin for them`,
    });
    lbPolicy = Cluster_LbPolicy.ROUND_ROBIN;
  }
  const connectTimeout = protoDuration(settings.connectTimeoutMs);
  const cluster =
    input.dnsAssignment && kind === "envoy"
      ? create(ClusterSchema, {
          name: input.name,
          clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.STRICT_DNS },
          dnsLookupFamily: Cluster_DnsLookupFamily.V4_PREFERRED,
          loadAssignment: input.dnsAssignment,
          connectTimeout,
          lbPolicy,
        })
      : create(ClusterSchema, {
          name: input.name,
          clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
          edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 } },
          connectTimeout,
          lbPolicy,
        });
  if (kind === "envoy" && settings.protocol !== "http1") {
    const options = create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: { case: "explicitHttpConfig", value: { protocolConfig: { case: "http2ProtocolOptions", value: {} } } },
    });
    cluster.typedExtensionProtocolOptions = { [httpProtocolOptionsKey]: anyPack(HttpProtocolOptionsSchema, options) };
  }
  return { cluster, warnings };
}
