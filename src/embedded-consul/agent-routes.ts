import { agentServiceJson, checkJson } from "./consul-json.js";
import { type ConsulRoute, type RouteRequest, readMethods, writeMethods } from "./consul-route.js";
import { HttpFailure, parseGoBool, readJsonBody, sendText } from "./http-answers.js";
import { parseAgentRegistration } from "./registration.js";
import type { ReadKit } from "./route-kit.js";

/** Consul's answer for an agent service ID it does not have (deregister, maintenance). */
export function unknownServiceId(id: string): HttpFailure {
  return new HttpFailure(404, `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.`);
}

function enableParam(request: RouteRequest): boolean {
  const raw = request.url.searchParams.get("enable");
  if (raw === null || raw === "") throw new HttpFailure(400, "Missing value for enable");
  const parsed = parseGoBool(raw);
  if (parsed === undefined) throw new HttpFailure(400, `Invalid value for enable: ${JSON.stringify(raw)}`);
  return parsed;
}

/** `/v1/agent/*` except checks: the agent itself, its members, its services and maintenance. */
export function agentRoutes(kit: ReadKit): ConsulRoute[] {
  const { store } = kit;

  function self(request: RouteRequest): void {
    if (request.identity === "anonymous") throw new HttpFailure(403, "Permission denied: anonymous token lacks permission 'agent:read'");
    const dc = store.agentDatacenter;
    const node = store.datacenter(dc)?.node(store.agentNode);
    const body = {
      Config: {
        Datacenter: dc,
        PrimaryDatacenter: dc,
        NodeName: store.agentNode,
        NodeID: store.agentNodeId,
        Revision: "embedded",
        Server: true,
        Version: "1.20.0",
        BuildDate: "2024-01-01T00:00:00Z",
      },
      DebugConfig: { Datacenter: dc, NodeName: store.agentNode },
      Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 },
      Member: member(false),
      Stats: {},
      Meta: node?.meta ?? {},
    };
    kit.sendJson(request, JSON.stringify(body));
  }

  /** The agent as a serf member: LAN (port 8301) or WAN (`<node>.<dc>`, port 8302), as a dev agent shows itself. */
  function member(wan: boolean): Record<string, unknown> {
    const dc = store.agentDatacenter;
    const address = store.datacenter(dc)?.node(store.agentNode)?.address ?? "127.0.0.1";
    return {
      Name: wan ? `${store.agentNode}.${dc}` : store.agentNode,
      Addr: address,
      Port: wan ? 8302 : 8301,
      Tags: {
        dc,
        role: "consul",
        id: store.agentNodeId,
        port: "8300",
        build: "1.20.0:embedded",
        vsn: "2",
        vsn_min: "2",
        vsn_max: "3",
        ...(wan ? {} : { segment: "" }),
      },
      Status: 1,
      ProtocolMin: 1,
      ProtocolMax: 5,
      ProtocolCur: 2,
      DelegateMin: 2,
      DelegateMax: 5,
      DelegateCur: 4,
    };
  }

  function members(request: RouteRequest): void {
    const params = request.url.searchParams;
    const wan = (params.get("wan") ?? "") !== "";
    const segment = params.get("segment") ?? "";
    if (wan && segment !== "" && segment !== "_all") throw new HttpFailure(400, "Cannot provide a segment with wan=true");
    kit.sendJson(request, JSON.stringify(request.identity === "anonymous" ? [] : [member(wan)]));
  }

  function services(request: RouteRequest): void {
    const json: Record<string, unknown> = {};
    if (request.identity !== "anonymous") for (const s of store.agentServices()) json[s.id] = agentServiceJson(s, store.agentDatacenter);
    kit.sendJson(request, JSON.stringify(json));
  }

  function checks(request: RouteRequest): void {
    const json: Record<string, unknown> = {};
    if (request.identity !== "anonymous") for (const c of store.agentChecks()) json[c.checkId] = checkJson(c);
    kit.sendJson(request, JSON.stringify(json));
  }

  async function register(request: RouteRequest): Promise<void> {
    kit.requireWrite(request, "service:write");
    store.agentRegister(parseAgentRegistration(await readJsonBody(request.req)));
    sendText(request.res, 200, "");
  }

  function deregister(request: RouteRequest): void {
    kit.requireWrite(request, "service:write");
    if (!store.agentDeregister(request.rest)) throw unknownServiceId(request.rest);
    sendText(request.res, 200, "");
  }

  function serviceMaintenance(request: RouteRequest): void {
    kit.requireWrite(request, "service:write");
    if (request.rest === "") throw new HttpFailure(400, "Missing service ID");
    const enable = enableParam(request);
    if (!store.agentServiceMaintenance(request.rest, enable, request.url.searchParams.get("reason") ?? "")) {
      throw unknownServiceId(request.rest);
    }
    sendText(request.res, 200, "");
  }

  function nodeMaintenance(request: RouteRequest): void {
    kit.requireWrite(request, "node:write");
    store.agentNodeMaintenance(enableParam(request), request.url.searchParams.get("reason") ?? "");
    sendText(request.res, 200, "");
  }

  return [
    { pattern: "/v1/agent/self", methods: readMethods, handle: self },
    { pattern: "/v1/agent/members", methods: readMethods, handle: members },
    { pattern: "/v1/agent/services", methods: readMethods, handle: services },
    { pattern: "/v1/agent/checks", methods: readMethods, handle: checks },
    { pattern: "/v1/agent/maintenance", methods: writeMethods, handle: nodeMaintenance },
    { pattern: "/v1/agent/service/register", methods: writeMethods, handle: register },
    { pattern: "/v1/agent/service/deregister/", methods: writeMethods, handle: deregister },
    { pattern: "/v1/agent/service/maintenance/", methods: writeMethods, handle: serviceMaintenance },
  ];
}
