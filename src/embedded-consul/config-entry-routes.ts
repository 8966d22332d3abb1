import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../consul/clock.js";
import { parseGoDuration } from "../consul/go-duration.js";
import type { CatalogStore } from "./catalog-store.js";
import { ConfigEntryCatalog, isConfigEntryKind, type StoredConfigEntry } from "./config-entry-catalog.js";

/** One request to `/v1/config…`, as the HTTP handler sees it. */
export interface ConfigRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The decoded path after `/v1/config` ("", `/<kind>` or `/<kind>/<name>`). */
  readonly rest: string;
  /** undefined: ACLs off; "anonymous": no token; "allowed": a known token. */
  readonly identity: "allowed" | "anonymous" | undefined;
}

/** Options of {@link createConfigEntryRoutes}. */
export interface ConfigEntryRoutesOptions {
  /** Datacenters (`?dc=`) and the waiters blocking reads park on. */
  readonly store: CatalogStore;
  readonly random: () => number;
  readonly defaultWaitMs: number;
  readonly maxWaitMs: number;
  /** Time for blocking-query waits. */
  readonly clock: Clock;
}

const maxBodyBytes = 4 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const type = status === 200 ? "application/json" : "text/plain; charset=utf-8";
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function entryJson(entry: StoredConfigEntry): Record<string, unknown> {
  return { ...entry.json, CreateIndex: entry.createIndex, ModifyIndex: entry.modifyIndex };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error("Request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Consul's config-entry endpoints for the embedded catalog: `PUT /v1/config` (`?cas=`),
 * `GET /v1/config/:kind` and `/:kind/:name` (404 `Config entry not found for "<kind>" / "<name>"`),
 * `DELETE /v1/config/:kind/:name` (`?cas=`), with `?dc=`, blocking reads on the config-entries
 * table's own index, and Consul's status codes and texts (see ConfigEntryCatalog for validation).
 */
export function createConfigEntryRoutes(options: ConfigEntryRoutesOptions): { handle(request: ConfigRequest): Promise<void> } {
  const { store } = options;
  const topic = (datacenter: string): string => `${datacenter}\u0000config-entries`;
  const catalog = new ConfigEntryCatalog((datacenter) => store.waiters.notify(topic(datacenter)));

  function datacenterOf(url: URL): string | undefined {
    const name = url.searchParams.get("dc") || store.agentDatacenter;
    return store.datacenter(name) ? name : undefined;
  }

  function casOf(url: URL): number | undefined | "invalid" {
    const raw = url.searchParams.get("cas");
    if (raw === null || raw === "") return undefined;
    return /^\d+$/.test(raw) ? Number(raw) : "invalid";
  }

  async function read(request: ConfigRequest, datacenter: string, answer: () => { status: number; body: string }): Promise<void> {
    const params = request.url.searchParams;
    if (params.has("stale") && params.has("consistent"))
      return send(request.res, 400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
    let waitMs = options.defaultWaitMs;
    const wait = params.get("wait");
    if (wait !== null && wait !== "") {
      const parsed = parseGoDuration(wait);
      if (parsed === undefined) return send(request.res, 400, "Invalid wait time");
      waitMs = parsed <= 0 ? options.defaultWaitMs : Math.min(parsed, options.maxWaitMs);
    }
    const rawIndex = params.get("index");
    if (rawIndex !== null && rawIndex !== "" && !/^\d+$/.test(rawIndex)) return send(request.res, 400, "Invalid index");
    const index = rawIndex ? Number(rawIndex) : 0;
    if (index > 0 && catalog.index(datacenter) <= index) {
      const woken = await new Promise<boolean>((resolve) => {
        const timer = new AbortController();
        let settled = false;
        const unregister = store.waiters.add(topic(datacenter), () => {
          if (catalog.index(datacenter) > index) finish(true);
        });
        const onClose = (): void => finish(false);
        request.res.once("close", onClose);
        function finish(answered: boolean): void {
          if (settled) return;
          settled = true;
          timer.abort();
          unregister();
          request.res.off("close", onClose);
          resolve(answered);
        }
        void options.clock.sleep(waitMs + Math.floor(options.random() * (waitMs / 16)), timer.signal).then(() => finish(true));
      });
      if (!woken) return;
    }
    const { status, body } = answer();
    send(request.res, status, status === 200 && params.has("pretty") ? JSON.stringify(JSON.parse(body), null, 4) : body, {
      "X-Consul-Index": String(catalog.index(datacenter)),
      "X-Consul-KnownLeader": "true",
      "X-Consul-LastContact": "0",
      ...(request.identity === "anonymous" ? { "X-Consul-Results-Filtered-By-ACLs": "true" } : {}),
    });
  }

  async function handle(request: ConfigRequest): Promise<void> {
    const { req, res, url, identity } = request;
    const method = req.method ?? "GET";
    const datacenter = datacenterOf(url);
    if (datacenter === undefined) return send(res, 500, "No path to datacenter");
    const parts = request.rest.replace(/^\//, "").split("/");
    const [kind = "", ...nameParts] = parts;
    const name = nameParts.join("/");
    if (request.rest === "") {
      if (method !== "PUT") return send(res, 405, `method ${method} not allowed`, { Allow: "PUT" });
      if (identity === "anonymous") return send(res, 403, "Permission denied: anonymous token lacks permission 'service:write'");
      const cas = casOf(url);
      if (cas === "invalid")
        return send(res, 400, `strconv.ParseUint: parsing ${JSON.stringify(url.searchParams.get("cas"))}: invalid syntax`);
      let body: unknown;
      try {
        const text = await readBody(req);
        body = JSON.parse(text);
      } catch (error) {
        return send(res, 400, `Request decoding failed: ${(error as Error).message}`);
      }
      if (body === null || typeof body !== "object" || Array.isArray(body))
        return send(res, 400, "Request decoding failed: expected a JSON object");
      const result = catalog.apply(datacenter, body as Record<string, unknown>, cas);
      return result.ok ? send(res, 200, JSON.stringify(result.applied)) : send(res, result.status, result.message);
    }
    if (method === "GET" || method === "HEAD") {
      if (kind === "") return send(res, 404, "Must provide either a kind or both kind and name");
      if (nameParts.length === 0) {
        if (!isConfigEntryKind(kind)) return send(res, 500, `invalid config entry kind: ${kind}`);
        return read(request, datacenter, () => ({
          status: 200,
          body: identity === "anonymous" ? "[]" : JSON.stringify(catalog.list(datacenter, kind).map(entryJson)),
        }));
      }
      return read(request, datacenter, () => {
        const entry = identity === "anonymous" ? undefined : catalog.get(datacenter, kind, name);
        return entry
          ? { status: 200, body: JSON.stringify(entryJson(entry)) }
          : { status: 404, body: `Config entry not found for ${JSON.stringify(kind)} / ${JSON.stringify(name)}` };
      });
    }
    if (method === "DELETE") {
      if (nameParts.length === 0 || name === "") return send(res, 404, "Must provide both a kind and name to delete");
      if (identity === "anonymous") return send(res, 403, "Permission denied: anonymous token lacks permission 'service:write'");
      const cas = casOf(url);
      if (cas === "invalid")
        return send(res, 400, `strconv.ParseUint: parsing ${JSON.stringify(url.searchParams.get("cas"))}: invalid syntax`);
      const result = catalog.delete(datacenter, kind, name, cas);
      if (!result.ok) return send(res, result.status, result.message);
      return send(res, 200, cas === undefined ? "{}" : JSON.stringify(result.applied));
    }
    return send(res, 405, `method ${method} not allowed`, { Allow: "GET, DELETE" });
  }

  return { handle };
}
