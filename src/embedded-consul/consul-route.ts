import type { IncomingMessage, ServerResponse } from "node:http";
import type { CatalogStore } from "./catalog-store.js";
import type { DatacenterCatalog } from "./datacenter-catalog.js";

/** What a route handler gets for one request. */
export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The decoded path after the route's pattern (`/v1/health/service/` + `web` → `web`); "" for exact routes. */
  readonly rest: string;
  /** undefined: ACLs off; "anonymous": no token; "allowed": a known token. */
  readonly identity: "allowed" | "anonymous" | undefined;
  /** The zero-index fault is active for this request. */
  readonly zeroIndex: boolean;
  /** The cut-body fault is active: send the headers and half the body, then close the connection. */
  readonly cutBody: boolean;
  /** The ignore-filter fault is active: answer as if there were no `?filter=` (Consul before 1.4.1). */
  readonly ignoreFilter: boolean;
}

/** Shared helpers every route uses (the store, datacenter lookup, ACL checks, blocking reads). */
export interface RouteKit {
  readonly store: CatalogStore;
  /** The datacenter `?dc=` names (or `explicit`, or the agent's); "No path to datacenter" when unknown. */
  datacenterOf(request: RouteRequest, explicit?: string): DatacenterCatalog;
  /** 403 for the anonymous identity when ACLs are on. */
  requireWrite(request: RouteRequest, permission: string): void;
}

/**
 * One entry of the embedded catalog's route table, matched like Go's ServeMux in Consul: a pattern
 * ending in `/` owns every path below it, any other pattern its exact path; the longest match wins.
 * Other parts of the project add routes (e.g. `/v1/config/`) by passing more entries to the table.
 */
export interface ConsulRoute {
  readonly pattern: string;
  /** Methods answered; others get Consul's 405 `method X not allowed` with an `Allow` header. */
  readonly methods: readonly string[];
  readonly handle: (request: RouteRequest) => void | Promise<void>;
}

/** Methods of reads: Consul answers HEAD wherever it answers GET. */
export const readMethods: readonly string[] = ["GET", "HEAD"];
/** Methods of writes. */
export const writeMethods: readonly string[] = ["PUT"];

/** A route table with Go ServeMux matching. */
export class RouteTable {
  private readonly exact = new Map<string, ConsulRoute>();
  private readonly prefixes: ConsulRoute[] = [];

  constructor(routes: readonly ConsulRoute[]) {
    for (const route of routes) {
      if (route.pattern.endsWith("/")) this.prefixes.push(route);
      else this.exact.set(route.pattern, route);
    }
    this.prefixes.sort((a, b) => b.pattern.length - a.pattern.length);
  }

  /** The route owning `path` and the part of the path after its pattern. */
  match(path: string): { route: ConsulRoute; rest: string } | undefined {
    const exact = this.exact.get(path);
    if (exact) return { route: exact, rest: "" };
    const prefix = this.prefixes.find((route) => path.startsWith(route.pattern));
    return prefix ? { route: prefix, rest: path.slice(prefix.pattern.length) } : undefined;
  }
}
