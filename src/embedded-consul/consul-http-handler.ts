import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Clock } from "../consul/clock.js";
import { agentCheckRoutes } from "./agent-check-routes.js";
import { agentRoutes } from "./agent-routes.js";
import { catalogRoutes } from "./catalog-routes.js";
import type { CatalogStore } from "./catalog-store.js";
import { createConfigEntryRoutes } from "./config-entry-routes.js";
import { type ConsulRoute, type RouteRequest, RouteTable } from "./consul-route.js";
import { type FaultInjector, tooManyConnectionsText } from "./fault-injector.js";
import { healthRoutes } from "./health-routes.js";
import { HttpFailure, sendText, tokenOf } from "./http-answers.js";
import { BadRequest } from "./json-fields.js";
import { createReadKit, type ReadKit } from "./route-kit.js";
import { statusRoutes } from "./status-routes.js";

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
  /** Time for blocking-query waits. */
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Consul endpoints that exist but that dev mode does not implement, with Consul's methods, so a
 * wrong method still gets Consul's 405 (python-consul, for one, sends GET to the PUT-only join).
 */
const knownUnimplemented: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["/v1/agent/join/", ["PUT"]],
  ["/v1/agent/force-leave/", ["PUT"]],
  ["/v1/agent/leave", ["PUT"]],
  ["/v1/agent/reload", ["PUT"]],
  ["/v1/agent/service/", ["GET"]],
];

/** Every route the embedded catalog answers: the one table to extend with a new endpoint family. */
function routeTable(kit: ReadKit, configEntries: ConsulRoute[]): ConsulRoute[] {
  const unimplemented = knownUnimplemented.map(([pattern, methods]) => ({
    pattern,
    methods,
    handle: ({ req, url }: RouteRequest) => {
      throw notImplemented(req.method ?? "GET", url.pathname);
    },
  }));
  return [
    ...agentRoutes(kit),
    ...agentCheckRoutes(kit),
    ...catalogRoutes(kit),
    ...healthRoutes(kit),
    ...statusRoutes(kit),
    ...configEntries,
    ...unimplemented,
  ];
}

/** The answer for a Consul API path this catalog has no route for: said plainly, so nobody mistakes it for Consul's own 404. */
function notImplemented(method: string, path: string): HttpFailure {
  return new HttpFailure(
    501,
    `${method} ${path} is not implemented by consul-xds-bridge's embedded Consul catalog (dev mode), which serves only the agent, ` +
      "catalog, health, status and config-entry endpoints that service registration and the bridge use. Point at a Consul agent for the rest of the API.",
  );
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
 * The HTTP face of the embedded catalog: Consul's paths (one route table, matched like Go's
 * ServeMux), methods (405 with `Allow`), query parameters, status codes, error texts and
 * `X-Consul-*` headers, blocking queries included. Faults are applied first.
 */
export function createConsulHttpHandler(options: ConsulHttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, faults, logger } = options;
  const aclTokens = options.aclTokens ? new Set(options.aclTokens) : undefined;
  const reads = {
    store,
    random: options.random,
    defaultWaitMs: options.defaultWaitMs,
    maxWaitMs: options.maxWaitMs,
    clock: options.clock,
  };
  const kit = createReadKit(reads);
  const configEntries = createConfigEntryRoutes(reads);
  const table = new RouteTable(
    routeTable(kit, [
      { pattern: "/v1/config", methods: ["PUT"], handle: (r) => configEntries.handle({ ...r, rest: "" }) },
      { pattern: "/v1/config/", methods: ["GET", "HEAD", "DELETE"], handle: (r) => configEntries.handle({ ...r, rest: `/${r.rest}` }) },
    ]),
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://embedded-consul");
    const applied = faults.take(url.pathname);
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
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpFailure(400, `invalid URL escape in ${JSON.stringify(url.pathname)}`);
    }
    const params = url.searchParams;
    for (const name of ["ns", "partition"] as const) {
      const value = params.get(name);
      if (value !== null && value !== "") {
        const feature = name === "ns" ? "Namespaces" : "Partitions";
        throw new HttpFailure(400, `Invalid query parameter: "${name}" - ${feature} are a Consul Enterprise feature`);
      }
    }
    let identity: RouteRequest["identity"];
    if (aclTokens) {
      const token = tokenOf(req, url);
      if (token === undefined) identity = "anonymous";
      else if (aclTokens.has(token)) identity = "allowed";
      else throw new HttpFailure(403, "ACL not found");
    }
    const method = req.method ?? "GET";
    const matched = table.match(path);
    if (!matched) {
      if (path.startsWith("/v1/")) throw notImplemented(method, path);
      throw new HttpFailure(404, "404 page not found");
    }
    if (!matched.route.methods.includes(method)) {
      throw new HttpFailure(405, `method ${method} not allowed`, { Allow: matched.route.methods.join(",") });
    }
    await matched.route.handle({
      req,
      res,
      url,
      rest: matched.rest,
      identity,
      zeroIndex: applied.some((f) => f.kind === "zero-index"),
      cutBody: applied.some((f) => f.kind === "cut-body"),
      ignoreFilter: applied.some((f) => f.kind === "ignore-filter"),
    });
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpFailure) return sendText(res, error.status, error.message, error.headers);
      if (error instanceof BadRequest) return sendText(res, 400, error.message);
      logger.error({ err: error, url: req.url }, "embedded consul: request failed");
      sendText(res, 500, error instanceof Error ? error.message : String(error));
    });
  };
}
