import { type ConsulRoute, readMethods } from "./consul-route.js";
import type { ReadKit } from "./route-kit.js";

/** `/v1/status/*`: the raft leader and peers of this single-server "cluster". */
export function statusRoutes(kit: ReadKit): ConsulRoute[] {
  return [
    { pattern: "/v1/status/leader", methods: readMethods, handle: (r) => kit.sendJson(r, JSON.stringify("127.0.0.1:8300")) },
    { pattern: "/v1/status/peers", methods: readMethods, handle: (r) => kit.sendJson(r, JSON.stringify(["127.0.0.1:8300"])) },
  ];
}
