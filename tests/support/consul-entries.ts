// Consul-shaped test inputs: `/v1/health/service/:name` entries as real Consul returns them, and
// their conversion to ServiceInstance exactly as docs (reference/consul-api.md) describe it:
// address = Service.Address when non-empty else Node.Address; Weights default {1,1} (null via the
// catalog API); health = worst status over every check of the entry (node checks included, an unknown
// status counts as critical); maintenance from `_node_maintenance` / `_service_maintenance:<id>`.
// Unlike the production reader, nothing is skipped here: bad ports and addresses reach the mapping.
import type { CheckStatus, MaintenanceMode, ServiceInstance } from "../../src/model/service-instance.js";
import { ServiceModel } from "../../src/model/service-model.js";

/** One check of a health entry, as Consul sends it. */
export interface HealthCheckJson {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** One `/v1/health/service/:name` entry. */
export interface HealthEntryJson {
  Node: {
    ID: string;
    Node: string;
    Address: string;
    Datacenter: string;
    TaggedAddresses: Record<string, string>;
    Meta: Record<string, string> | null;
    CreateIndex: number;
    ModifyIndex: number;
  };
  Service: {
    ID: string;
    Service: string;
    Tags: string[];
    Address: string;
    TaggedAddresses?: Record<string, { Address: string; Port: number }>;
    Meta: Record<string, string> | null;
    Port: number;
    Weights: { Passing: number; Warning: number } | null;
    EnableTagOverride: boolean;
    CreateIndex: number;
    ModifyIndex: number;
  };
  Checks: HealthCheckJson[];
}

/** A compact description of an entry; everything has a realistic default. */
export interface EntrySpec {
  service: string;
  /** Service.ID; default `<service>-<node>`. */
  id?: string;
  /** Node.Node; default `node-1`. */
  node?: string;
  /** Node.Address; default `10.0.0.1`. */
  nodeAddress?: string;
  /** Service.Address; default "" (fall back to the node's). */
  address?: string;
  /** Service.Port; default 8080. */
  port?: number;
  /** Node.Datacenter; default `dc1`. */
  datacenter?: string;
  /** Service.Weights; `null` as the catalog API may send; default {Passing:1, Warning:1}. */
  weights?: { Passing: number; Warning: number } | null;
  meta?: Record<string, string>;
  nodeMeta?: Record<string, string>;
  /** Status of the service's own check (`service:<id>`); default passing. */
  status?: string;
  /** Status of the node's serfHealth check; default passing. */
  nodeStatus?: string;
  /** Adds Consul's maintenance check. */
  maintenance?: "service" | "node";
  tags?: string[];
}

let index = 100;

function check(node: string, checkId: string, name: string, status: string, serviceId: string, serviceName: string): HealthCheckJson {
  index += 1;
  return {
    Node: node,
    CheckID: checkId,
    Name: name,
    Status: status,
    Notes: "",
    Output: status === "passing" ? "OK" : `${name} is ${status}`,
    ServiceID: serviceId,
    ServiceName: serviceName,
    ServiceTags: [],
    Type: serviceId === "" ? "" : "ttl",
    CreateIndex: index,
    ModifyIndex: index,
  };
}

/** Builds a real-shaped health entry. */
export function healthEntry(spec: EntrySpec): HealthEntryJson {
  const node = spec.node ?? "node-1";
  const id = spec.id ?? `${spec.service}-${node}`;
  const checks = [
    check(node, "serfHealth", "Serf Health Status", spec.nodeStatus ?? "passing", "", ""),
    check(node, `service:${id}`, `Service '${spec.service}' check`, spec.status ?? "passing", id, spec.service),
  ];
  if (spec.maintenance === "service") {
    checks.push(check(node, `_service_maintenance:${id}`, "Service Maintenance Mode", "critical", id, spec.service));
  } else if (spec.maintenance === "node") {
    checks.push(check(node, "_node_maintenance", "Node Maintenance Mode", "critical", "", ""));
  }
  index += 1;
  return {
    Node: {
      ID: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
      Node: node,
      Address: spec.nodeAddress ?? "10.0.0.1",
      Datacenter: spec.datacenter ?? "dc1",
      TaggedAddresses: { lan: spec.nodeAddress ?? "10.0.0.1", wan: spec.nodeAddress ?? "10.0.0.1" },
      Meta: spec.nodeMeta ?? { "consul-network-segment": "" },
      CreateIndex: index,
      ModifyIndex: index,
    },
    Service: {
      ID: id,
      Service: spec.service,
      Tags: spec.tags ?? [],
      Address: spec.address ?? "",
      Meta: spec.meta ?? {},
      Port: spec.port ?? 8080,
      Weights: spec.weights === undefined ? { Passing: 1, Warning: 1 } : spec.weights,
      EnableTagOverride: false,
      CreateIndex: index,
      ModifyIndex: index,
    },
    Checks: checks,
  };
}

const severity: Record<CheckStatus, number> = { passing: 0, warning: 1, critical: 2 };

/**
 * Converts a health entry to a ServiceInstance as consul-api.md documents it. Unlike the watcher's
 * instanceFromHealthEntry (src/consul/health-entry.ts), it lets malformed records (port 0, no
 * address) through, so that the mapping's own checks of such instances can be tested.
 */
export function instanceFromEntry(entry: HealthEntryJson): ServiceInstance {
  let status: CheckStatus = "passing";
  let maintenance: MaintenanceMode = "none";
  for (const c of entry.Checks) {
    const s: CheckStatus = c.Status === "passing" || c.Status === "warning" || c.Status === "critical" ? c.Status : "critical";
    if (severity[s] > severity[status]) status = s;
    if (c.CheckID === "_node_maintenance") maintenance = "node";
    else if (c.CheckID === `_service_maintenance:${entry.Service.ID}` && maintenance === "none") maintenance = "service";
  }
  const weights = entry.Service.Weights ?? { Passing: 1, Warning: 1 };
  return {
    id: entry.Service.ID,
    node: entry.Node.Node,
    address: entry.Service.Address !== "" ? entry.Service.Address : entry.Node.Address,
    port: entry.Service.Port,
    tags: [...entry.Service.Tags],
    meta: { ...(entry.Service.Meta ?? {}) },
    weights: { passing: weights.Passing, warning: weights.Warning },
    health: { status, maintenance },
    datacenter: entry.Node.Datacenter,
    nodeMeta: { ...(entry.Node.Meta ?? {}) },
  };
}

/** Shorthand: the instance of a spec (entry built, then converted). */
export function instance(spec: EntrySpec): ServiceInstance {
  return instanceFromEntry(healthEntry(spec));
}

/** A model holding the given entries (grouped by datacenter and service), marked synced. */
export function modelOf(
  entries: readonly HealthEntryJson[],
  options: { localDatacenter?: string; failoverDatacenters?: readonly string[]; services?: Record<string, readonly string[]> } = {},
): ServiceModel {
  const model = new ServiceModel({
    localDatacenter: options.localDatacenter ?? "dc1",
    failoverDatacenters: options.failoverDatacenters ?? [],
  });
  const groups = new Map<string, ServiceInstance[]>();
  for (const entry of entries) {
    const key = `${entry.Node.Datacenter}\u0000${entry.Service.Service}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(instanceFromEntry(entry));
  }
  for (const [key, instances] of groups) {
    const [dc, name] = key.split("\u0000") as [string, string];
    model.setService(dc, name, instances);
  }
  // Services known with no instance at all (Consul answers `[]`).
  for (const [dc, names] of Object.entries(options.services ?? {})) for (const name of names) model.setService(dc, name, []);
  model.markSynced();
  return model;
}
