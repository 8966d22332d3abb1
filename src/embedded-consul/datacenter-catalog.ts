import type { CheckRecord, CheckSpec, HealthCache, NodeRecord, NodeSpec, ServiceRecord, ServiceSpec } from "./catalog-records.js";
import { CatalogTransaction, type CommitListener, topics } from "./catalog-transaction.js";
import { CheckListRenderer } from "./check-list-renderer.js";
import { healthEntryJsonText } from "./consul-json.js";
import { checkContent, healthEntriesOf, nodeContent, reindexAll, serviceContent, serviceKey, tagUnionOf } from "./record-content.js";

/**
 * The catalog of one datacenter with Consul's index semantics: one index counter (the raft index),
 * a services-table index (what `/v1/catalog/services` reports; check changes never move it), a
 * checks-table index (`/v1/health/state/*`), and a per-service index (`/v1/health/service/:name`)
 * moved by any write touching that service's instances, their checks, or their nodes' checks.
 * Writes that change nothing move nothing. Reads are cached per index so a wake-up costs only the
 * work for the resource that changed.
 */
export class DatacenterCatalog {
  private lastIndex = 0;
  private servicesTableIndex = 0;
  private checksTableIndex = 0;
  private nodesTableIndex = 0;
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly nodeServices = new Map<string, Map<string, ServiceRecord>>();
  private readonly nodeChecks = new Map<string, Map<string, CheckRecord>>();
  private readonly byName = new Map<string, Map<string, ServiceRecord>>();
  /**
   * `<node>\0<serviceId>` → IDs of that instance's checks (`<node>\0` → the node's own checks), so
   * neither writes nor reads of one instance ever scan every check of a busy node.
   */
  private readonly checksByService = new Map<string, Set<string>>();
  private readonly serviceIndexes = new Map<string, number>();
  private readonly tagUnions = new Map<string, readonly string[]>();
  private catalogServicesCache: { index: number; json: Buffer } | undefined;
  private readonly checkList = new CheckListRenderer(this.nodeChecks);
  private readonly healthCache = new Map<string, HealthCache>();

  constructor(
    readonly name: string,
    private readonly onCommit: CommitListener,
  ) {}

  /** The last index handed out (the raft index of the last change). */
  get index(): number {
    return this.lastIndex;
  }

  /** Runs `fn` as one write; if it changed anything, the write's index is committed and waiters woken. */
  write<T>(fn: (txn: CatalogTransaction) => T): T {
    const txn = new CatalogTransaction(this.lastIndex + 1);
    try {
      return fn(txn);
    } finally {
      this.commit(txn);
    }
  }

  private commit(txn: CatalogTransaction): void {
    if (!txn.changed) return;
    const idx = txn.index;
    this.lastIndex = idx;
    const moved: string[] = [];
    if (txn.servicesTable) {
      this.servicesTableIndex = idx;
      this.catalogServicesCache = undefined;
      moved.push(topics.services);
    }
    if (txn.checksTable) {
      this.checksTableIndex = idx;
      this.checkList.invalidate();
      moved.push(topics.checks);
    }
    if (txn.nodesTable) {
      this.nodesTableIndex = idx;
      moved.push(topics.nodes);
    }
    for (const name of txn.touched) {
      this.serviceIndexes.set(name, idx);
      this.healthCache.delete(name);
      this.tagUnions.delete(name);
      moved.push(topics.service(name));
    }
    this.onCommit(this.name, moved, false);
  }

  /**
   * Rewrites every index to 1 and restarts the counter, as a rebuilt cluster or a restored snapshot
   * does: every index a client holds is now ahead of the server. Every blocking query returns.
   */
  resetIndexes(): void {
    reindexAll(this.nodes);
    for (const services of this.nodeServices.values()) reindexAll(services);
    for (const checks of this.nodeChecks.values()) reindexAll(checks);
    for (const instances of this.byName.values()) {
      for (const [key, service] of instances) instances.set(key, this.nodeServices.get(service.node)?.get(service.id) ?? service);
    }
    // Every name with instances has an entry: each was touched when its first instance was written.
    for (const name of this.serviceIndexes.keys()) this.serviceIndexes.set(name, 1);
    this.lastIndex = 1;
    this.servicesTableIndex = 1;
    this.checksTableIndex = 1;
    this.nodesTableIndex = 1;
    this.catalogServicesCache = undefined;
    this.checkList.invalidate();
    this.healthCache.clear();
    this.onCommit(this.name, [], true);
  }

  // ---- writes (inside write()), then reads ----

  /** Creates or updates a node; a changed node touches every service on it. */
  ensureNode(txn: CatalogTransaction, spec: NodeSpec): NodeRecord {
    const full: Required<NodeSpec> = {
      name: spec.name,
      address: spec.address,
      id: spec.id ?? "",
      taggedAddresses: spec.taggedAddresses ?? {},
      meta: spec.meta ?? {},
    };
    const existing = this.nodes.get(spec.name);
    if (existing && nodeContent(existing) === nodeContent(full)) return existing;
    const record: NodeRecord = {
      ...full,
      datacenter: this.name,
      createIndex: existing?.createIndex ?? txn.index,
      modifyIndex: txn.index,
    };
    this.nodes.set(spec.name, record);
    txn.changed = true;
    txn.nodesTable = true;
    if (existing) this.touchNode(txn, spec.name);
    return record;
  }

  /** Creates or replaces a service instance on an existing node; identical content changes nothing. */
  putService(txn: CatalogTransaction, nodeName: string, spec: ServiceSpec): ServiceRecord {
    if (!this.nodes.has(nodeName)) throw new Error(`unknown node ${nodeName}`);
    let services = this.nodeServices.get(nodeName);
    if (!services) {
      services = new Map();
      this.nodeServices.set(nodeName, services);
    }
    const existing = services.get(spec.id);
    if (existing && serviceContent(existing) === serviceContent(spec)) return existing;
    const record: ServiceRecord = {
      ...spec,
      tags: [...spec.tags],
      node: nodeName,
      createIndex: existing?.createIndex ?? txn.index,
      modifyIndex: txn.index,
    };
    if (existing && existing.name !== spec.name) this.unlinkName(txn, existing);
    services.set(spec.id, record);
    let instances = this.byName.get(spec.name);
    if (!instances) {
      instances = new Map();
      this.byName.set(spec.name, instances);
    }
    instances.set(serviceKey(nodeName, spec.id), record);
    txn.changed = true;
    txn.servicesTable = true;
    txn.touched.add(spec.name);
    // Checks carry their service's name and tags (Consul copies them on every service write).
    const checks = this.nodeChecks.get(nodeName);
    if (checks && existing && (existing.name !== spec.name || JSON.stringify(existing.tags) !== JSON.stringify(spec.tags))) {
      for (const checkId of this.checksByService.get(serviceKey(nodeName, spec.id)) ?? []) {
        const check = checks.get(checkId);
        if (!check) continue;
        checks.set(checkId, { ...check, serviceName: spec.name, serviceTags: [...spec.tags], modifyIndex: txn.index });
        txn.checksTable = true;
      }
    }
    return record;
  }

  /** Creates or updates a check; status and output are kept from the existing check when the spec has none. */
  putCheck(txn: CatalogTransaction, nodeName: string, spec: CheckSpec): CheckRecord {
    if (!this.nodes.has(nodeName)) throw new Error(`unknown node ${nodeName}`);
    const service = spec.serviceId === "" ? undefined : this.nodeServices.get(nodeName)?.get(spec.serviceId);
    if (spec.serviceId !== "" && !service) throw new Error(`unknown service ${spec.serviceId} on node ${nodeName}`);
    let checks = this.nodeChecks.get(nodeName);
    if (!checks) {
      checks = new Map();
      this.nodeChecks.set(nodeName, checks);
    }
    const existing = checks.get(spec.checkId);
    const { status, output, ...rest } = spec;
    const content = {
      ...rest,
      status: status ?? existing?.status ?? "critical",
      output: output ?? existing?.output ?? "",
      serviceName: service?.name ?? "",
      serviceTags: service ? [...service.tags] : [],
    };
    if (existing && checkContent(existing) === checkContent(content)) return existing;
    const record: CheckRecord = {
      ...content,
      node: nodeName,
      createIndex: existing?.createIndex ?? txn.index,
      modifyIndex: txn.index,
    };
    checks.set(spec.checkId, record);
    if (existing && existing.serviceId !== spec.serviceId) this.unlinkCheck(nodeName, existing);
    const key = serviceKey(nodeName, spec.serviceId);
    let ids = this.checksByService.get(key);
    if (!ids) {
      ids = new Set();
      this.checksByService.set(key, ids);
    }
    ids.add(spec.checkId);
    txn.changed = true;
    txn.checksTable = true;
    if (service) txn.touched.add(service.name);
    else this.touchNode(txn, nodeName);
    return record;
  }

  /** Removes a check; returns whether it existed. */
  deleteCheck(txn: CatalogTransaction, nodeName: string, checkId: string): boolean {
    const checks = this.nodeChecks.get(nodeName);
    const existing = checks?.get(checkId);
    if (!checks || !existing) return false;
    checks.delete(checkId);
    this.unlinkCheck(nodeName, existing);
    txn.changed = true;
    txn.checksTable = true;
    if (existing.serviceId !== "") txn.touched.add(existing.serviceName);
    else this.touchNode(txn, nodeName);
    return true;
  }

  /** Removes a service instance and its checks; returns whether it existed. */
  deleteService(txn: CatalogTransaction, nodeName: string, serviceId: string): boolean {
    const services = this.nodeServices.get(nodeName);
    const existing = services?.get(serviceId);
    if (!services || !existing) return false;
    const checks = this.nodeChecks.get(nodeName);
    const key = serviceKey(nodeName, serviceId);
    for (const checkId of this.checksByService.get(key) ?? []) {
      if (checks?.delete(checkId)) txn.checksTable = true;
    }
    this.checksByService.delete(key);
    services.delete(serviceId);
    this.unlinkName(txn, existing);
    txn.changed = true;
    return true;
  }

  /** Removes a node with all its services and checks; returns whether it existed. */
  deleteNode(txn: CatalogTransaction, nodeName: string): boolean {
    if (!this.nodes.has(nodeName)) return false;
    for (const serviceId of [...(this.nodeServices.get(nodeName)?.keys() ?? [])]) {
      this.deleteService(txn, nodeName, serviceId);
    }
    if ((this.nodeChecks.get(nodeName)?.size ?? 0) > 0) txn.checksTable = true;
    this.nodeChecks.delete(nodeName);
    this.checksByService.delete(serviceKey(nodeName, ""));
    this.nodeServices.delete(nodeName);
    this.nodes.delete(nodeName);
    txn.changed = true;
    txn.nodesTable = true;
    return true;
  }

  private unlinkCheck(nodeName: string, check: CheckRecord): void {
    const key = serviceKey(nodeName, check.serviceId);
    const ids = this.checksByService.get(key);
    ids?.delete(check.checkId);
    if (ids?.size === 0) this.checksByService.delete(key);
  }

  private unlinkName(txn: CatalogTransaction, service: ServiceRecord): void {
    const instances = this.byName.get(service.name);
    instances?.delete(serviceKey(service.node, service.id));
    if (instances?.size === 0) this.byName.delete(service.name);
    txn.servicesTable = true;
    txn.touched.add(service.name);
  }

  private touchNode(txn: CatalogTransaction, nodeName: string): void {
    for (const service of this.nodeServices.get(nodeName)?.values() ?? []) txn.touched.add(service.name);
  }

  /** The node named `name`, if registered. */
  node(name: string): NodeRecord | undefined {
    return this.nodes.get(name);
  }

  /** Every node, sorted by name. */
  allNodes(): { index: number; nodes: NodeRecord[] } {
    return { index: this.nodesTableIndex, nodes: [...this.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) };
  }

  /** The services on one node, by ID. */
  servicesOn(nodeName: string): ReadonlyMap<string, ServiceRecord> {
    return this.nodeServices.get(nodeName) ?? new Map();
  }

  /** The checks on one node, by check ID. */
  checksOn(nodeName: string): ReadonlyMap<string, CheckRecord> {
    return this.nodeChecks.get(nodeName) ?? new Map();
  }

  /** The index `/v1/catalog/services` reports. */
  get servicesIndex(): number {
    return this.servicesTableIndex;
  }

  /** The index of the nodes table (`/v1/catalog/nodes`). */
  get nodesIndex(): number {
    return this.nodesTableIndex;
  }

  /** The index `/v1/health/state/*` reports. */
  get checksIndex(): number {
    return this.checksTableIndex;
  }

  /** The index of one service; for a name never seen, the services-table index (as Consul does). */
  serviceIndex(name: string): number {
    return this.serviceIndexes.get(name) ?? this.servicesTableIndex;
  }

  /** Service names with the union of their instances' tags, sorted by name, rendered once per index. */
  catalogServices(): { index: number; json: Buffer } {
    if (this.catalogServicesCache?.index !== this.servicesTableIndex) {
      const body: Record<string, readonly string[]> = {};
      for (const name of [...this.byName.keys()].sort()) body[name] = this.tagUnion(name);
      this.catalogServicesCache = { index: this.servicesTableIndex, json: Buffer.from(JSON.stringify(body)) };
    }
    return this.catalogServicesCache;
  }

  /** The names of every service with at least one instance. */
  serviceNames(): IterableIterator<string> {
    return this.byName.keys();
  }

  private tagUnion(name: string): readonly string[] {
    let tags = this.tagUnions.get(name);
    if (!tags) this.tagUnions.set(name, (tags = tagUnionOf(this.byName.get(name)?.values() ?? [])));
    return tags;
  }

  /** The instances of one service with their node and checks, sorted by node then ID. */
  healthEntries(name: string): HealthCache {
    const index = this.serviceIndex(name);
    const cached = this.healthCache.get(name);
    if (cached?.index === index) return cached;
    const records = healthEntriesOf(this.byName.get(name)?.values() ?? [], this.nodes, this.nodeChecks, this.checksByService);
    const fresh: HealthCache = { index, records, json: undefined };
    this.healthCache.set(name, fresh);
    return fresh;
  }

  /** The rendered JSON of every instance of one service (no filter), built once per index. */
  healthJson(name: string): { index: number; json: Buffer } {
    const cache = this.healthEntries(name);
    cache.json ??= Buffer.from(`[${cache.records.map(healthEntryJsonText).join(",")}]`);
    return { index: cache.index, json: cache.json };
  }

  /** Every check in the datacenter, sorted by node then check ID. */
  allChecks(): { index: number; records: readonly CheckRecord[] } {
    return this.checkList.list(this.checksTableIndex);
  }

  /** `/v1/health/state/any` rendered once per checks index (see {@link CheckListRenderer}). */
  allChecksJson(): { index: number; json: Buffer } {
    return this.checkList.json(this.checksTableIndex);
  }
  /** The checks `matches` selects (`key`: the filter expression), evaluated only for what writes changed. */
  filteredChecks(key: string, matches: (record: CheckRecord) => boolean): { index: number; records: readonly CheckRecord[] } {
    return this.checkList.filtered(this.checksTableIndex, key, matches);
  }

  /** How many times one node's checks were rendered to JSON: a write re-renders only the nodes it touched. */
  get checkRenders(): number {
    return this.checkList.renders;
  }
}
