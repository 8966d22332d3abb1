import type { CheckDefinition, CheckRecord, HealthEntry, NodeRecord, ServiceRecord } from "./catalog-records.js";
import { formatGoDuration } from "./format-go-duration.js";

// Field names and order follow Consul's Go structs (structs.Node, NodeService, HealthCheck,
// ServiceNode), so responses look the same to clients and to people comparing with `curl`.

/** `Node` as `/v1/health/service/:name` renders it. */
export function nodeJson(node: NodeRecord): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: node.taggedAddresses,
    Meta: node.meta,
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

function proxyJson(service: ServiceRecord): Record<string, unknown> {
  return service.proxy ?? { Mode: "", MeshGateway: {}, Expose: {} };
}

/** `Service` as `/v1/health/service/:name` renders it: `Kind` only for non-plain services, `Tags` never null. */
export function serviceJson(service: ServiceRecord): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (service.kind !== "") json.Kind = service.kind;
  json.ID = service.id;
  json.Service = service.name;
  json.Tags = service.tags;
  json.Address = service.address;
  if (Object.keys(service.taggedAddresses).length > 0) json.TaggedAddresses = service.taggedAddresses;
  json.Meta = service.meta;
  json.Port = service.port;
  json.Weights = service.weights;
  json.EnableTagOverride = service.enableTagOverride;
  json.Proxy = proxyJson(service);
  json.Connect = {};
  json.PeerName = "";
  json.CreateIndex = service.createIndex;
  json.ModifyIndex = service.modifyIndex;
  return json;
}

/** `HealthCheck.Definition` of an agent-run check: only the fields set, durations as Go prints them. */
function definitionJson(definition: CheckDefinition | undefined): Record<string, unknown> {
  if (!definition) return {};
  const json: Record<string, unknown> = {};
  if (definition.intervalMs > 0) json.Interval = formatGoDuration(definition.intervalMs);
  if (definition.timeoutMs > 0) json.Timeout = formatGoDuration(definition.timeoutMs);
  if (definition.http) json.HTTP = definition.http;
  if (definition.header && Object.keys(definition.header).length > 0) json.Header = definition.header;
  if (definition.method) json.Method = definition.method;
  if (definition.body) json.Body = definition.body;
  if (definition.disableRedirects) json.DisableRedirects = true;
  if (definition.tlsServerName) json.TLSServerName = definition.tlsServerName;
  if (definition.tlsSkipVerify) json.TLSSkipVerify = true;
  if (definition.tcp) json.TCP = definition.tcp;
  if (definition.grpc) json.GRPC = definition.grpc;
  if (definition.grpcUseTls) json.GRPCUseTLS = true;
  return json;
}

/** A `HealthCheck` as every health endpoint renders it. */
export function checkJson(check: CheckRecord): Record<string, unknown> {
  return {
    Node: check.node,
    CheckID: check.checkId,
    Name: check.name,
    Status: check.status,
    Notes: check.notes,
    Output: check.output,
    ServiceID: check.serviceId,
    ServiceName: check.serviceName,
    ServiceTags: check.serviceTags,
    Type: check.type,
    Interval: check.interval,
    Timeout: check.timeout,
    ExposedPort: 0,
    Definition: definitionJson(check.definition),
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}

/** One `/v1/health/service/:name` entry. */
export function healthEntryJson(entry: HealthEntry): Record<string, unknown> {
  return { Node: nodeJson(entry.node), Service: serviceJson(entry.service), Checks: entry.checks.map(checkJson) };
}

/** One `/v1/catalog/service/:name` row (Consul's flattened `ServiceNode`). */
export function catalogServiceJson(node: NodeRecord, service: ServiceRecord): Record<string, unknown> {
  const json: Record<string, unknown> = {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: node.taggedAddresses,
    NodeMeta: node.meta,
  };
  if (service.kind !== "") json.ServiceKind = service.kind;
  Object.assign(json, {
    ServiceID: service.id,
    ServiceName: service.name,
    ServiceTags: service.tags,
    ServiceAddress: service.address,
    ServiceWeights: service.weights ?? { Passing: 1, Warning: 1 },
    ServiceMeta: service.meta,
    ServicePort: service.port,
    ServiceEnableTagOverride: service.enableTagOverride,
    ServiceProxy: proxyJson(service),
    ServiceConnect: {},
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  });
  if (Object.keys(service.taggedAddresses).length > 0) json.ServiceTaggedAddresses = service.taggedAddresses;
  return json;
}

/** A service as `/v1/agent/services` renders it (the agent's local view). */
export function agentServiceJson(service: ServiceRecord, datacenter: string): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (service.kind !== "") json.Kind = service.kind;
  Object.assign(json, {
    ID: service.id,
    Service: service.name,
    Tags: service.tags,
    Meta: service.meta,
    Port: service.port,
    Address: service.address,
  });
  if (Object.keys(service.taggedAddresses).length > 0) json.TaggedAddresses = service.taggedAddresses;
  Object.assign(json, {
    Weights: service.weights ?? { Passing: 1, Warning: 1 },
    EnableTagOverride: service.enableTagOverride,
    Datacenter: datacenter,
  });
  return json;
}

const nodeTexts = new WeakMap<NodeRecord, string>();
const serviceTexts = new WeakMap<ServiceRecord, string>();
const checkTexts = new WeakMap<CheckRecord, string>();

function cached<T extends object>(cache: WeakMap<T, string>, record: T, render: (record: T) => unknown): string {
  let text = cache.get(record);
  if (text === undefined) {
    text = JSON.stringify(render(record));
    cache.set(record, text);
  }
  return text;
}

/**
 * The JSON text of a check, rendered once per record (records are immutable): a list of 100,000
 * checks is then a concatenation, not 100,000 serialisations.
 */
export function checkJsonText(check: CheckRecord): string {
  return cached(checkTexts, check, checkJson);
}

/** The JSON text of one health entry, from per-record cached parts. */
export function healthEntryJsonText(entry: HealthEntry): string {
  const node = cached(nodeTexts, entry.node, nodeJson);
  const service = cached(serviceTexts, entry.service, serviceJson);
  return `{"Node":${node},"Service":${service},"Checks":[${entry.checks.map(checkJsonText).join(",")}]}`;
}
