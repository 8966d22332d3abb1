import type { CheckStatus } from "./catalog-records.js";
import { type ConsulRoute, type RouteRequest, writeMethods } from "./consul-route.js";
import { HttpFailure, readJsonBody, sendText } from "./http-answers.js";
import { BadRequest, isObject, stringField } from "./json-fields.js";
import { parseCheckRegistration } from "./registration.js";
import type { ReadKit } from "./route-kit.js";

/** Consul's answer for an agent check ID it does not have (update, deregister). */
function unknownCheckId(id: string): HttpFailure {
  return new HttpFailure(404, `Unknown check ID ${JSON.stringify(id)}. Ensure that the check ID is passed, not the check name.`);
}

/** `/v1/agent/check/*`: registering and removing the agent's checks, and TTL updates. */
export function agentCheckRoutes(kit: ReadKit): ConsulRoute[] {
  const { store } = kit;

  async function register(request: RouteRequest): Promise<void> {
    const check = parseCheckRegistration(await readJsonBody(request.req));
    kit.requireWrite(request, check.serviceId === "" ? "node:write" : "service:write");
    if (check.serviceId !== "" && !store.agentServices().some((s) => s.id === check.serviceId)) {
      throw new HttpFailure(404, `ServiceID ${JSON.stringify(check.serviceId)} does not exist`);
    }
    store.agentRegisterCheck(check);
    sendText(request.res, 200, "");
  }

  function deregister(request: RouteRequest): void {
    kit.requireWrite(request, "node:write");
    if (!store.agentDeregisterCheck(request.rest)) throw unknownCheckId(request.rest);
    sendText(request.res, 200, "");
  }

  function update(request: RouteRequest, status: CheckStatus, output: string): void {
    kit.requireWrite(request, "node:write");
    const result = store.agentUpdateCheck(request.rest, status, output);
    if (result === "unknown-check") throw unknownCheckId(request.rest);
    if (result === "not-ttl") throw new HttpFailure(500, `CheckID ${JSON.stringify(request.rest)} does not have associated TTL`);
    sendText(request.res, 200, "");
  }

  const note = (request: RouteRequest) => request.url.searchParams.get("note") ?? "";
  return [
    { pattern: "/v1/agent/check/register", methods: writeMethods, handle: register },
    { pattern: "/v1/agent/check/deregister/", methods: writeMethods, handle: deregister },
    { pattern: "/v1/agent/check/pass/", methods: writeMethods, handle: (r) => update(r, "passing", note(r)) },
    { pattern: "/v1/agent/check/warn/", methods: writeMethods, handle: (r) => update(r, "warning", note(r)) },
    { pattern: "/v1/agent/check/fail/", methods: writeMethods, handle: (r) => update(r, "critical", note(r)) },
    {
      pattern: "/v1/agent/check/update/",
      methods: writeMethods,
      handle: async (request) => {
        const body = await readJsonBody(request.req);
        if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
        const status = stringField(body, "Status");
        if (status !== "passing" && status !== "warning" && status !== "critical") {
          throw new HttpFailure(400, `Invalid check status: '${status}'`);
        }
        update(request, status, stringField(body, "Output"));
      },
    },
  ];
}
