import type { ChainTarget } from "../discovery-chain/index.js";
import { resourceNameFor } from "./resource-names.js";

/**
 * The name of the cluster (and assignment) a chain gives one of its targets. Each chain owns the
 * clusters of its targets, so a target of another service is named after the chain too and nothing
 * is shared between chains:
 * - `<owner>` for the owner's own default target (the same name as plain routing uses);
 * - `<owner>:<subset>` for a subset of the owner in the local datacenter (`greeter:v2`);
 * - `<owner>:<subset>:<service>:<datacenter>` otherwise (`web::api:dc1`, `web:v1:web:dc2`).
 * Parts are resource names (escaped) and subset names (DNS labels), none of which holds `:`, so the
 * name never collides with a service's and the two forms cannot be confused.
 */
export function chainClusterName(
  owner: string,
  target: Pick<ChainTarget, "service" | "subset" | "datacenter">,
  localDatacenter: string,
): string {
  const ownerName = resourceNameFor(owner);
  if (target.service === owner && target.datacenter === localDatacenter) {
    return target.subset === undefined ? ownerName : `${ownerName}:${target.subset}`;
  }
  return `${ownerName}:${target.subset ?? ""}:${resourceNameFor(target.service)}:${resourceNameFor(target.datacenter)}`;
}
