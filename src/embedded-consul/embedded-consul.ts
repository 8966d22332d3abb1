import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { hostname } from "node:os";
import { type Logger, pino } from "pino";
import { type Clock, systemClock } from "../consul/clock.js";
import { CatalogStore } from "./catalog-store.js";
import { createConsulHttpHandler } from "./consul-http-handler.js";
import { FaultInjector } from "./fault-injector.js";

/** Options of {@link createEmbeddedConsul}. */
export interface EmbeddedConsulOptions {
  /** Port to listen on; 0 (the default) picks a free port. */
  readonly port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Datacenters answered by this process (`?dc=`); the first is the agent's. Default ["dc1"]. */
  readonly datacenters?: readonly string[];
  /** The agent's node name; default the host name, as a Consul dev agent. */
  readonly nodeName?: string;
  /** The agent's node address; default 127.0.0.1. */
  readonly nodeAddress?: string;
  /** Turns ACLs on: requests must carry one of these tokens (unknown → 403 "ACL not found"; none → anonymous). */
  readonly aclTokens?: readonly string[];
  /** Show the `consul` service on each datacenter's server node, as real Consul does. Default true. */
  readonly consulService?: boolean;
  /** Turn TTL checks critical when they are not refreshed in time. Default true. */
  readonly ttlExpiry?: boolean;
  /** Run the agent's HTTP, TCP and gRPC checks every `Interval`, as a Consul agent does. Default true. */
  readonly runChecks?: boolean;
  /** Time for check intervals, timeouts, TTLs and blocking-query waits; tests pass a virtual clock. Default the system clock. */
  readonly clock?: Clock;
  /** `wait` of a blocking query that names none. Default 5 minutes (Consul's). */
  readonly defaultWaitMs?: number;
  /** Largest `wait` honoured. Default 10 minutes (Consul's). */
  readonly maxWaitMs?: number;
  /** Jitter source for blocking queries (adds up to wait/16) and checks' first-run stagger. Default Math.random. */
  readonly random?: () => number;
  /** Default: silent. */
  readonly logger?: Logger;
}

/** TCP connections the catalog has seen: lets a test assert a client's socket cap. */
export interface ConnectionStats {
  /** Connections open now. */
  readonly current: number;
  /** Most connections open at once since start (or the last {@link ConnectionStats.resetPeak}). */
  readonly peak: number;
  /** Connections accepted since start. */
  readonly total: number;
  /** Starts a new peak measurement from the current count. */
  resetPeak(): void;
}

/** A running embedded Consul-compatible catalog. */
export interface EmbeddedConsul {
  /** Base URL, e.g. `http://127.0.0.1:43817` (no `/v1`). */
  readonly url: string;
  readonly port: number;
  /** The catalog itself: seeding, direct writes, index resets. */
  readonly store: CatalogStore;
  /** Fault hooks applied to incoming requests. */
  readonly faults: FaultInjector;
  readonly connections: ConnectionStats;
  /** HTTP requests handled so far whose path starts with `prefix` (default: all). */
  requestCount(prefix?: string): number;
  /**
   * Calls `listener` with the path of every request, once the catalog has taken it in (a blocking
   * query is registered as a waiter by then); returns an unsubscribe function.
   */
  onRequest(listener: (path: string, query: URLSearchParams) => void): () => void;
  /**
   * Calls `listener` once each answer has been written, with the bytes it put on the wire (status
   * line, headers and body); returns an unsubscribe function. Lets a benchmark measure what a
   * client costs the catalog.
   */
  onResponse(listener: (path: string, query: URLSearchParams, bytes: number) => void): () => void;
  /** Simulates Consul going down: stops listening and drops every connection (clients get refused/reset). */
  stop(): Promise<void>;
  /** Listens again on the same port after {@link EmbeddedConsul.stop}. */
  start(): Promise<void>;
  /** Stops for good, dropping open connections and timers. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts an in-process HTTP server that speaks the part of Consul's HTTP API the bridge and its users
 * touch (agent registration, checks it runs like an agent, maintenance, catalog and health reads
 * with blocking queries, several datacenters, optional ACLs), with fault hooks and connection
 * counting for tests. `dev`
 * mode runs it so users can `curl` registrations exactly as against Consul.
 */
export async function createEmbeddedConsul(options: EmbeddedConsulOptions = {}): Promise<EmbeddedConsul> {
  const logger = options.logger ?? pino({ level: "silent" });
  const host = options.host ?? "127.0.0.1";
  const store = new CatalogStore({
    datacenters: options.datacenters ?? ["dc1"],
    nodeName: options.nodeName ?? hostname(),
    nodeAddress: options.nodeAddress ?? "127.0.0.1",
    consulService: options.consulService ?? true,
    ttlExpiry: options.ttlExpiry ?? true,
    runChecks: options.runChecks ?? true,
    ...(options.clock ? { clock: options.clock } : {}),
    random: options.random ?? Math.random,
  });
  const faults = new FaultInjector();
  const handler = createConsulHttpHandler({
    store,
    faults,
    aclTokens: options.aclTokens,
    random: options.random ?? Math.random,
    defaultWaitMs: options.defaultWaitMs ?? 300_000,
    maxWaitMs: options.maxWaitMs ?? 600_000,
    clock: options.clock ?? systemClock,
    logger,
  });
  const requests = new Map<string, number>();
  const requestListeners = new Set<(path: string, query: URLSearchParams) => void>();
  const responseListeners = new Set<(path: string, query: URLSearchParams, bytes: number) => void>();
  const server = createServer((req, res) => {
    const [path = "/", query = ""] = (req.url ?? "/").split("?");
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (responseListeners.size > 0) {
      // One request at a time per connection (no pipelining): the socket's byte count moves by this answer only.
      const socket = req.socket;
      const before = socket.bytesWritten;
      res.once("finish", () => {
        const params = new URLSearchParams(query);
        for (const listener of [...responseListeners]) listener(path, params, socket.bytesWritten - before);
      });
    }
    handler(req, res);
    if (requestListeners.size > 0) {
      const params = new URLSearchParams(query);
      for (const listener of [...requestListeners]) listener(path, params);
    }
  });
  // Consul (Go's net/http without an idle timeout) keeps idle connections; a short keep-alive here
  // would race clients that reuse a socket the server is closing.
  server.keepAliveTimeout = 10 * 60_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;

  let current = 0;
  let peak = 0;
  let total = 0;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    current += 1;
    total += 1;
    peak = Math.max(peak, current);
    sockets.add(socket);
    socket.once("close", () => {
      current -= 1;
      sockets.delete(socket);
    });
  });

  const port = await listen(server, options.port ?? 0, host);
  let closed = false;
  logger.debug({ port, host }, "embedded consul listening");

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    store,
    faults,
    connections: {
      get current() {
        return current;
      },
      get peak() {
        return peak;
      },
      get total() {
        return total;
      },
      resetPeak() {
        peak = current;
      },
    },
    requestCount(prefix = "") {
      let sum = 0;
      for (const [path, count] of requests) if (path.startsWith(prefix)) sum += count;
      return sum;
    },
    onRequest(listener) {
      requestListeners.add(listener);
      return () => requestListeners.delete(listener);
    },
    onResponse(listener) {
      responseListeners.add(listener);
      return () => responseListeners.delete(listener);
    },
    async stop() {
      await closeServer(server);
      for (const socket of sockets) socket.destroy();
    },
    async start() {
      if (closed) throw new Error("embedded consul is closed");
      if (!server.listening) await listen(server, port, host);
    },
    async close() {
      closed = true;
      store.close();
      await closeServer(server);
      for (const socket of sockets) socket.destroy();
    },
  };
}
