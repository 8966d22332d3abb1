/** Topic names a blocking query waits on; a commit names the topics whose index moved. */
export const topics = {
  services: "services",
  checks: "checks",
  nodes: "nodes",
  service: (name: string) => `service:${name}`,
} as const;

/** Called after each commit that changed something (or after an index reset, with `abandon`). */
export type CommitListener = (datacenter: string, topics: readonly string[], abandon: boolean) => void;

/** One write in progress: every change in it gets the same index, as one raft entry in Consul. */
export class CatalogTransaction {
  changed = false;
  servicesTable = false;
  checksTable = false;
  nodesTable = false;
  readonly touched = new Set<string>();

  constructor(readonly index: number) {}
}
