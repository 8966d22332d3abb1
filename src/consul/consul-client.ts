import { EventEmitter } from "node:events";
import { Agent as HttpAgent, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { createRequire } from "node:module";
import Consul from "consul";
import { ConsulError, consulErrorFromReason } from "./consul-error.js";
import { type ExtensibleClient, failCutAnswers } from "./cut-answer-guard.js";

/** TLS settings for an `https://` Consul address. */
export interface ConsulTlsOptions {
  /** CA certificate(s) (PEM) that signed Consul's server certificate. */
  readonly ca?: string | Buffer;
  /** Client certificate (PEM), when Consul verifies incoming connections. */
  readonly cert?: string | Buffer;
  /** Client private key (PEM). */
  readonly key?: string | Buffer;
  /** Server name to verify instead of the address's host (Consul: `server.<dc>.consul`). */
  readonly servername?: string;
  /** Default true; false only for throw-away test setups. */
  readonly rejectUnauthorized?: boolean;
}

/** Options of {@link createConsulClient}. */
export interface ConsulClientOptions {
  /** Consul's HTTP API base, e.g. `http://127.0.0.1:8500` or `https://consul.internal:8501` (no `/v1`). */
  readonly address: string;
  /** ACL token; sent only in the `X-Consul-Token` header, never in URLs, logs or error messages. */
  readonly token?: string | undefined;
  /** TLS settings, used when the address is `https://`. */
  readonly tls?: ConsulTlsOptions | undefined;
  /**
   * Most sockets open to Consul at once. Consul answers 429 past `http_max_conns_per_client`
   * (default 200) and each blocking query holds a socket; requests beyond the cap wait. Default 16.
   */
  readonly maxSockets?: number | undefined;
}

/** Parameters shared by every read. */
export interface ConsulQuery {
  /** `?dc=`; default the agent's datacenter. */
  readonly datacenter?: string | undefined;
  /** `?index=`: a value above 0 makes the read a blocking query. */
  readonly index?: number | undefined;
  /** `?wait=` of a blocking query. */
  readonly waitMs?: number | undefined;
  /** `?stale`: any server may answer (no leader round trip; may lag slightly). */
  readonly stale?: boolean | undefined;
  /** `?filter=`: a bexpr expression Consul applies before answering (Consul ≥ 1.4.1; older ones ignore it). */
  readonly filter?: string | undefined;
  /** Abort the request after this long (must exceed `waitMs` + wait/16 for blocking queries). */
  readonly timeoutMs: number;
  /** Cancels the request. */
  readonly signal?: AbortSignal | undefined;
}

/** A successful answer with the blocking-query metadata Consul sends in headers. */
export interface ConsulResponse<T> {
  /** The decoded JSON body, unvalidated: callers check its shape. */
  readonly body: T;
  /** `X-Consul-Index` (0 when missing or malformed). */
  readonly index: number;
  /** `X-Consul-KnownLeader`. */
  readonly knownLeader: boolean;
  /** `X-Consul-LastContact`, in ms. */
  readonly lastContactMs: number;
  /** `X-Consul-Results-Filtered-By-ACLs: true`: Consul left out what the token may not read. */
  readonly filteredByAcls?: boolean;
}

/** The Consul reads the bridge needs, on top of the `consul` npm client's per-call methods. */
export interface ConsulClient {
  /** Consul's base URL as configured (`scheme://host:port[/path]`, never with credentials), for messages. */
  readonly address: string;
  /** The socket cap of the keep-alive pool. */
  readonly maxSockets: number;
  /** `GET /v1/catalog/datacenters`: the datacenters Consul knows (not blocking). */
  catalogDatacenters(query: ConsulQuery): Promise<ConsulResponse<unknown>>;
  /** `GET /v1/catalog/services`: service name → union of tags. */
  catalogServices(query: ConsulQuery): Promise<ConsulResponse<unknown>>;
  /** `GET /v1/health/service/:name` (never `?passing`), optionally narrowed to instances having every tag. */
  healthService(name: string, query: ConsulQuery & { readonly tags?: readonly string[] }): Promise<ConsulResponse<unknown>>;
  /** `GET /v1/health/state/:state`: every check in that state (`any`: all checks). */
  healthState(state: "any" | "passing" | "warning" | "critical", query: ConsulQuery): Promise<ConsulResponse<unknown>>;
  /**
   * The same read, answered with the body's raw bytes (empty when Consul sent none): for answers big
   * enough (tens of MB) that the caller reads only what it needs rather than JSON.parse it whole.
   */
  healthStateBytes(state: "any" | "passing" | "warning" | "critical", query: ConsulQuery): Promise<ConsulResponse<Buffer>>;
  /** `GET /v1/agent/self`. */
  agentSelf(query: ConsulQuery): Promise<ConsulResponse<unknown>>;
  /** `GET /v1/config/:kind`: every config entry of that kind (a blocking query with an index). */
  configEntries(kind: string, query: ConsulQuery): Promise<ConsulResponse<unknown>>;
  /** Closes the pooled sockets. */
  close(): void;
}

/** The slice of the `consul` client this module calls; its typings do not know `ctx`/`timeout`/`index`. */
type CallOptions = Record<string, unknown>;
type Call = (options: CallOptions) => Promise<unknown>;
interface ConsulCalls extends ExtensibleClient {
  readonly catalog: { readonly service: { readonly list: Call }; readonly datacenters: Call };
  readonly health: { readonly service: Call; readonly state: Call };
  readonly agent: { readonly self: Call };
  /** papi's request method, for endpoints the client has no method for (`/v1/config`). */
  _get(request: Record<string, unknown>, ...middleware: unknown[]): Promise<unknown>;
  readonly _defaults: Record<string, unknown>;
  destroy(): void;
}

/** The `consul` client's own request helpers (common options, body middleware), for endpoints it lacks. */
const consulUtils = createRequire(import.meta.url)("consul/lib/utils.js") as {
  options(request: Record<string, unknown>, options: Record<string, unknown>): void;
  normalizeKeys(options: Record<string, unknown>): Record<string, unknown>;
  defaults(options: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown>;
  body: unknown;
};

/** `GET /v1/config/:kind` in the client's own style (the `consul` package has no config-entry methods). */
function configList(consul: ConsulCalls): Call {
  return (options) => {
    const normalized = consulUtils.defaults(consulUtils.normalizeKeys(options), consul._defaults);
    const request: Record<string, unknown> = { name: "config.list", path: "/config/{kind}", params: { kind: options.kind }, query: {} };
    consulUtils.options(request, normalized);
    return consul._get(request, consulUtils.body);
  };
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseIndex(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) return 0;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

function goDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms))}ms`;
}

/**
 * Creates the Consul client: the `consul` npm client pointed at `address` with a keep-alive agent
 * capped at `maxSockets`, the token in `X-Consul-Token` only, TLS with CA and client certificate.
 * Every failure is thrown as a {@link ConsulError} whose message never contains the token.
 */
export function createConsulClient(options: ConsulClientOptions): ConsulClient {
  const maxSockets = options.maxSockets ?? 16;
  if (!Number.isInteger(maxSockets) || maxSockets < 1) throw new Error(`maxSockets must be a positive integer, got ${maxSockets}`);
  const base = new URL(options.address);
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error(`Consul address must be http(s), got ${base.protocol}`);
  if (base.username || base.password) throw new Error("Consul address must not carry credentials; use the token option");
  const secrets = options.token ? [options.token] : [];
  const poolOptions = { keepAlive: true, maxSockets, maxTotalSockets: maxSockets, maxFreeSockets: maxSockets, scheduling: "lifo" as const };
  const agent =
    base.protocol === "https:"
      ? new HttpsAgent({
          ...poolOptions,
          ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
          ...(options.tls?.cert !== undefined ? { cert: options.tls.cert } : {}),
          ...(options.tls?.key !== undefined ? { key: options.tls.key } : {}),
          ...(options.tls?.servername !== undefined ? { servername: options.tls.servername } : {}),
          rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
        })
      : new HttpAgent(poolOptions);
  const path = base.pathname.replace(/\/+$/, "");
  const consul = new Consul({
    baseUrl: `${base.protocol}//${base.host}${path}/v1`,
    agent,
    ...(options.token ? { defaults: { token: options.token } } : {}),
  } as ConstructorParameters<typeof Consul>[0]) as unknown as ConsulCalls;

  // Same agent (same socket cap), but JSON bodies are handed over undecoded.
  const raw = new Consul({
    baseUrl: `${base.protocol}//${base.host}${path}/v1`,
    agent,
    decoders: { "application/json": (body: Buffer) => body },
    ...(options.token ? { defaults: { token: options.token } } : {}),
  } as ConstructorParameters<typeof Consul>[0]) as unknown as ConsulCalls;

  failCutAnswers(consul);
  failCutAnswers(raw);

  const bound = {
    catalogDatacenters: consul.catalog.datacenters.bind(consul.catalog),
    catalogServices: consul.catalog.service.list.bind(consul.catalog.service),
    healthService: consul.health.service.bind(consul.health),
    healthState: consul.health.state.bind(consul.health),
    healthStateBytes: raw.health.state.bind(raw.health),
    agentSelf: consul.agent.self.bind(consul.agent),
    configEntries: configList(consul),
  };

  async function call(method: Call, query: ConsulQuery, extra: CallOptions): Promise<ConsulResponse<unknown>> {
    if (query.signal?.aborted) throw new ConsulError("aborted", "request aborted");
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const onAbort = (): void => void ctx.emit("cancel");
    query.signal?.addEventListener("abort", onAbort, { once: true });
    const callOptions: CallOptions = { ...extra, ctx, timeout: Math.max(1, Math.round(query.timeoutMs)) };
    if (query.datacenter) callOptions.dc = query.datacenter;
    if (query.stale) callOptions.stale = true;
    if (query.filter) callOptions.filter = query.filter;
    if (query.index !== undefined && query.index > 0) {
      callOptions.index = String(query.index);
      if (query.waitMs !== undefined) callOptions.wait = goDuration(query.waitMs);
    }
    try {
      const result = (await method(callOptions)) as [IncomingMessage, unknown];
      const [res, body] = result;
      return {
        body,
        index: parseIndex(header(res, "x-consul-index")),
        knownLeader: header(res, "x-consul-knownleader") === "true",
        lastContactMs: Number(header(res, "x-consul-lastcontact") ?? 0) || 0,
        filteredByAcls: header(res, "x-consul-results-filtered-by-acls") === "true",
      };
    } catch (error) {
      throw consulErrorFromReason(error, secrets);
    } finally {
      query.signal?.removeEventListener("abort", onAbort);
    }
  }

  return {
    address: `${base.protocol}//${base.host}${path}`,
    maxSockets,
    catalogDatacenters: (query) => call(bound.catalogDatacenters, query, {}),
    catalogServices: (query) => call(bound.catalogServices, query, {}),
    healthService: (name, query) =>
      call(bound.healthService, query, { service: name, ...(query.tags?.length ? { tag: [...query.tags] } : {}) }),
    healthState: (state, query) => call(bound.healthState, query, { state }),
    healthStateBytes: async (state, query) => {
      const response = await call(bound.healthStateBytes, query, { state });
      const body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(typeof response.body === "string" ? response.body : "");
      return { ...response, body };
    },
    agentSelf: (query) => call(bound.agentSelf, query, {}),
    configEntries: (kind, query) => call(bound.configEntries, query, { kind }),
    close: () => consul.destroy(),
  };
}
