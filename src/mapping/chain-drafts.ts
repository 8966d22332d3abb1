import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { clusterType, endpointType } from "../resource-types/index.js";
import type { ResourceDraft } from "./client-kind-builder.js";

/** The drafts of a chain's target clusters, each followed by its assignment (same name: cluster → assignment). */
export function chainDrafts(clusters: readonly Cluster[], assignments: readonly ClusterLoadAssignment[]): ResourceDraft[] {
  const byName = new Map(assignments.map((assignment) => [assignment.clusterName, assignment]));
  return clusters.flatMap((cluster): ResourceDraft[] => {
    const assignment = byName.get(cluster.name);
    if (!assignment) return [{ typeUrl: clusterType, name: cluster.name, message: cluster, references: [] }];
    return [
      { typeUrl: clusterType, name: cluster.name, message: cluster, references: [cluster.name] },
      { typeUrl: endpointType, name: cluster.name, message: assignment, references: [] },
    ];
  });
}
