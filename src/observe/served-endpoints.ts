import { fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { ClusterSchema } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { HealthStatus } from "../gen/envoy/config/core/v3/health_check_pb.js";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { resourceNameFor } from "../mapping/index.js";
import { clusterType, endpointType, type Snapshot } from "../snapshot/index.js";

/** A service's endpoints as a client receives them. */
export interface ServedEndpoints {
  /** "ip:port" (or "host:port" for a DNS cluster), with " (unknown health)" for fail-open ones, sorted. */
  readonly endpoints: readonly string[];
}

/**
 * Reads the endpoints of `service` from a published snapshot — what clients were actually sent, not
 * what the model suggests: its ClusterLoadAssignment (EDS), or the inline assignment of a DNS
 * cluster. A service with no resource in the snapshot has no endpoints.
 */
export function servedEndpoints(snapshot: Snapshot | undefined, service: string): ServedEndpoints {
  if (!snapshot) return { endpoints: [] };
  const name = resourceNameFor(service);
  const eds = snapshot.get(endpointType).resources.get(name);
  let assignment: ClusterLoadAssignment | undefined;
  if (eds) assignment = fromBinary(ClusterLoadAssignmentSchema, fromBinary(AnySchema, eds.any).value);
  else {
    const cds = snapshot.get(clusterType).resources.get(name);
    if (cds) assignment = fromBinary(ClusterSchema, fromBinary(AnySchema, cds.any).value).loadAssignment;
  }
  const endpoints: string[] = [];
  for (const locality of assignment?.endpoints ?? []) {
    for (const lb of locality.lbEndpoints) {
      const address = lb.hostIdentifier.case === "endpoint" ? lb.hostIdentifier.value.address?.address : undefined;
      if (address?.case !== "socketAddress") continue;
      const { address: host, portSpecifier } = address.value;
      const port = portSpecifier.case === "portValue" ? portSpecifier.value : "?";
      const text = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      endpoints.push(lb.healthStatus === HealthStatus.UNKNOWN ? `${text} (unknown health)` : text);
    }
  }
  return { endpoints: endpoints.sort() };
}
