import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { compileFilter } from "../bexpr/index.js";
import { parseGoDuration } from "../consul/go-duration.js";
import type { CheckRecord, CheckStatus, HealthEntry } from "./catalog-records.js";
import type { CatalogStore } from "./catalog-store.js";
import { createConfigEntryRoutes } from "./config-entry-routes.js";
import { agentServiceJson, catalogServiceJson, checkJson, healthEntryJson } from "./consul-json.js";
import { type DatacenterCatalog, topics } from "./datacenter-catalog.js";
import { type FaultInjector, tooManyConnectionsText } from "./fault-injector.js";
import { BadRequest, isObject, stringField } from "./json-fields.js";
import { parseAgentRegistration, parseCatalogRegistration } from "./registration.js";

/** Options of {@link createConsulHttpHandler}. */
export interface ConsulHttpHandlerOptions {
  /** The catalog answered and written to. */
  readonly store: CatalogStore;
  /** Faults applied before each request is handled. */
  readonly faults: FaultInjector;
  /** When set, ACLs are on: these tokens may do anything, an unknown token gets 403 "ACL not found", no token is anonymous. */
  readonly aclTokens?: readonly string[] | undefined;
  /** Source of the blocking-query jitter (0 ≤ x < 1). */
  readonly random: () => number;
  /** `wait` when the request has none (Consul: 5 minutes). */
  readonly defaultWaitMs: number;
  /** Largest `wait` honoured (Consul: 10 minutes). */
  readonly maxWaitMs: number;
  readonly logger: Logger;
}

/** An answer that ends a request early, with Consul's status and text. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Consistency = "leader" | "stale" | "consistent";

/** The query parameters every read endpoint shares (Consul's `parseInternal`). */
interface ReadQuery {
  readonly dc: DatacenterCatalog;
  readonly index: number;
  readonly waitMs: number;
  readonly consistency: Consistency;
  readonly filter: string;
}

interface Answer {
  readonly index: number;
  /** JSON text, or its encoded bytes when cached. */
  readonly json: string | Buffer;
  readonly filteredByAcl?: boolean;
}

interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly path: string;
  /** undefined: ACLs off; "anonymous": no token; "allowed": a known token. */
  readonly identity: "allowed" | "anonymous" | undefined;
  readonly zeroIndex: boolean;
  /** Send only half the body of the answer, then close the connection. */
  readonly cutBody: boolean;
}

const maxBodyBytes = 4 * 1024 * 1024;
const healthRoots = new Set(["Node", "Service", "Checks"]);
const checkStates = new Set(["any", "passing", "warning", "critical"]);

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function sendJson(res: ServerResponse, json: string | Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(json), ...headers });
  res.end(json);
}

/** Sends the headers of a JSON answer and half its body, then closes the connection mid-body. */
function sendCut(res: ServerResponse, json: string | Buffer, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(json);
  res.writeHead(200, { "Content-Length": body.length, ...headers, "Content-Type": "application/json" });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

function pretty(ctx: RequestContext, json: string | Buffer): string | Buffer {
  return ctx.url.searchParams.has("pretty") ? JSON.stringify(JSON.parse(json.toString()), null, 4) : json;
}

function parseBool(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  if (["1", "t", "true"].includes(lower)) return true;
  if (["0", "f", "false"].includes(lower)) return false;
  return undefined;
}

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers["x-consul-token"];
  if (typeof header === "string" && header !== "") return header;
  const auth = req.headers.authorization;
  if (typeof auth === "string" && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, "").trim();
  const query = url.searchParams.get("token");
  return query === null || query === "" ? undefined : query;
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) throw new HttpFailure(413, "Request body too large");
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new BadRequest("Request decode failed: EOF");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadRequest(`Request decode failed: ${(error as Error).message}`);
  }
}

function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    }
    res.once("close", done);
  });
}

/**
 * The HTTP face of the embedded catalog: Consul's paths, query parameters, status codes, error
 * texts and `X-Consul-*` headers, blocking queries included. Faults are applied first.
 */
export function createConsulHttpHandler(options: ConsulHttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, faults, logger } = options;
  const aclTokens = options.aclTokens ? new Set(options.aclTokens) : undefined;
  const configEntries = createConfigEntryRoutes({
    store,
    random: options.random,
    defaultWaitMs: options.defaultWaitMs,
    maxWaitMs: options.maxWaitMs,
  });

  function parseReadQuery(ctx: RequestContext): ReadQuery {
    const params = ctx.url.searchParams;
    const stale = params.has("stale");
    const consistent = params.has("consistent");
    if (stale && consistent) throw new HttpFailure(400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
    let waitMs = options.defaultWaitMs;
    const wait = params.get("wait");
    if (wait !== null && wait !== "") {
      const parsed = parseGoDuration(wait);
      if (parsed === undefined) throw new HttpFailure(400, "Invalid wait time");
      waitMs = parsed <= 0 ? options.defaultWaitMs : Math.min(parsed, options.maxWaitMs);
    }
    let index = 0;
    const rawIndex = params.get("index");
    if (rawIndex !== null && rawIndex !== "") {
      if (!/^\d+$/.test(rawIndex)) throw new HttpFailure(400, "Invalid index");
      index = Number(rawIndex);
    }
    return {
      dc: datacenterOf(ctx),
      index,
      waitMs,
      consistency: stale ? "stale" : consistent ? "consistent" : "leader",
      filter: params.get("filter") ?? "",
    };
  }

  function datacenterOf(ctx: RequestContext, explicit?: string): DatacenterCatalog {
    const name = explicit || ctx.url.searchParams.get("dc") || store.agentDatacenter;
    const dc = store.datacenter(name);
    if (!dc) throw new HttpFailure(500, "No path to datacenter");
    return dc;
  }

  function requireWrite(ctx: RequestContext, permission: string): void {
    if (ctx.identity === "anonymous") {
      throw new HttpFailure(403, `Permission denied: anonymous token lacks permission '${permission}'`);
    }
  }

  /** Answers a read, blocking until the answer's index passes `?index` or `wait` (+ jitter) elapses. */
  async function blockingRead(ctx: RequestContext, query: ReadQuery, topic: string, read: () => Answer): Promise<void> {
    const dcName = query.dc.name;
    const generation = store.generation(dcName);
    let answer = read();
    if (query.index > 0 && answer.index <= query.index) {
      const waited = await new Promise<Answer | undefined>((resolve) => {
        const jitter = Math.floor(options.random() * (query.waitMs / 16));
        let settled = false;
        const finish = (value: Answer | undefined): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          unregister();
          ctx.res.off("close", onClose);
          resolve(value);
        };
        const onClose = (): void => finish(undefined);
        const timer = setTimeout(() => finish(read()), query.waitMs + jitter);
        const unregister = store.waiters.add(`${dcName}\u0000${topic}`, () => {
          const next = read();
          if (next.index > query.index || store.generation(dcName) !== generation) finish(next);
        });
        ctx.res.once("close", onClose);
      });
      if (!waited) return;
      answer = waited;
    }
    const headers: Record<string, string> = {
      "X-Consul-Index": String(ctx.zeroIndex ? 0 : Math.max(1, answer.index)),
      "X-Consul-KnownLeader": "true",
      "X-Consul-LastContact": "0",
      "X-Consul-Effective-Consistency": query.consistency,
      "X-Consul-Query-Backend": "blocking-query",
    };
    if (answer.filteredByAcl) headers["X-Consul-Results-Filtered-By-ACLs"] = "true";
    if (ctx.cutBody) sendCut(ctx.res, pretty(ctx, answer.json), headers);
    else sendJson(ctx.res, pretty(ctx, answer.json), headers);
  }

  function compile(expression: string, roots?: ReadonlySet<string>): ((value: unknown) => boolean) | undefined {
    if (expression === "") return undefined;
    const compiled = compileFilter(expression, roots);
    if (!compiled.ok) throw new HttpFailure(500, `Failed to create boolean expression evaluator: ${compiled.error}`);
    return compiled.matches;
  }

  function passingParam(ctx: RequestContext): boolean {
    const params = ctx.url.searchParams;
    if (!params.has("passing")) return false;
    const value = params.get("passing") ?? "";
    if (value === "") return true;
    const parsed = parseBool(value);
    if (parsed === undefined) throw new HttpFailure(400, "Invalid value for ?passing");
    return parsed;
  }

  function anonymousEmpty(ctx: RequestContext, index: number, empty: string): Answer | undefined {
    return ctx.identity === "anonymous" ? { index, json: empty, filteredByAcl: true } : undefined;
  }

  async function healthService(ctx: RequestContext, name: string): Promise<void> {
    const query = parseReadQuery(ctx);
    const tags = ctx.url.searchParams.getAll("tag");
    const passing = passingParam(ctx);
    const matches = compile(query.filter, healthRoots);
    const plain = tags.length === 0 && !passing && !matches;
    await blockingRead(ctx, query, topics.service(name), () => {
      const denied = anonymousEmpty(ctx, query.dc.serviceIndex(name), "[]");
      if (denied) return denied;
      if (plain) return query.dc.healthJson(name);
      const { index, records } = query.dc.healthEntries(name);
      const kept = records
        .filter((record: HealthEntry) => !passing || record.checks.every((c) => c.status === "passing"))
        .filter((record) => tags.every((t) => record.service.tags.includes(t)))
        .map(healthEntryJson)
        .filter((entry) => (matches ? matches(entry) : true));
      return { index, json: JSON.stringify(kept) };
    });
  }

  async function healthChecks(ctx: RequestContext, name: string): Promise<void> {
    const query = parseReadQuery(ctx);
    const matches = compile(query.filter);
    await blockingRead(ctx, query, topics.service(name), () => {
      const denied = anonymousEmpty(ctx, query.dc.serviceIndex(name), "[]");
      if (denied) return denied;
      const { index, records } = query.dc.healthEntries(name);
      const checks = records.flatMap((r) => r.checks.filter((c) => c.serviceId !== "")).map(checkJson);
      return { index, json: JSON.stringify(matches ? checks.filter(matches) : checks) };
    });
  }

  async function healthState(ctx: RequestContext, state: string): Promise<void> {
    if (!checkStates.has(state)) throw new HttpFailure(400, "Bad check state");
    const query = parseReadQuery(ctx);
    const matches = compile(query.filter);
    await blockingRead(ctx, query, topics.checks, () => {
      const denied = anonymousEmpty(ctx, query.dc.checksIndex, "[]");
      if (denied) return denied;
      if (state === "any" && !matches) return query.dc.allChecksJson();
      const { index, records } = query.dc.allChecks();
      const selected = (state === "any" ? records : records.filter((c: CheckRecord) => c.status === state)).map(checkJson);
      return { index, json: JSON.stringify(matches ? selected.filter(matches) : selected) };
    });
  }

  async function catalogServices(ctx: RequestContext): Promise<void> {
    const query = parseReadQuery(ctx);
    const matches = compile(query.filter);
    await blockingRead(ctx, query, topics.services, () => {
      const denied = anonymousEmpty(ctx, query.dc.servicesIndex, "{}");
      if (denied) return denied;
      if (!matches) return query.dc.catalogServices();
      const body: Record<string, string[]> = {};
      for (const name of [...query.dc.serviceNames()].sort()) {
        const rows = query.dc
          .healthEntries(name)
          .records.map((r) => catalogServiceJson(r.node, r.service))
          .filter(matches);
        if (rows.length === 0) continue;
        body[name] = [...new Set(rows.flatMap((r) => r.ServiceTags as string[]))].sort();
      }
      return { index: query.dc.servicesIndex, json: JSON.stringify(body) };
    });
  }

  async function catalogService(ctx: RequestContext, name: string): Promise<void> {
    const query = parseReadQuery(ctx);
    const tags = ctx.url.searchParams.getAll("tag");
    const matches = compile(query.filter);
    await blockingRead(ctx, query, topics.service(name), () => {
      const denied = anonymousEmpty(ctx, query.dc.serviceIndex(name), "[]");
      if (denied) return denied;
      const { index, records } = query.dc.healthEntries(name);
      const rows = records.filter((r) => tags.every((t) => r.service.tags.includes(t))).map((r) => catalogServiceJson(r.node, r.service));
      return { index, json: JSON.stringify(matches ? rows.filter(matches) : rows) };
    });
  }

  async function catalogNodes(ctx: RequestContext): Promise<void> {
    const query = parseReadQuery(ctx);
    const matches = compile(query.filter);
    await blockingRead(ctx, query, topics.nodes, () => {
      const { index, nodes } = query.dc.allNodes();
      const denied = anonymousEmpty(ctx, index, "[]");
      if (denied) return denied;
      const rows = nodes.map((n) => ({
        ID: n.id,
        Node: n.name,
        Address: n.address,
        Datacenter: n.datacenter,
        TaggedAddresses: n.taggedAddresses,
        Meta: n.meta,
        CreateIndex: n.createIndex,
        ModifyIndex: n.modifyIndex,
      }));
      return { index, json: JSON.stringify(matches ? rows.filter(matches) : rows) };
    });
  }

  function agentSelf(ctx: RequestContext): void {
    if (ctx.identity === "anonymous") throw new HttpFailure(403, "Permission denied: anonymous token lacks permission 'agent:read'");
    const dc = store.agentDatacenter;
    const node = store.datacenter(dc)?.node(store.agentNode);
    const address = node?.address ?? "127.0.0.1";
    const body = {
      Config: {
        Datacenter: dc,
        PrimaryDatacenter: dc,
        NodeName: store.agentNode,
        NodeID: store.agentNodeId,
        Revision: "embedded",
        Server: true,
        Version: "1.20.0",
        BuildDate: "2024-01-01T00:00:00Z",
      },
      DebugConfig: { Datacenter: dc, NodeName: store.agentNode },
      Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 },
      Member: {
        Name: store.agentNode,
        Addr: address,
        Port: 8301,
        Tags: { dc, role: "consul", id: store.agentNodeId, port: "8300", build: "1.20.0:embedded" },
        Status: 1,
      },
      Stats: {},
      Meta: node?.meta ?? {},
    };
    sendJson(ctx.res, pretty(ctx, JSON.stringify(body)));
  }

  function enableParam(ctx: RequestContext): boolean {
    const raw = ctx.url.searchParams.get("enable");
    if (raw === null || raw === "") throw new HttpFailure(400, "Missing value for enable");
    const parsed = parseBool(raw);
    if (parsed === undefined) throw new HttpFailure(400, `Invalid value for enable: ${JSON.stringify(raw)}`);
    return parsed;
  }

  function checkUpdate(ctx: RequestContext, checkId: string, status: CheckStatus, output: string): void {
    requireWrite(ctx, "node:write");
    const result = store.agentUpdateCheck(checkId, status, output);
    if (result === "unknown-check") {
      throw new HttpFailure(404, `Unknown check ID ${JSON.stringify(checkId)}. Ensure that the check ID is passed, not the check name.`);
    }
    if (result === "not-ttl") throw new HttpFailure(500, `CheckID ${JSON.stringify(checkId)} does not have associated TTL`);
    sendText(ctx.res, 200, "");
  }

  async function route(ctx: RequestContext): Promise<void> {
    const { req, path } = ctx;
    const method = req.method ?? "GET";
    const segments = path
      .split("/")
      .slice(1)
      .map((s) => decodeURIComponent(s));
    const [v1, group, action, ...rest] = segments;
    if (v1 !== "v1") throw new HttpFailure(404, "404 page not found");
    const restName = rest.join("/");
    if (group === "config") {
      const tail = segments.slice(2).join("/");
      return configEntries.handle({ req, res: ctx.res, url: ctx.url, rest: segments.length > 2 ? `/${tail}` : "", identity: ctx.identity });
    }
    const isRead = method === "GET" || method === "HEAD";
    const expect = (allowed: "read" | "write"): void => {
      if (allowed === "read" ? !isRead : method !== "PUT") throw new HttpFailure(405, `method ${method} not allowed`);
    };

    switch (`${group}/${action}`) {
      case "health/service":
        expect("read");
        return healthService(ctx, requireName(restName));
      case "health/checks":
        expect("read");
        return healthChecks(ctx, requireName(restName));
      case "health/state":
        expect("read");
        return healthState(ctx, restName);
      case "catalog/services":
        expect("read");
        return catalogServices(ctx);
      case "catalog/service":
        expect("read");
        return catalogService(ctx, requireName(restName));
      case "catalog/nodes":
        expect("read");
        return catalogNodes(ctx);
      case "catalog/datacenters":
        expect("read");
        return sendJson(ctx.res, JSON.stringify(store.datacenterNames()));
      case "catalog/register": {
        expect("write");
        requireWrite(ctx, "node:write");
        const registration = parseCatalogRegistration(await readJsonBody(req));
        const dc = datacenterOf(ctx, registration.datacenter);
        store.catalogRegister(dc.name, registration);
        return sendJson(ctx.res, "true");
      }
      case "catalog/deregister": {
        expect("write");
        requireWrite(ctx, "node:write");
        const body = await readJsonBody(req);
        if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
        const node = stringField(body, "Node");
        if (node === "") throw new BadRequest("Must provide node");
        const dc = datacenterOf(ctx, stringField(body, "Datacenter"));
        store.catalogDeregister(dc.name, node, stringField(body, "ServiceID"), stringField(body, "CheckID"));
        return sendJson(ctx.res, "true");
      }
      case "agent/self":
        expect("read");
        return agentSelf(ctx);
      case "agent/services": {
        expect("read");
        const json: Record<string, unknown> = {};
        if (ctx.identity !== "anonymous") {
          for (const s of store.agentServices()) json[s.id] = agentServiceJson(s, store.agentDatacenter);
        }
        return sendJson(ctx.res, pretty(ctx, JSON.stringify(json)));
      }
      case "agent/checks": {
        expect("read");
        const json: Record<string, unknown> = {};
        if (ctx.identity !== "anonymous") for (const c of store.agentChecks()) json[c.checkId] = checkJson(c);
        return sendJson(ctx.res, pretty(ctx, JSON.stringify(json)));
      }
      case "agent/maintenance":
        expect("write");
        requireWrite(ctx, "node:write");
        store.agentNodeMaintenance(enableParam(ctx), ctx.url.searchParams.get("reason") ?? "");
        return sendText(ctx.res, 200, "");
      case "agent/service": {
        const [verb, ...idParts] = rest;
        const id = idParts.join("/");
        expect("write");
        requireWrite(ctx, "service:write");
        if (verb === "register" && idParts.length === 0) {
          store.agentRegister(parseAgentRegistration(await readJsonBody(req)));
          return sendText(ctx.res, 200, "");
        }
        if (verb === "deregister" && id !== "") {
          store.agentDeregister(id);
          return sendText(ctx.res, 200, "");
        }
        if (verb === "maintenance" && id !== "") {
          const enable = enableParam(ctx);
          if (!store.agentServiceMaintenance(id, enable, ctx.url.searchParams.get("reason") ?? "")) {
            throw new HttpFailure(404, `Unknown service ID ${JSON.stringify(id)}`);
          }
          return sendText(ctx.res, 200, "");
        }
        throw new HttpFailure(404, "404 page not found");
      }
      case "agent/check": {
        const [verb, ...idParts] = rest;
        const id = idParts.join("/");
        expect("write");
        if (id === "") throw new HttpFailure(404, "404 page not found");
        const note = ctx.url.searchParams.get("note") ?? "";
        if (verb === "pass") return checkUpdate(ctx, id, "passing", note);
        if (verb === "warn") return checkUpdate(ctx, id, "warning", note);
        if (verb === "fail") return checkUpdate(ctx, id, "critical", note);
        if (verb === "update") {
          const body = await readJsonBody(req);
          if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
          const status = stringField(body, "Status");
          if (status !== "passing" && status !== "warning" && status !== "critical") {
            throw new HttpFailure(400, `Invalid check status: ${JSON.stringify(status)}`);
          }
          return checkUpdate(ctx, id, status, stringField(body, "Output"));
        }
        throw new HttpFailure(404, "404 page not found");
      }
      case "status/leader":
        expect("read");
        return sendJson(ctx.res, JSON.stringify("127.0.0.1:8300"));
      case "status/peers":
        expect("read");
        return sendJson(ctx.res, JSON.stringify(["127.0.0.1:8300"]));
      default:
        throw new HttpFailure(404, "404 page not found");
    }
  }

  function requireName(name: string): string {
    if (name === "") throw new HttpFailure(400, "Missing service name");
    return name;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://embedded-consul");
    const path = url.pathname;
    const applied = faults.take(path);
    for (const fault of applied) {
      if (fault.kind === "latency") await sleep(fault.ms, res);
    }
    if (res.destroyed) return;
    for (const fault of applied) {
      if (fault.kind === "reset") {
        req.socket.destroy();
        return;
      }
      if (fault.kind === "status") {
        sendText(res, fault.status, fault.body ?? (fault.status === 429 ? tooManyConnectionsText : "Internal Server Error"));
        return;
      }
    }
    const params = url.searchParams;
    for (const name of ["ns", "partition"] as const) {
      const value = params.get(name);
      if (value !== null && value !== "") {
        const feature = name === "ns" ? "Namespaces" : "Partitions";
        throw new HttpFailure(400, `Invalid query parameter: "${name}" - ${feature} are a Consul Enterprise feature`);
      }
    }
    let identity: RequestContext["identity"];
    if (aclTokens) {
      const token = tokenOf(req, url);
      if (token === undefined) identity = "anonymous";
      else if (aclTokens.has(token)) identity = "allowed";
      else throw new HttpFailure(403, "ACL not found");
    }
    await route({
      req,
      res,
      url,
      path,
      identity,
      zeroIndex: applied.some((f) => f.kind === "zero-index"),
      cutBody: applied.some((f) => f.kind === "cut-body"),
    });
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpFailure) return sendText(res, error.status, error.message);
      if (error instanceof BadRequest) return sendText(res, 400, error.message);
      logger.error({ err: error, url: req.url }, "embedded consul: request failed");
      sendText(res, 500, error instanceof Error ? error.message : String(error));
    });
  };
}
