import { parentChildTypes, resourceType, type XdsTypeUrl } from "../resource-types/index.js";
import type { Snapshot } from "./snapshot.js";

/**
 * Checks that a snapshot hangs together before it is published: every ClusterLoadAssignment belongs
 * to a cluster and every cluster's assignment exists; every RouteConfiguration belongs to a listener
 * and every listener's route configuration exists. Returns one message per problem (empty: consistent).
 */
export function checkSnapshotConsistency(snapshot: Snapshot): string[] {
  return parentChildTypes.flatMap(([parent, child]) =>
    checkPair(snapshot, parent, child, resourceType(parent).schema.name.toLowerCase(), resourceType(child).schema.name),
  );
}

function checkPair(snapshot: Snapshot, parentType: XdsTypeUrl, childType: XdsTypeUrl, parent: string, child: string): string[] {
  const problems: string[] = [];
  const children = snapshot.get(childType).resources;
  const referenced = new Set<string>();
  for (const resource of snapshot.get(parentType).resources.values()) {
    for (const name of resource.references) {
      referenced.add(name);
      if (!children.has(name)) problems.push(`${parent} ${resource.name} needs ${child} ${name}, which is missing`);
    }
  }
  for (const name of children.keys()) {
    if (!referenced.has(name)) problems.push(`${child} ${name} matches no ${parent}`);
  }
  return problems;
}
