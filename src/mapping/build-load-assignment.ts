import { create } from "@bufbuild/protobuf";
import { HealthStatus } from "../gen/envoy/config/core/v3/health_check_pb.js";
import {
  LbEndpointSchema,
  type LocalityLbEndpoints,
  LocalityLbEndpointsSchema,
} from "../gen/envoy/config/endpoint/v3/endpoint_components_pb.js";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { type HealthPolicy, routability } from "../model/health-policy.js";
import type { ServiceInstance } from "../model/service-instance.js";
import type { MappingWarning } from "./mapping-warning.js";

/** An instance whose address is usable by the cluster, with that address in canonical form. */
export interface EndpointCandidate {
  readonly instance: ServiceInstance;
  readonly address: string;
}

/** Input of {@link buildLoadAssignment}. */
export interface LoadAssignmentInput {
  /** The Consul service name (for warnings). */
  readonly service: string;
  readonly clusterName: string;
  /** Candidates per datacenter, local datacenter first, then failover datacenters in order. */
  readonly datacenters: readonly { readonly datacenter: string; readonly candidates: readonly EndpointCandidate[] }[];
  readonly policy: HealthPolicy;
  /** Node-meta key read for the locality zone. */
  readonly zoneMetaKey: string;
  /** Serve non-maintenance instances with UNKNOWN health when none is routable. */
  readonly failOpen: boolean;
}

/** Output of {@link buildLoadAssignment}. */
export interface LoadAssignmentResult {
  readonly assignment: ClusterLoadAssignment;
  readonly warnings: MappingWarning[];
  /** Number of endpoints in the assignment. */
  readonly endpoints: number;
  /** True when the assignment holds fail-open (UNKNOWN) endpoints. */
  readonly failedOpen: boolean;
}

const UINT32_MAX = 0xffff_ffff;

interface Included {
  readonly candidate: EndpointCandidate;
  readonly weight: number;
  readonly health: HealthStatus;
}

/**
 * Builds a ClusterLoadAssignment from routable instances (via `routability`, Consul's weight
 * mapping): endpoints HEALTHY with their weight; one locality per (datacenter, zone) with a weight
 * equal to the sum of its endpoint weights (so locality-weighted clients such as gRPC split traffic
 * like a flat weighted pick would; capped so a priority's total stays within uint32). Datacenters
 * with at least one endpoint get priorities 0, 1, 2… in their given order — contiguous, with no gap
 * for a datacenter that has none. An address:port already included is skipped with a warning (first
 * in priority order wins). With nothing routable the assignment is empty, unless `failOpen`: then
 * every instance not in maintenance is included with UNKNOWN health and weight 1.
 */
export function buildLoadAssignment(input: LoadAssignmentInput): LoadAssignmentResult {
  const warnings: MappingWarning[] = [];
  let perDc = input.datacenters.map(({ datacenter, candidates }) => ({
    datacenter,
    included: candidates.flatMap((candidate): Included[] => {
      const verdict = routability(candidate.instance, input.policy);
      return verdict.routable ? [{ candidate, weight: verdict.weight, health: HealthStatus.HEALTHY }] : [];
    }),
  }));
  let failedOpen = false;
  if (input.failOpen && perDc.every((dc) => dc.included.length === 0)) {
    perDc = input.datacenters.map(({ datacenter, candidates }) => ({
      datacenter,
      included: candidates
        .filter((candidate) => candidate.instance.health.maintenance === "none")
        .map((candidate) => ({ candidate, weight: 1, health: HealthStatus.UNKNOWN })),
    }));
    failedOpen = perDc.some((dc) => dc.included.length > 0);
    if (failedOpen) {
      const count = perDc.reduce((sum, dc) => sum + dc.included.length, 0);
      warnings.push({
        service: input.service,
        code: "fail-open",
        message: `no routable instance: failing open to ${count} instance(s) not in maintenance, with UNKNOWN health`,
      });
    }
  }

  const seen = new Map<string, ServiceInstance>();
  const groups: LocalityLbEndpoints[] = [];
  let endpoints = 0;
  let priority = 0;
  for (const { datacenter, included } of perDc) {
    const localities = new Map<string, { region: string; zone: string; members: Included[] }>();
    for (const member of included) {
      const { instance, address } = member.candidate;
      const key = `${address.toLowerCase()}\u0000${instance.port}`;
      const first = seen.get(key);
      if (first) {
        warnings.push({
          service: input.service,
          instance: instance.id,
          datacenter,
          code: "duplicate-address",
          message: `instance ${instance.id} on ${instance.node} has address ${address}:${instance.port}, already used by instance ${first.id} on ${first.node}; skipped`,
        });
        continue;
      }
      seen.set(key, instance);
      const region = instance.datacenter || datacenter;
      const zone = instance.nodeMeta[input.zoneMetaKey] ?? "";
      const localityKey = `${region}\u0000${zone}`;
      let locality = localities.get(localityKey);
      if (!locality) localities.set(localityKey, (locality = { region, zone, members: [] }));
      locality.members.push(member);
    }
    if (localities.size === 0) continue;
    const cap = Math.max(1, Math.floor(UINT32_MAX / localities.size));
    for (const { region, zone, members } of localities.values()) {
      let sum = 0;
      for (const member of members) sum += member.weight;
      endpoints += members.length;
      groups.push(
        create(LocalityLbEndpointsSchema, {
          locality: { region, zone },
          loadBalancingWeight: Math.min(sum, cap),
          priority,
          lbEndpoints: members.map(({ candidate, weight, health }) =>
            create(LbEndpointSchema, {
              hostIdentifier: {
                case: "endpoint",
                value: {
                  address: {
                    address: {
                      case: "socketAddress",
                      value: { address: candidate.address, portSpecifier: { case: "portValue", value: candidate.instance.port } },
                    },
                  },
                },
              },
              healthStatus: health,
              loadBalancingWeight: weight,
            }),
          ),
        }),
      );
    }
    priority += 1;
  }
  const assignment = create(ClusterLoadAssignmentSchema, { clusterName: input.clusterName, endpoints: groups });
  return { assignment, warnings, endpoints, failedOpen };
}
