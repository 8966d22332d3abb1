import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { BridgeMetrics } from "../observe/bridge-metrics.js";
import { envoyTypeRegistry } from "../validate/index.js";
import { adminIndex, adminMethodPath, adminMethods, adminPages, curlFor } from "./admin-index.js";
import { type AdminSources, registerAdminService } from "./admin-service.js";
import { createStatusPage, type StatusPage } from "./status-page.js";
import type { StatusPageSources } from "./status-state.js";

/** Options of {@link listenAdmin}. */
export interface AdminServerOptions extends AdminSources {
  /** Interface to bind (default "127.0.0.1": the admin port is for operators on the host). */
  host?: string;
  port: number;
  metrics: BridgeMetrics;
  /** Why the bridge is not ready (undefined: ready), for /readyz. */
  notReadyReason: () => string | undefined;
  /** More for /readyz to say, ready or not (a held mass withdrawal); undefined: nothing. */
  readinessDetail?: () => string | undefined;
  /** What the status page at /ui shows; absent: no status page. */
  statusPage?: StatusPageSources;
}

/** A bound admin port. */
export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Content types Connect answers on the admin API (JSON or binary; Connect, gRPC, gRPC-Web). */
const rpcContentType = /^application\/(json|proto|connect\+(json|proto)|grpc(-web)?(\+(json|proto))?)(;|$)/i;

/** The admin address as the caller reached it (for examples), from a Host header that looks like one. */
function baseUrl(request: http.IncomingMessage, fallback: string): string {
  const host = request.headers.host ?? "";
  return /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? `http://${host}` : fallback;
}

/**
 * The operators' HTTP/1.1 port: `GET /` (an index of everything below with curl examples),
 * `/ui` (the live status page), `/metrics` (Prometheus), `/healthz` (the process is alive),
 * `/readyz` (initial sync done and Consul data fresh; 503 with the reason otherwise; either way it
 * names a held mass withdrawal, which does not make the bridge unready), and the admin
 * API (consulxdsbridge.admin.v1.AdminService) over Connect, so plain `curl` with JSON works. A
 * wrong method or content type is answered with what to send instead.
 */
export async function listenAdmin(options: AdminServerOptions): Promise<AdminServer> {
  const text = (response: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}) => {
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
    response.end(body);
  };
  const connectHandler = connectNodeAdapter({
    routes: (router) => registerAdminService(router, options),
    jsonOptions: { registry: envoyTypeRegistry() },
  });
  const statusPage: StatusPage | undefined = options.statusPage ? createStatusPage(options.statusPage) : undefined;
  let fallbackBase = "http://127.0.0.1";
  const rpcPrefix = `/${AdminService.typeName}/`;

  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const base = baseUrl(request, fallbackBase);
    if (path.startsWith(rpcPrefix)) {
      const method = path.slice(rpcPrefix.length);
      if (!adminMethods[method]) {
        return text(
          response,
          404,
          `no admin method ${JSON.stringify(method.slice(0, 64))}: the methods are ${Object.keys(adminMethods).join(", ")} (GET / lists them)\n`,
        );
      }
      if (request.method !== "POST") {
        return text(response, 405, `${adminMethodPath(method)} takes POST with a JSON body, e.g.\n  ${curlFor(base, method)}\n`, {
          allow: "POST",
        });
      }
      if (!rpcContentType.test(request.headers["content-type"] ?? "")) {
        const given = request.headers["content-type"]
          ? `content-type ${JSON.stringify(request.headers["content-type"].slice(0, 64))}`
          : "no content-type";
        return text(
          response,
          415,
          `${adminMethodPath(method)} was sent ${given}: send content-type application/json with a JSON body (or a Connect, gRPC or gRPC-Web request), e.g.\n  ${curlFor(base, method)}\n`,
        );
      }
      return connectHandler(request, response);
    }
    const isPage = path === "/" || adminPages.some((page) => page.path === path) || path.startsWith("/ui/");
    if (request.method !== "GET" && request.method !== "HEAD") {
      if (!isPage) return text(response, 404, `not found: ${path.slice(0, 128)}\nGET / lists every endpoint and admin method\n`);
      return text(
        response,
        405,
        `${path} answers GET only, e.g.\n  curl -s ${base}${path}\nThe admin API takes POST: GET / lists its methods\n`,
        {
          allow: "GET, HEAD",
        },
      );
    }
    if (path === "/") return text(response, 200, adminIndex(base));
    if (path === "/healthz") return text(response, 200, "ok\n");
    if (path === "/readyz") {
      const reason = options.notReadyReason();
      const detail = options.readinessDetail?.();
      const more = detail === undefined ? "" : `${detail}\n`;
      return reason === undefined ? text(response, 200, `ready\n${more}`) : text(response, 503, `not ready: ${reason}\n${more}`);
    }
    if (path === "/metrics") {
      options.metrics
        .render()
        .then((body) => text(response, 200, body, { "content-type": options.metrics.registry.contentType }))
        .catch((error: unknown) => text(response, 500, `metrics failed: ${String(error)}\n`));
      return;
    }
    if (statusPage?.handle(request, response, path)) return;
    return text(response, 404, `not found: ${path.slice(0, 128)}\nGET / lists every endpoint and admin method\n`);
  };
  const server = http.createServer(handler);
  server.listen(options.port, options.host ?? "127.0.0.1");
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  fallbackBase = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    host: address.address,
    port: address.port,
    close: async () => {
      statusPage?.close();
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
