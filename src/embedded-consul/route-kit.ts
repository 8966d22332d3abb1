import { compileFilter } from "../bexpr/index.js";
import type { Clock } from "../consul/clock.js";
import { parseGoDuration } from "../consul/go-duration.js";
import type { CatalogStore } from "./catalog-store.js";
import type { RouteKit, RouteRequest } from "./consul-route.js";
import type { DatacenterCatalog } from "./datacenter-catalog.js";
import { HttpFailure, parseGoBool, sendCut, sendJson } from "./http-answers.js";

/** The query parameters every read endpoint shares (Consul's `parseInternal`). */
export interface ReadQuery {
  readonly dc: DatacenterCatalog;
  readonly index: number;
  readonly waitMs: number;
  readonly consistency: "leader" | "stale" | "consistent";
  readonly filter: string;
}

/** One answer of a read at one index. */
export interface ReadAnswer {
  readonly index: number;
  /** JSON text, or its encoded bytes when cached. */
  readonly json: string | Buffer;
  readonly filteredByAcl?: boolean;
}

/** Options of {@link createReadKit}. */
export interface ReadKitOptions {
  readonly store: CatalogStore;
  /** Source of the blocking-query jitter (0 ≤ x < 1). */
  readonly random: () => number;
  /** `wait` when the request has none (Consul: 5 minutes). */
  readonly defaultWaitMs: number;
  /** Largest `wait` honoured (Consul: 10 minutes). */
  readonly maxWaitMs: number;
  /** Time for blocking-query waits. */
  readonly clock: Clock;
}

/** What read routes use on top of {@link RouteKit}: Consul's query parameters and blocking queries. */
export interface ReadKit extends RouteKit {
  readQuery(request: RouteRequest): ReadQuery;
  /** Answers a read, blocking until its index passes `?index` or `wait` (+ up to wait/16 jitter) elapses. */
  blockingRead(request: RouteRequest, query: ReadQuery, topic: string | readonly string[], read: () => ReadAnswer): Promise<void>;
  /** A compiled `?filter=` (undefined for none); a broken one is Consul's 500 text. */
  filter(expression: string, roots?: ReadonlySet<string>): ((value: unknown) => boolean) | undefined;
  /** `?passing` (bare, or a Go bool). */
  passing(request: RouteRequest): boolean;
  /** The empty answer an anonymous request gets while ACLs are on (default deny), else undefined. */
  anonymousEmpty(request: RouteRequest, index: number, empty: string): ReadAnswer | undefined;
  /** Sends `json` as 200, `?pretty` re-indented as Consul does. */
  sendJson(request: RouteRequest, json: string | Buffer, headers?: Record<string, string>): void;
}

/** Builds the helpers shared by every route of one embedded catalog. */
export function createReadKit(options: ReadKitOptions): ReadKit {
  const { store } = options;
  const kit: ReadKit = {
    store,
    datacenterOf(request, explicit) {
      const name = explicit || request.url.searchParams.get("dc") || store.agentDatacenter;
      const dc = store.datacenter(name);
      if (!dc) throw new HttpFailure(500, "No path to datacenter");
      return dc;
    },
    requireWrite(request, permission) {
      if (request.identity === "anonymous") {
        throw new HttpFailure(403, `Permission denied: anonymous token lacks permission '${permission}'`);
      }
    },
    readQuery(request) {
      const params = request.url.searchParams;
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
        dc: kit.datacenterOf(request),
        index,
        waitMs,
        consistency: stale ? "stale" : consistent ? "consistent" : "leader",
        filter: request.ignoreFilter ? "" : (params.get("filter") ?? ""),
      };
    },
    async blockingRead(request, query, topic, read) {
      const dcName = query.dc.name;
      const generation = store.generation(dcName);
      let answer = read();
      if (query.index > 0 && answer.index <= query.index) {
        const waited = await new Promise<ReadAnswer | undefined>((resolve) => {
          const jitter = Math.floor(options.random() * (query.waitMs / 16));
          const timer = new AbortController();
          let settled = false;
          const finish = (value: ReadAnswer | undefined): void => {
            if (settled) return;
            settled = true;
            timer.abort();
            for (const off of unregisters) off();
            request.res.off("close", onClose);
            resolve(value);
          };
          const onClose = (): void => finish(undefined);
          const wake = (): void => {
            const next = read();
            if (next.index > query.index || store.generation(dcName) !== generation) finish(next);
          };
          const unregisters = (typeof topic === "string" ? [topic] : topic).map((t) => store.waiters.add(`${dcName}\u0000${t}`, wake));
          request.res.once("close", onClose);
          void options.clock.sleep(query.waitMs + jitter, timer.signal).then(() => finish(read()));
        });
        if (!waited) return;
        answer = waited;
      }
      const headers: Record<string, string> = {
        "X-Consul-Index": String(request.zeroIndex ? 0 : Math.max(1, answer.index)),
        "X-Consul-KnownLeader": "true",
        "X-Consul-LastContact": "0",
        "X-Consul-Effective-Consistency": query.consistency,
        "X-Consul-Query-Backend": "blocking-query",
      };
      if (answer.filteredByAcl) headers["X-Consul-Results-Filtered-By-ACLs"] = "true";
      if (request.cutBody) sendCut(request.res, answer.json, headers);
      else kit.sendJson(request, answer.json, headers);
    },
    filter(expression, roots) {
      if (expression === "") return undefined;
      const compiled = compileFilter(expression, roots);
      if (!compiled.ok) throw new HttpFailure(500, `Failed to create boolean expression evaluator: ${compiled.error}`);
      return compiled.matches;
    },
    passing(request) {
      const params = request.url.searchParams;
      if (!params.has("passing")) return false;
      const value = params.get("passing") ?? "";
      if (value === "") return true;
      const parsed = parseGoBool(value);
      if (parsed === undefined) throw new HttpFailure(400, "Invalid value for ?passing");
      return parsed;
    },
    anonymousEmpty(request, index, empty) {
      return request.identity === "anonymous" ? { index, json: empty, filteredByAcl: true } : undefined;
    },
    sendJson(request, json, headers = {}) {
      const body = request.url.searchParams.has("pretty") ? JSON.stringify(JSON.parse(json.toString()), null, 4) : json;
      sendJson(request.res, body, headers);
    },
  };
  return kit;
}
