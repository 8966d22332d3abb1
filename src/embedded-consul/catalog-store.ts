import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../consul/clock.js";
import { AgentCheckRunner } from "./agent-check-runner.js";
import type { CheckRecord, CheckSpec, CheckStatus, ServiceRecord } from "./catalog-records.js";
import { type SeedService, seedServices } from "./catalog-seed.js";
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
  /** Run the agent's HTTP, TCP and gRPC checks (default true). */
  readonly runChecks?: boolean;
  /** Time for check intervals, timeouts and TTLs (default the system clock). */
  readonly clock?: Clock;
  /** Source of the checks' first-run stagger (default Math.random). */
  readonly random?: () => number;
}

/** Consul's default `OutputMaxSize` of a TTL check. */
const ttlOutputMaxSize = 4096;

/** A TTL update's output as Consul stores it: cut at 4 KiB with a note of what was dropped. */
function truncateTtlOutput(output: string): string {
  const bytes = Buffer.from(output, "utf8");
  if (bytes.length <= ttlOutputMaxSize) return output;
  return `${bytes.subarray(0, ttlOutputMaxSize).toString("utf8")} ... (captured ${ttlOutputMaxSize} of ${bytes.length} bytes)`;
}

function specOf(check: CheckRecord): CheckSpec {
  const { node: _node, createIndex: _c, modifyIndex: _m, serviceName: _n, serviceTags: _t, ...spec } = check;
  return spec;
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
  private readonly checks: AgentCheckRunner;
  private seededNodes = 0;

  constructor(private readonly options: CatalogStoreOptions) {
    const first = options.datacenters[0];
    if (first === undefined) throw new Error("at least one datacenter is required");
    this.agentDatacenter = first;
    this.agentNode = options.nodeName;
    this.checks = new AgentCheckRunner({
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      runProbes: options.runChecks ?? true,
      ttlExpiry: options.ttlExpiry,
      record: (checkId, status, output) => this.recordAgentCheck(checkId, status, output),
    });
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
        this.checks.remove(check.checkId);
      }
      for (const check of checks) this.checks.start(dc.putCheck(txn, node, check));
    });
  }

  /** Removes a service and its checks from the agent's node; false when the agent has no such service. */
  agentDeregister(serviceId: string): boolean {
    const dc = this.agentCatalog();
    if (!dc.servicesOn(this.agentNode).has(serviceId)) return false;
    for (const check of dc.checksOn(this.agentNode).values()) {
      if (check.serviceId === serviceId) this.checks.remove(check.checkId);
    }
    dc.write((txn) => dc.deleteService(txn, this.agentNode, serviceId));
    return true;
  }

  /** `PUT /v1/agent/check/register`: adds or replaces a check of the agent (its service, if named, must exist). */
  agentRegisterCheck(check: CheckSpec): void {
    const dc = this.agentCatalog();
    if (check.serviceId !== "" && !dc.servicesOn(this.agentNode).has(check.serviceId)) {
      throw new Error(`unknown service ${check.serviceId}`);
    }
    this.checks.start(dc.write((txn) => dc.putCheck(txn, this.agentNode, check)));
  }

  /** `PUT /v1/agent/check/deregister/:id`: false when the agent has no such check. */
  agentDeregisterCheck(checkId: string): boolean {
    const dc = this.agentCatalog();
    if (!dc.checksOn(this.agentNode).has(checkId)) return false;
    this.checks.remove(checkId);
    dc.write((txn) => dc.deleteCheck(txn, this.agentNode, checkId));
    return true;
  }

  /** The agent's check `checkId`, if it has one. */
  agentCheck(checkId: string): CheckRecord | undefined {
    return this.agentCatalog().checksOn(this.agentNode).get(checkId);
  }

  /** `PUT /v1/agent/check/pass|warn|fail|update/:id`: only TTL checks of the agent's node can be updated. */
  agentUpdateCheck(checkId: string, status: CheckStatus, output: string): CheckUpdateResult {
    const dc = this.agentCatalog();
    const check = dc.checksOn(this.agentNode).get(checkId);
    if (!check) return "unknown-check";
    if (check.type !== "ttl") return "not-ttl";
    const stored = truncateTtlOutput(output);
    const record = dc.write((txn) => dc.putCheck(txn, check.node, { ...specOf(check), status, output: stored }));
    this.checks.refreshTtl(record, stored);
    return "ok";
  }

  /** A verdict of the check runner (a probe's result, a TTL expiry) on a check that may be gone by now. */
  private recordAgentCheck(checkId: string, status: CheckStatus, output: string): void {
    const dc = this.agentCatalog();
    const check = dc.checksOn(this.agentNode).get(checkId);
    if (!check) return;
    dc.write((txn) => dc.putCheck(txn, check.node, { ...specOf(check), status, output }));
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
    dc.write((txn) => seedServices(dc, txn, services, () => (this.seededNodes += 1)));
    return dc.index;
  }

  /** Sets a check's status on any node of any datacenter (a test's shortcut for `catalog/register`). */
  setCheckStatus(datacenter: string, node: string, checkId: string, status: CheckStatus, output = ""): boolean {
    const dc = this.dcs.get(datacenter);
    const check = dc?.checksOn(node).get(checkId);
    if (!dc || !check) return false;
    dc.write((txn) => dc.putCheck(txn, node, { ...specOf(check), status, output }));
    return true;
  }

  /** Makes every index of `datacenter` (default: all) go backwards, waking every blocking query. */
  resetIndexes(datacenter?: string): void {
    for (const dc of this.dcs.values()) if (datacenter === undefined || dc.name === datacenter) dc.resetIndexes();
  }

  /** Stops every check the agent runs. */
  close(): void {
    this.checks.close();
  }
}
