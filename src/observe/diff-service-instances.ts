import { type HealthPolicy, routability } from "../model/health-policy.js";
import type { ServiceInstance, ServiceState } from "../model/service-instance.js";
import type { ChangeKind, InstanceChange, InstanceStateName } from "./change-record.js";

/** The state an operator would name: maintenance first, else the worst check status. */
export function instanceState(instance: ServiceInstance | undefined): InstanceStateName {
  if (!instance) return "absent";
  return instance.health.maintenance !== "none" ? "maintenance" : instance.health.status;
}

const hostPort = (instance: ServiceInstance) =>
  instance.address.includes(":") ? `[${instance.address}]:${instance.port}` : `${instance.address}:${instance.port}`;

/**
 * An instance's cause as people read it: a maintenance check's reason without the check's
 * internal ID ("deploying v2", not "_service_maintenance:web-1: deploying v2").
 */
export function readableCause(instance: ServiceInstance): string | undefined {
  return instance.health.cause?.replace(/^_(?:service_maintenance:[^:]*|node_maintenance): /, "");
}

/** Why an instance is in `state`, in the words of Consul's checks when it has them. */
function explain(instance: ServiceInstance, state: InstanceStateName): string {
  const cause = readableCause(instance);
  switch (state) {
    case "critical":
      return cause ?? "a check is critical";
    case "warning":
      return cause ?? "a check is warning";
    case "maintenance":
      return `${instance.health.maintenance} maintenance${cause ? `: ${cause}` : ""}`;
    default:
      return "every check passing";
  }
}

/**
 * The changes between two states of one service (all datacenters), instance by instance, in a
 * stable order: appeared, deregistered, a new health state, a new effective weight, a new address.
 * Changes of tags, meta or check output alone are not traffic changes and give nothing.
 */
export function diffServiceInstances(
  service: string,
  before: ReadonlyMap<string, ServiceState> | undefined,
  after: ReadonlyMap<string, ServiceState> | undefined,
  policy: HealthPolicy,
): InstanceChange[] {
  const key = (i: ServiceInstance) => `${i.datacenter}\u0000${i.node}\u0000${i.id}`;
  const index = (states: ReadonlyMap<string, ServiceState> | undefined) => {
    const byKey = new Map<string, ServiceInstance>();
    for (const state of states?.values() ?? []) for (const instance of state.instances) byKey.set(key(instance), instance);
    return byKey;
  };
  const old = index(before);
  const now = index(after);
  const changes: InstanceChange[] = [];
  for (const k of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(k);
    const b = now.get(k);
    const was = routability(a ?? b!, policy);
    const is = routability(b ?? a!, policy);
    const from = instanceState(a);
    const to = instanceState(b);
    const subject = b ?? a!;
    const base = {
      service,
      datacenter: subject.datacenter,
      instance: subject.id,
      node: subject.node,
      address: hostPort(subject),
      from,
      to,
      routableBefore: a !== undefined && was.routable,
      routableAfter: b !== undefined && is.routable,
    };
    if (!a) changes.push({ ...base, kind: "new", why: `registered, ${explain(b!, to)}` });
    else if (!b) changes.push({ ...base, kind: "deregistered", why: "deregistered from Consul" });
    else if (from !== to) changes.push({ ...base, kind: to as ChangeKind, why: explain(b, to) });
    else if ((was.routable ? was.weight : 0) !== (is.routable ? is.weight : 0)) {
      const weight = (r: typeof was) => (r.routable ? String(r.weight) : `0 (${r.reason})`);
      changes.push({ ...base, kind: "weight", why: `weight ${weight(was)} → ${weight(is)}` });
    } else if (hostPort(a) !== hostPort(b)) {
      changes.push({ ...base, kind: "address", why: `address ${hostPort(a)} → ${hostPort(b)}` });
    }
  }
  return changes;
}
