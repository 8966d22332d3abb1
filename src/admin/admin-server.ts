import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AdminService } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { BridgeMetrics } from "../observe/bridge-metrics.js";
import { envoyTypeRegistry } from "../validate/index.js";
import { type AdminSources, registerAdminService } from "./admin-service.js";

/** Options of {@link listenAdmin}. */
export interface AdminServerOptions extends AdminSources {
  /** Interface to bind (default "127.0.0.1": the admin port is for operators on the host). */
  host?: string;
  port: number;
  metrics: BridgeMetrics;
  /** Why the bridge is not ready (undefined: ready), for /readyz. */
  notReadyReason: () => string | undefined;
}

/** A bound admin port. */
export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The operators' HTTP/1.1 port: `/metrics` (Prometheus), `/healthz` (the process is alive),
 * `/readyz` (initial sync done and Consul data fresh; 503 with the reason otherwise), and the admin
 * API (consulxdsbridge.admin.v1.AdminService) over Connect, so plain `curl` with JSON works.
 */
export async function listenAdmin(options: AdminServerOptions): Promise<AdminServer> {
  const text = (response: http.ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8") => {
    response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    response.end(body);
  };
  const connectHandler = connectNodeAdapter({
    routes: (router) => registerAdminService(router, options),
    jsonOptions: { registry: envoyTypeRegistry() },
  });
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "POST" || path?.startsWith(`/${AdminService.typeName}/`)) return connectHandler(request, response);
    if (request.method !== "GET" && request.method !== "HEAD") return text(response, 405, "method not allowed\n");
    if (path === "/healthz") return text(response, 200, "ok\n");
    if (path === "/readyz") {
      const reason = options.notReadyReason();
      return reason === undefined ? text(response, 200, "ready\n") : text(response, 503, `not ready: ${reason}\n`);
    }
    if (path === "/metrics") {
      options.metrics
        .render()
        .then((body) => text(response, 200, body, options.metrics.registry.contentType))
        .catch((error: unknown) => text(response, 500, `metrics failed: ${String(error)}\n`));
      return;
    }
    if (path === "/") {
      const api = AdminService.methods.map((m) => `  POST /${AdminService.typeName}/${m.name}  (JSON body, e.g. {})`);
      return text(response, 200, ["consul-xds-bridge admin", "  GET /metrics", "  GET /healthz", "  GET /readyz", ...api, ""].join("\n"));
    }
    return text(response, 404, "not found\n");
  };
  const server = http.createServer(handler);
  server.listen(options.port, options.host ?? "127.0.0.1");
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: async () => {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
