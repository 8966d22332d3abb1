import { isIP } from "node:net";
import { parseGoDuration } from "../consul/go-duration.js";
import type { CheckSpec, CheckStatus, ServiceAddress, ServiceSpec, ServiceWeights } from "./catalog-records.js";
import {
  BadRequest,
  booleanField,
  field,
  integerField,
  isObject,
  objectField,
  stringField,
  stringListField,
  stringMapField,
} from "./json-fields.js";

const statuses = new Set<string>(["passing", "warning", "critical"]);

/** A service registration as the agent accepts it (`PUT /v1/agent/service/register`), validated. */
export interface AgentRegistration {
  readonly service: ServiceSpec;
  readonly checks: readonly CheckSpec[];
}

function isAnyAddress(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "[::]" || address === "0:0:0:0:0:0:0:0";
}

function parseWeights(body: Record<string, unknown>, fallback: ServiceWeights | null): ServiceWeights | null {
  const weights = objectField(body, "Weights");
  if (!weights) return fallback;
  const parsed = { Passing: integerField(weights, "Passing"), Warning: integerField(weights, "Warning") };
  if (parsed.Passing < 1) throw new BadRequest("Invalid Weights: Passing must be greater than 0");
  if (parsed.Warning < 0) throw new BadRequest("Invalid Weights: Warning must be greater or equal than 0");
  return parsed;
}

function parseTaggedAddresses(body: Record<string, unknown>): Record<string, ServiceAddress> {
  const value = objectField(body, "TaggedAddresses");
  const out: Record<string, ServiceAddress> = {};
  for (const [key, entry] of Object.entries(value ?? {})) {
    if (!isObject(entry)) throw new BadRequest(`Request decode failed: TaggedAddresses.${key}: expected an object`);
    out[key] = { Address: stringField(entry, "Address"), Port: integerField(entry, "Port") };
  }
  return out;
}

/** Parses the service part shared by the agent and catalog APIs. */
function parseService(body: Record<string, unknown>, nameField: "Name" | "Service", defaultWeights: ServiceWeights | null): ServiceSpec {
  const name = stringField(body, nameField);
  const address = stringField(body, "Address");
  if (isAnyAddress(address)) throw new BadRequest("Invalid service address");
  const port = integerField(body, "Port");
  if (port < 0 || port > 65535) throw new BadRequest(`Invalid service port: ${port}`);
  const proxy = objectField(body, "Proxy");
  return {
    id: stringField(body, "ID") || name,
    name,
    kind: stringField(body, "Kind"),
    tags: stringListField(body, "Tags"),
    address,
    taggedAddresses: parseTaggedAddresses(body),
    meta: stringMapField(body, "Meta"),
    port,
    weights: parseWeights(body, defaultWeights),
    enableTagOverride: booleanField(body, "EnableTagOverride"),
    ...(proxy ? { proxy } : {}),
  };
}

function parseStatus(body: Record<string, unknown>): CheckStatus | undefined {
  const status = stringField(body, "Status");
  if (status === "") return undefined;
  if (!statuses.has(status)) throw new BadRequest(`Invalid check: Status for checks must 'passing', 'warning', 'critical'`);
  return status as CheckStatus;
}

function checkType(body: Record<string, unknown>): { type: string; ttlMs?: number } {
  const ttl = stringField(body, "TTL");
  if (ttl !== "") {
    const ttlMs = parseGoDuration(ttl);
    if (ttlMs === undefined || ttlMs <= 0) throw new BadRequest("Invalid check: TTL must be > 0 for TTL checks");
    return { type: "ttl", ttlMs };
  }
  const kinds: Array<[string, string]> = [
    ["HTTP", "http"],
    ["TCP", "tcp"],
    ["GRPC", "grpc"],
    ["H2PING", "h2ping"],
    ["UDP", "udp"],
    ["Args", "script"],
    ["ScriptArgs", "script"],
    ["AliasService", "alias"],
    ["AliasNode", "alias"],
  ];
  for (const [name, type] of kinds) {
    const value = field(body, name);
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    if (type !== "alias") {
      const interval = parseGoDuration(stringField(body, "Interval"));
      if (interval === undefined || interval <= 0) {
        throw new BadRequest("Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or gRPC checks");
      }
    }
    return { type };
  }
  throw new BadRequest("Invalid check: TTL, HTTP, TCP, GRPC, H2PING, UDP, Args or AliasService must be set");
}

/** Consul's automatic `lan_ipv4`/`wan_ipv4` (or `_ipv6`) service tagged addresses for an IP address. */
function withDefaultTaggedAddresses(service: ServiceSpec): ServiceSpec {
  const family = isIP(service.address);
  if (family === 0) return service;
  const suffix = family === 4 ? "ipv4" : "ipv6";
  const entry = { Address: service.address, Port: service.port };
  return {
    ...service,
    taggedAddresses: { [`lan_${suffix}`]: entry, [`wan_${suffix}`]: entry, ...service.taggedAddresses },
  };
}

/**
 * Validates an agent service registration like Consul does: `Name` required, `ID` defaults to it,
 * `0.0.0.0` refused, weights default to {1,1}, checks from `Check`/`Checks` with IDs
 * `service:<ID>` (`service:<ID>:<n>` when several) and no status unless `Status` is given (the
 * catalog then starts them critical, or keeps an existing check's status).
 */
export function parseAgentRegistration(body: unknown): AgentRegistration {
  if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
  const service = parseService(body, "Name", { Passing: 1, Warning: 1 });
  if (service.name === "") throw new BadRequest("Missing service name");
  const single = objectField(body, "Check");
  const many = field(body, "Checks");
  if (many !== undefined && many !== null && !Array.isArray(many)) throw new BadRequest("Request decode failed: Checks: expected a list");
  const definitions = [...(single ? [single] : []), ...((many as unknown[] | undefined | null) ?? [])];
  const checks = definitions.map((definition, i): CheckSpec => {
    if (!isObject(definition)) throw new BadRequest("Request decode failed: Checks: expected objects");
    const { type, ttlMs } = checkType(definition);
    const status = parseStatus(definition);
    const fallbackId = definitions.length > 1 ? `service:${service.id}:${i + 1}` : `service:${service.id}`;
    return {
      checkId: stringField(definition, "CheckID") || stringField(definition, "ID") || fallbackId,
      name: stringField(definition, "Name") || `Service '${service.name}' check`,
      ...(status ? { status } : {}),
      notes: stringField(definition, "Notes"),
      serviceId: service.id,
      type,
      interval: stringField(definition, "Interval"),
      timeout: stringField(definition, "Timeout"),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
    };
  });
  return { service: withDefaultTaggedAddresses(service), checks };
}

/** A `PUT /v1/catalog/register` body, validated. */
export interface CatalogRegistration {
  readonly datacenter: string;
  readonly node: {
    readonly name: string;
    readonly address: string;
    readonly id: string;
    readonly taggedAddresses: Record<string, string>;
    readonly meta: Record<string, string>;
  };
  readonly skipNodeUpdate: boolean;
  readonly service?: ServiceSpec;
  readonly checks: readonly CheckSpec[];
}

/**
 * Validates a catalog registration: node and address required; the optional service's ID defaults
 * to its name and its weights stay null when absent (as Consul's catalog API leaves them); checks
 * without a status are critical.
 */
export function parseCatalogRegistration(body: unknown): CatalogRegistration {
  if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
  const name = stringField(body, "Node");
  const address = stringField(body, "Address");
  if (name === "" || address === "") throw new BadRequest("Must provide node and address");
  const serviceBody = objectField(body, "Service");
  const service = serviceBody ? parseService(serviceBody, "Service", null) : undefined;
  if (service && service.name === "") throw new BadRequest("Must provide service name with ID");
  const single = objectField(body, "Check");
  const many = field(body, "Checks");
  if (many !== undefined && many !== null && !Array.isArray(many)) throw new BadRequest("Request decode failed: Checks: expected a list");
  const definitions = [...(single ? [single] : []), ...((many as unknown[] | undefined | null) ?? [])];
  const checks = definitions.map((definition): CheckSpec => {
    if (!isObject(definition)) throw new BadRequest("Request decode failed: Checks: expected objects");
    const checkId = stringField(definition, "CheckID") || stringField(definition, "Name");
    if (checkId === "") throw new BadRequest("Must provide a CheckID or Name for checks");
    const serviceId = stringField(definition, "ServiceID");
    return {
      checkId,
      name: stringField(definition, "Name") || checkId,
      status: parseStatus(definition) ?? "critical",
      notes: stringField(definition, "Notes"),
      output: stringField(definition, "Output"),
      serviceId,
      type: stringField(definition, "Type"),
      interval: stringField(definition, "Interval"),
      timeout: stringField(definition, "Timeout"),
    };
  });
  return {
    datacenter: stringField(body, "Datacenter"),
    node: {
      name,
      address,
      id: stringField(body, "ID"),
      taggedAddresses: stringMapField(body, "TaggedAddresses"),
      meta: stringMapField(body, "NodeMeta"),
    },
    skipNodeUpdate: booleanField(body, "SkipNodeUpdate"),
    ...(service ? { service } : {}),
    checks,
  };
}
