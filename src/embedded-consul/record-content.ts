import type { CheckRecord, HealthEntry, NodeRecord, NodeSpec, ServiceRecord, ServiceSpec } from "./catalog-records.js";

/** The key of one instance (or, with id "", of a node's own checks) in the per-node indexes. */
export function serviceKey(node: string, id: string): string {
  return `${node}\u0000${id}`;
}

/** Consul's order of instances: by node, then service ID. */
export function byNodeThenId(a: ServiceRecord, b: ServiceRecord): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Plain string order, as Go sorts names. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Consul's order of checks: by node, then check ID. */
export function byNodeThenCheck(a: CheckRecord, b: CheckRecord): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : 0;
}

/** What identifies a node's content: a write with the same content changes nothing. */
export function nodeContent(spec: Required<NodeSpec>): string {
  return JSON.stringify([spec.name, spec.address, spec.id, spec.taggedAddresses, spec.meta]);
}

/** What identifies a service instance's content. */
export function serviceContent(spec: ServiceSpec): string {
  return JSON.stringify([
    spec.id,
    spec.name,
    spec.kind,
    spec.tags,
    spec.address,
    spec.taggedAddresses,
    spec.meta,
    spec.port,
    spec.weights,
    spec.enableTagOverride,
    spec.proxy ?? null,
  ]);
}

/** What identifies a check's content (status and output included). */
export function checkContent(check: Omit<CheckRecord, "node" | "createIndex" | "modifyIndex">): string {
  return JSON.stringify([
    check.checkId,
    check.name,
    check.status,
    check.notes,
    check.output,
    check.serviceId,
    check.serviceName,
    check.serviceTags,
    check.type,
    check.interval,
    check.timeout,
    check.ttlMs ?? null,
    check.definition ?? null,
  ]);
}

/** Rewrites every record of `map` with both indexes at 1, as an index reset (a restored snapshot) leaves them. */
export function reindexAll<K, T extends { readonly createIndex: number; readonly modifyIndex: number }>(map: Map<K, T>): void {
  for (const [key, record] of map) map.set(key, { ...record, createIndex: 1, modifyIndex: 1 });
}

/** The tags of some instances of one service, deduplicated and sorted (what `/v1/catalog/services` lists). */
export function tagUnionOf(services: Iterable<ServiceRecord>): readonly string[] {
  const set = new Set<string>();
  for (const service of services) for (const tag of service.tags) set.add(tag);
  return [...set].sort();
}

/**
 * The health entries of some instances, sorted by node then ID: each with its node and its checks
 * (the node's own and the instance's, found through `checksByService`, never by scanning the node).
 */
export function healthEntriesOf(
  services: Iterable<ServiceRecord>,
  nodes: ReadonlyMap<string, NodeRecord>,
  nodeChecks: ReadonlyMap<string, ReadonlyMap<string, CheckRecord>>,
  checksByService: ReadonlyMap<string, ReadonlySet<string>>,
): HealthEntry[] {
  const records: HealthEntry[] = [];
  for (const service of [...services].sort(byNodeThenId)) {
    const node = nodes.get(service.node);
    const all = nodeChecks.get(service.node);
    if (!node) continue;
    const ids = [
      ...(checksByService.get(serviceKey(service.node, "")) ?? []),
      ...(checksByService.get(serviceKey(service.node, service.id)) ?? []),
    ];
    const checks = ids.flatMap((id) => all?.get(id) ?? []).sort(byNodeThenCheck);
    records.push({ node, service, checks });
  }
  return records;
}
