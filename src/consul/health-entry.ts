import type { CheckStatus, InstanceHealth, MaintenanceMode, ServiceInstance } from "../model/service-instance.js";
import { isObject } from "./is-object.js";

/** What one `/v1/health/service/:name` entry becomes: an instance, or a reason to leave it out. */
export type HealthEntryResult =
  | { readonly kind: "instance"; readonly instance: ServiceInstance }
  | {
      readonly kind: "skip";
      /** `warn` for a malformed record, `debug` for a non-plain kind (sidecars, gateways). */
      readonly level: "warn" | "debug";
      /** `Service.ID` when readable, else "?". */
      readonly instanceId: string;
      /** `Node.Node` when readable (with `instanceId`, it names the instance the record was about). */
      readonly node?: string;
      /**
       * The record itself cannot be read (a part missing, a field of the wrong type), as opposed to a
       * readable record that cannot be routed to (port 0, no address): Consul never stores the former,
       * so it says nothing about the instance, while the latter is Consul's truth about it.
       */
      readonly unreadable?: true;
      readonly reason: string;
    };

const severity: Readonly<Record<CheckStatus, number>> = { passing: 0, warning: 1, critical: 2 };

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === "string") out[key] = v;
  return out;
}

/** Which address of an entry is used: Consul's LAN rule, or its WAN rule for instances in other datacenters. */
export type AddressRule = "lan" | "wan";

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * The address and port to use, by Consul's own rules (`CheckServiceNode.BestAddress`): LAN:
 * `Service.Address`, else `Node.Address`. WAN: `Service.TaggedAddresses.wan.Address` (with its
 * port when non-zero), else `Service.Address`, else `Node.TaggedAddresses.wan`, else
 * `Node.Address`; an empty tagged address counts as none.
 */
function bestAddress(
  service: Record<string, unknown>,
  node: Record<string, unknown>,
  rule: AddressRule,
): { address: string; port: unknown } {
  let address = text(service.Address);
  let port: unknown = service.Port;
  if (rule === "wan") {
    const wan = isObject(service.TaggedAddresses) ? service.TaggedAddresses.wan : undefined;
    if (isObject(wan) && text(wan.Address) !== "") {
      address = text(wan.Address);
      if (typeof wan.Port === "number" && wan.Port !== 0) port = wan.Port;
    }
    if (address === "" && isObject(node.TaggedAddresses)) address = text(node.TaggedAddresses.wan);
  }
  return { address: address !== "" ? address : text(node.Address), port };
}

function weight(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 1;
}

/** Longest check output kept as an instance's `cause` (outputs of script checks can be long). */
const maxCauseLength = 200;

/** "<CheckID>: <Output or Notes>" of a check, shortened; undefined when the check says nothing. */
function checkCause(check: Record<string, unknown>, id: string): string | undefined {
  const text = [check.Output, check.Notes].find((value): value is string => typeof value === "string" && value.trim() !== "")?.trim();
  if (text === undefined) return undefined;
  const cause = `${id || (typeof check.Name === "string" ? check.Name : "check")}: ${text}`;
  return cause.length > maxCauseLength ? `${cause.slice(0, maxCauseLength)}…` : cause;
}

/**
 * Worst check status (node checks included) and maintenance, from an entry's `Checks`; with the
 * output (or notes) of the first check at that status that has any, when it is not passing.
 */
export function healthFromChecks(checks: unknown): InstanceHealth {
  let status: CheckStatus = "passing";
  let maintenance: MaintenanceMode = "none";
  let cause: string | undefined;
  for (const check of Array.isArray(checks) ? checks : []) {
    if (!isObject(check)) continue;
    const raw = check.Status;
    // An unknown status is treated as critical: never route on something we cannot read.
    const checkStatus: CheckStatus = raw === "passing" || raw === "warning" || raw === "critical" ? raw : "critical";
    const id = typeof check.CheckID === "string" ? check.CheckID : "";
    if (severity[checkStatus] > severity[status]) {
      status = checkStatus;
      cause = checkCause(check, id);
    } else if (checkStatus === status && status !== "passing" && cause === undefined) {
      cause = checkCause(check, id);
    }
    if (id === "_node_maintenance") maintenance = "node";
    else if (id.startsWith("_service_maintenance:") && maintenance === "none") maintenance = "service";
  }
  return cause === undefined ? { status, maintenance } : { status, maintenance, cause };
}

/**
 * Turns one health entry (`{Node, Service, Checks}`) into a {@link ServiceInstance}: address and port
 * by `rule` (see bestAddress; LAN by default), weights default {1,1}, health from every check including
 * the node's. Unreadable entries (no Service or Node, no ID, a port that is not an integer),
 * unroutable ones (port 0, no address) and non-plain kinds are skipped with a reason instead of
 * failing the whole service.
 */
export function instanceFromHealthEntry(entry: unknown, datacenter: string, rule: AddressRule = "lan"): HealthEntryResult {
  const service = isObject(entry) && isObject(entry.Service) ? entry.Service : undefined;
  const node = isObject(entry) && isObject(entry.Node) ? entry.Node : undefined;
  const id = typeof service?.ID === "string" ? service.ID : "";
  const nodeName = typeof node?.Node === "string" ? node.Node : "";
  const skip = (reason: string, unreadable: boolean): HealthEntryResult => ({
    kind: "skip",
    level: "warn",
    instanceId: id === "" ? "?" : id,
    ...(nodeName !== "" ? { node: nodeName } : {}),
    ...(unreadable ? { unreadable: true as const } : {}),
    reason,
  });
  const malformed = (reason: string): HealthEntryResult => skip(reason, true);
  if (!service || !node) return malformed("entry without Node or Service object");
  if (id === "") return malformed("missing Service.ID");
  const kind = service.Kind;
  if (kind !== undefined && kind !== null && kind !== "" && kind !== "typical") {
    return { kind: "skip", level: "debug", instanceId: id, reason: `kind ${String(kind)} is not a plain service` };
  }
  if (nodeName === "") return malformed("missing Node.Node");
  const { address, port } = bestAddress(service, node, rule);
  if (typeof port !== "number" || !Number.isInteger(port)) return malformed(`invalid port ${JSON.stringify(port)}`);
  if (port < 1 || port > 65535) return skip(`invalid port ${JSON.stringify(port)}`, false);
  if (address === "") return skip("no Service.Address and no Node.Address", false);
  const tags = Array.isArray(service.Tags) ? service.Tags.filter((t): t is string => typeof t === "string") : [];
  const weights = isObject(service.Weights)
    ? { passing: weight(service.Weights.Passing), warning: weight(service.Weights.Warning) }
    : { passing: 1, warning: 1 };
  const instance: ServiceInstance = {
    id,
    node: nodeName,
    address,
    port,
    tags,
    meta: stringMap(service.Meta),
    weights,
    health: healthFromChecks((entry as { Checks?: unknown }).Checks),
    datacenter: typeof node.Datacenter === "string" && node.Datacenter !== "" ? node.Datacenter : datacenter,
    nodeMeta: stringMap(node.Meta),
  };
  return { kind: "instance", instance };
}
