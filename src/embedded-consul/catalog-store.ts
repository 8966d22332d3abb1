import { randomUUID } from "node:crypto";
import type { CheckRecord, CheckStatus, ServiceRecord, ServiceWeights } from "./catalog-records.js";
import { DatacenterCatalog } from "./datacenter-catalog.js";
import { BadRequest } from "./json-fields.js";
import type { AgentRegistration, CatalogRegistration } from "./registration.js";
import { WaiterRegistry } from "./waiter-registry.js";

/** Options of {@link CatalogStore}. */
export interface CatalogStoreOptions {
  /** Datacenters this process answers for; the first is the agent's own. */
  readonly datacenters: readonly string[];
  /** The agent's node name. */
  readonly nodeName: string;
  /** The agent's node address. */
  readonly nodeAddress: string;
  /** Register the `consul` service on each datacenter's server node, as real Consul shows it. */
  readonly consulService: boolean;
  /** Turn TTL checks critical when they are not refreshed within their TTL. */
  readonly ttlExpiry: boolean;
}

/** One instance for {@link CatalogStore.seed}; every field but the port has a default. */
export interface SeedInstance {
  /** Default `<service>-<n>`. */
  readonly id?: string;
  /** Default `node-<n>` (n = position in the service's list), so services share nodes. */
  readonly node?: string;
  /** Address of the node when the seed creates it; default a unique 10.x.y.z. */
  readonly nodeAddress?: string;
  readonly nodeMeta?: Readonly<Record<string, string>>;
  /** Default "" (the node address is used). */
  readonly address?: string;
  /** Default 8080. */
  readonly port?: number;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  /** Default {1,1}; null renders `"Weights": null` like a catalog-API registration. */
  readonly weights?: ServiceWeights | null;
  readonly kind?: string;
  /** Status of the instance's single check `service:<id>`; null for no check. Default passing. */
  readonly status?: CheckStatus | null;
}

/** One service for {@link CatalogStore.seed}. */
export interface SeedService {
  readonly name: string;
  readonly instances: readonly SeedInstance[];
}

/** Result of an agent check update. */
export type CheckUpdateResult = "ok" | "unknown-check" | "not-ttl";

const nodeMaintenanceId = "_node_maintenance";
const serviceMaintenancePrefix = "_service_maintenance:";

/**
 * Every datacenter's catalog plus the local agent's behaviour (registration replaces a service's
 * checks, TTL checks, maintenance), and the blocking-query waiters they wake. Both the HTTP API and
 * tests (seeding, fault injection) write through it.
 */
export class CatalogStore {
  /** Blocking queries waiting for a change, by `<dc>\0<topic>`. */
  readonly waiters = new WaiterRegistry();
  /** The agent's datacenter. */
  readonly agentDatacenter: string;
  /** The agent's node name. */
  readonly agentNode: string;
  /** The agent's node ID. */
  readonly agentNodeId = randomUUID();
  private readonly dcs = new Map<string, DatacenterCatalog>();
  private readonly generations = new Map<string, number>();
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();
  private seededNodes = 0;

  constructor(private readonly options: CatalogStoreOptions) {
    const first = options.datacenters[0];
    if (first === undefined) throw new Error("at least one datacenter is required");
    this.agentDatacenter = first;
    this.agentNode = options.nodeName;
    for (const name of options.datacenters) {
      const dc = new DatacenterCatalog(name, (dcName, moved, abandon) => this.wake(dcName, moved, abandon));
      this.dcs.set(name, dc);
      this.generations.set(name, 0);
      this.addServerNode(dc);
    }
  }

  private addServerNode(dc: DatacenterCatalog): void {
    const isAgent = dc.name === this.agentDatacenter;
    const name = isAgent ? this.options.nodeName : `${this.options.nodeName}-${dc.name}`;
    const address = this.options.nodeAddress;
    dc.write((txn) => {
      dc.ensureNode(txn, {
        name,
        address,
        id: isAgent ? this.agentNodeId : randomUUID(),
        taggedAddresses: { lan: address, lan_ipv4: address, wan: address, wan_ipv4: address },
        meta: { "consul-network-segment": "" },
      });
      dc.putCheck(txn, name, {
        checkId: "serfHealth",
        name: "Serf Health Status",
        status: "passing",
        notes: "",
        output: "Agent alive and reachable",
        serviceId: "",
        type: "",
        interval: "",
        timeout: "",
      });
      if (this.options.consulService) {
        dc.putService(txn, name, {
          id: "consul",
          name: "consul",
          kind: "",
          tags: [],
          address: "",
          taggedAddresses: {},
          meta: { raft_version: "3", serf_protocol_current: "2", serf_protocol_max: "5", serf_protocol_min: "1", version: "1.20.0" },
          port: 8300,
          weights: { Passing: 1, Warning: 1 },
          enableTagOverride: false,
        });
      }
    });
  }

  private wake(dc: string, moved: readonly string[], abandon: boolean): void {
    if (abandon) {
      this.generations.set(dc, (this.generations.get(dc) ?? 0) + 1);
      this.waiters.notifyPrefix(`${dc}\u0000`);
      return;
    }
    for (const topic of moved) this.waiters.notify(`${dc}\u0000${topic}`);
  }

  /** The catalog of `name`, or undefined for a datacenter this process does not know ("No path to datacenter"). */
  datacenter(name: string): DatacenterCatalog | undefined {
    return this.dcs.get(name);
  }

  /** Known datacenters, the agent's first (Consul sorts by round-trip time from the agent). */
  datacenterNames(): string[] {
    return [this.agentDatacenter, ...[...this.dcs.keys()].filter((n) => n !== this.agentDatacenter).sort()];
  }

  /** Bumped when a datacenter's indexes are reset: blocking queries started before must return. */
  generation(dc: string): number {
    return this.generations.get(dc) ?? 0;
  }

  private agentCatalog(): DatacenterCatalog {
    return this.dcs.get(this.agentDatacenter)!;
  }

  // ---- agent API ----

  /** Registers (or re-registers) a service on the agent's node; checks not in the new definition are removed. */
  agentRegister(registration: AgentRegistration): void {
    const dc = this.agentCatalog();
    const node = this.agentNode;
    const { service, checks } = registration;
    dc.write((txn) => {
      dc.putService(txn, node, service);
      const keep = new Set(checks.map((c) => c.checkId));
      for (const check of [...dc.checksOn(node).values()]) {
        if (check.serviceId !== service.id || keep.has(check.checkId)) continue;
        if (check.checkId.startsWith(serviceMaintenancePrefix)) continue;
        dc.deleteCheck(txn, node, check.checkId);
        this.clearTtl(dc.name, node, check.checkId);
      }
      for (const check of checks) {
        const record = dc.putCheck(txn, node, check);
        this.armTtl(dc, record);
      }
    });
  }

  /** Removes a service from the agent's node; unknown IDs are fine (200, as Consul answers). */
  agentDeregister(serviceId: string): void {
    const dc = this.agentCatalog();
    for (const check of dc.checksOn(this.agentNode).values()) {
      if (check.serviceId === serviceId) this.clearTtl(dc.name, this.agentNode, check.checkId);
    }
    dc.write((txn) => dc.deleteService(txn, this.agentNode, serviceId));
  }

  /** `PUT /v1/agent/check/pass|warn|fail|update/:id`: only TTL checks of the agent's node can be updated. */
  agentUpdateCheck(checkId: string, status: CheckStatus, output: string): CheckUpdateResult {
    const dc = this.agentCatalog();
    const check = dc.checksOn(this.agentNode).get(checkId);
    if (!check) return "unknown-check";
    if (check.type !== "ttl") return "not-ttl";
    const { node, createIndex: _c, modifyIndex: _m, serviceName: _n, serviceTags: _t, ...spec } = check;
    const record = dc.write((txn) => dc.putCheck(txn, node, { ...spec, status, output }));
    this.armTtl(dc, record);
    return "ok";
  }

  /** Turns service maintenance on or off; false when the agent has no such service. */
  agentServiceMaintenance(serviceId: string, enable: boolean, reason: string): boolean {
    const dc = this.agentCatalog();
    if (!dc.servicesOn(this.agentNode).has(serviceId)) return false;
    const checkId = `${serviceMaintenancePrefix}${serviceId}`;
    dc.write((txn) => {
      if (!enable) return dc.deleteCheck(txn, this.agentNode, checkId);
      dc.putCheck(txn, this.agentNode, {
        checkId,
        name: "Service Maintenance Mode",
        status: "critical",
        notes: reason || "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.",
        output: "",
        serviceId,
        type: "maintenance",
        interval: "",
        timeout: "",
      });
      return true;
    });
    return true;
  }

  /** Turns node maintenance on or off for the agent's node. */
  agentNodeMaintenance(enable: boolean, reason: string): void {
    const dc = this.agentCatalog();
    dc.write((txn) => {
      if (!enable) return dc.deleteCheck(txn, this.agentNode, nodeMaintenanceId);
      dc.putCheck(txn, this.agentNode, {
        checkId: nodeMaintenanceId,
        name: "Node Maintenance Mode",
        status: "critical",
        notes: reason || "Maintenance mode is enabled for this node, but no reason was provided. This is a default message.",
        output: "",
        serviceId: "",
        type: "maintenance",
        interval: "",
        timeout: "",
      });
      return true;
    });
  }

  /** Services on the agent's node. */
  agentServices(): ServiceRecord[] {
    return [...this.agentCatalog().servicesOn(this.agentNode).values()];
  }

  /** Checks on the agent's node. */
  agentChecks(): CheckRecord[] {
    return [...this.agentCatalog().checksOn(this.agentNode).values()];
  }

  // ---- catalog API ----

  /** `PUT /v1/catalog/register` into `datacenter` (which must exist). */
  catalogRegister(datacenter: string, registration: CatalogRegistration): void {
    const dc = this.dcs.get(datacenter);
    if (!dc) throw new Error(`unknown datacenter ${datacenter}`);
    const { node, service, checks, skipNodeUpdate } = registration;
    const existingServices = dc.servicesOn(node.name);
    for (const check of checks) {
      if (check.serviceId !== "" && check.serviceId !== service?.id && !existingServices.has(check.serviceId)) {
        throw new BadRequest(`Unknown service ID '${check.serviceId}' for check ID '${check.checkId}'`);
      }
    }
    dc.write((txn) => {
      if (!skipNodeUpdate || !dc.node(node.name)) dc.ensureNode(txn, node);
      if (service) dc.putService(txn, node.name, service);
      for (const check of checks) dc.putCheck(txn, node.name, check);
    });
  }

  /** `PUT /v1/catalog/deregister`: one check, one service, or the whole node. */
  catalogDeregister(datacenter: string, node: string, serviceId: string, checkId: string): void {
    const dc = this.dcs.get(datacenter);
    if (!dc) throw new Error(`unknown datacenter ${datacenter}`);
    dc.write((txn) => {
      if (checkId !== "") return dc.deleteCheck(txn, node, checkId);
      if (serviceId !== "") return dc.deleteService(txn, node, serviceId);
      return dc.deleteNode(txn, node);
    });
  }

  // ---- direct access for tests and benchmarks ----

  /**
   * Bulk-loads services in one write (one index): the way tests and benchmarks build catalogs of
   * thousands of services without thousands of HTTP calls.
   */
  seed(datacenter: string, services: readonly SeedService[]): number {
    const dc = this.dcs.get(datacenter);
    if (!dc) throw new Error(`unknown datacenter ${datacenter}`);
    dc.write((txn) => {
      for (const service of services) {
        for (const [i, instance] of service.instances.entries()) {
          const nodeName = instance.node ?? `node-${i}`;
          if (!dc.node(nodeName) || instance.nodeAddress !== undefined || instance.nodeMeta !== undefined) {
            const n = (this.seededNodes += 1);
            dc.ensureNode(txn, {
              name: nodeName,
              address: instance.nodeAddress ?? dc.node(nodeName)?.address ?? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
              meta: instance.nodeMeta ?? dc.node(nodeName)?.meta ?? {},
            });
          }
          const id = instance.id ?? `${service.name}-${i}`;
          dc.putService(txn, nodeName, {
            id,
            name: service.name,
            kind: instance.kind ?? "",
            tags: instance.tags ?? [],
            address: instance.address ?? "",
            taggedAddresses: {},
            meta: instance.meta ?? {},
            port: instance.port ?? 8080,
            weights: instance.weights === undefined ? { Passing: 1, Warning: 1 } : instance.weights,
            enableTagOverride: false,
          });
          if (instance.status !== null) {
            dc.putCheck(txn, nodeName, {
              checkId: `service:${id}`,
              name: `Service '${service.name}' check`,
              status: instance.status ?? "passing",
              notes: "",
              output: "",
              serviceId: id,
              type: "ttl",
              interval: "",
              timeout: "",
            });
          }
        }
      }
    });
    return dc.index;
  }

  /** Sets a check's status on any node of any datacenter (a test's shortcut for `catalog/register`). */
  setCheckStatus(datacenter: string, node: string, checkId: string, status: CheckStatus, output = ""): boolean {
    const dc = this.dcs.get(datacenter);
    const check = dc?.checksOn(node).get(checkId);
    if (!dc || !check) return false;
    const { createIndex: _c, modifyIndex: _m, serviceName: _n, serviceTags: _t, node: _node, ...spec } = check;
    dc.write((txn) => dc.putCheck(txn, node, { ...spec, status, output }));
    return true;
  }

  /** Makes every index of `datacenter` (default: all) go backwards, waking every blocking query. */
  resetIndexes(datacenter?: string): void {
    for (const dc of this.dcs.values()) if (datacenter === undefined || dc.name === datacenter) dc.resetIndexes();
  }

  /** Stops TTL timers. */
  close(): void {
    for (const timer of this.ttlTimers.values()) clearTimeout(timer);
    this.ttlTimers.clear();
  }

  private armTtl(dc: DatacenterCatalog, check: CheckRecord): void {
    const key = `${dc.name}\u0000${check.node}\u0000${check.checkId}`;
    const existing = this.ttlTimers.get(key);
    if (existing) clearTimeout(existing);
    this.ttlTimers.delete(key);
    if (!this.options.ttlExpiry || check.ttlMs === undefined || check.status === "critical") return;
    const timer = setTimeout(() => {
      this.ttlTimers.delete(key);
      const current = dc.checksOn(check.node).get(check.checkId);
      if (!current || current.status === "critical") return;
      const { createIndex: _c, modifyIndex: _m, serviceName: _n, serviceTags: _t, node, ...spec } = current;
      dc.write((txn) => dc.putCheck(txn, node, { ...spec, status: "critical", output: "TTL expired" }));
    }, check.ttlMs);
    timer.unref();
    this.ttlTimers.set(key, timer);
  }

  private clearTtl(dc: string, node: string, checkId: string): void {
    const key = `${dc}\u0000${node}\u0000${checkId}`;
    const timer = this.ttlTimers.get(key);
    if (timer) clearTimeout(timer);
    this.ttlTimers.delete(key);
  }
}
