import { isIP } from "node:net";
import { checkStatusField, isEmptyCheck, parseAgentCheck } from "./agent-check-definition.js";
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
  return checkStatusField(body, `Invalid check: Status for checks must 'passing', 'warning', 'critical'`);
}

/** The non-empty check objects of a definition's `Check` and `Checks` (empty ones are ignored, as by Consul). */
function checkObjects(body: Record<string, unknown>): Record<string, unknown>[] {
  const single = objectField(body, "Check");
  const many = field(body, "Checks");
  if (many !== undefined && many !== null && !Array.isArray(many)) throw new BadRequest("Request decode failed: Checks: expected a list");
  const all = [...(single ? [single] : []), ...((many as unknown[] | undefined | null) ?? [])];
  for (const entry of all) if (!isObject(entry)) throw new BadRequest("Request decode failed: Checks: expected objects");
  return (all as Record<string, unknown>[]).filter((entry) => !isEmptyCheck(entry));
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
 * `0.0.0.0` refused, weights default to {1,1}, checks from `Check`/`Checks` (empty ones ignored)
 * with IDs `service:<ID>` (`service:<ID>:<n>` when several), validated as Consul's CheckType, and
 * no status unless `Status` is given (the catalog then starts them critical, or keeps an existing
 * check's status).
 */
export function parseAgentRegistration(body: unknown): AgentRegistration {
  if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
  const service = parseService(body, "Name", { Passing: 1, Warning: 1 });
  if (service.name === "") throw new BadRequest("Missing service name");
  const definitions = checkObjects(body);
  const checks = definitions.map((definition, i) =>
    parseAgentCheck(
      definition,
      {
        checkId: definitions.length > 1 ? `service:${service.id}:${i + 1}` : `service:${service.id}`,
        name: `Service '${service.name}' check`,
        serviceId: service.id,
      },
      undefined,
    ),
  );
  // Consul validates every check's type before any check's status.
  const withStatus = checks.map((check, i) => {
    const status = checkStatusField(definitions[i]!, "Status for checks must 'passing', 'warning', 'critical'");
    return status ? { ...check, status } : check;
  });
  return { service: withDefaultTaggedAddresses(service), checks: withStatus };
}

/**
 * Validates a `PUT /v1/agent/check/register` body as Consul does: `Name` required ("Missing check
 * name"), a known `Status` ("Bad check status"), a valid check type; the ID defaults to the name.
 */
export function parseCheckRegistration(body: unknown): CheckSpec {
  if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
  const name = stringField(body, "Name");
  if (name === "") throw new BadRequest("Missing check name");
  const status = checkStatusField(body, "Bad check status");
  return parseAgentCheck(body, { checkId: name, name, serviceId: stringField(body, "ServiceID") }, status);
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
