import { topics } from "./catalog-transaction.js";
import { catalogServiceJson, nodeJson, serviceJson } from "./consul-json.js";
import { type ConsulRoute, type RouteRequest, readMethods, writeMethods } from "./consul-route.js";
import { HttpFailure, readJsonBody } from "./http-answers.js";
import { BadRequest, isObject, stringField } from "./json-fields.js";
import { parseCatalogRegistration } from "./registration.js";
import type { ReadKit } from "./route-kit.js";

/** `/v1/catalog/*`: services, instances, nodes, one node's services, datacenters, and direct registration. */
export function catalogRoutes(kit: ReadKit): ConsulRoute[] {
  const { store } = kit;

  async function services(request: RouteRequest): Promise<void> {
    const query = kit.readQuery(request);
    const matches = kit.filter(query.filter);
    await kit.blockingRead(request, query, topics.services, () => {
      const denied = kit.anonymousEmpty(request, query.dc.servicesIndex, "{}");
      if (denied) return denied;
      if (!matches) return query.dc.catalogServices();
      const body: Record<string, string[]> = {};
      for (const name of [...query.dc.serviceNames()].sort()) {
        const rows = query.dc
          .healthEntries(name)
          .records.map((r) => catalogServiceJson(r.node, r.service))
          .filter(matches);
        if (rows.length === 0) continue;
        body[name] = [...new Set(rows.flatMap((r) => r.ServiceTags as string[]))].sort();
      }
      return { index: query.dc.servicesIndex, json: JSON.stringify(body) };
    });
  }

  async function service(request: RouteRequest): Promise<void> {
    if (request.rest === "") throw new HttpFailure(400, "Missing service name");
    const name = request.rest;
    const query = kit.readQuery(request);
    const tags = request.url.searchParams.getAll("tag");
    const matches = kit.filter(query.filter);
    await kit.blockingRead(request, query, topics.service(name), () => {
      const denied = kit.anonymousEmpty(request, query.dc.serviceIndex(name), "[]");
      if (denied) return denied;
      const { index, records } = query.dc.healthEntries(name);
      const rows = records.filter((r) => tags.every((t) => r.service.tags.includes(t))).map((r) => catalogServiceJson(r.node, r.service));
      return { index, json: JSON.stringify(matches ? rows.filter(matches) : rows) };
    });
  }

  async function nodes(request: RouteRequest): Promise<void> {
    const query = kit.readQuery(request);
    const matches = kit.filter(query.filter);
    await kit.blockingRead(request, query, topics.nodes, () => {
      const { index, nodes } = query.dc.allNodes();
      const denied = kit.anonymousEmpty(request, index, "[]");
      if (denied) return denied;
      const rows = nodes.map(nodeJson);
      return { index, json: JSON.stringify(matches ? rows.filter(matches) : rows) };
    });
  }

  // Consul answers an unknown node with 200 and `null`.
  async function node(request: RouteRequest): Promise<void> {
    if (request.rest === "") throw new HttpFailure(400, "Missing node name");
    const name = request.rest;
    const query = kit.readQuery(request);
    await kit.blockingRead(request, query, [topics.nodes, topics.services], () => {
      const index = Math.max(query.dc.nodesIndex, query.dc.servicesIndex);
      const record = query.dc.node(name);
      const denied = kit.anonymousEmpty(request, index, "null");
      if (denied) return denied;
      if (!record) return { index, json: "null" };
      const services: Record<string, unknown> = {};
      for (const [id, s] of [...query.dc.servicesOn(name)].sort(([a], [b]) => (a < b ? -1 : 1))) services[id] = serviceJson(s);
      return { index, json: JSON.stringify({ Node: nodeJson(record), Services: services }) };
    });
  }

  async function register(request: RouteRequest): Promise<void> {
    kit.requireWrite(request, "node:write");
    const registration = parseCatalogRegistration(await readJsonBody(request.req));
    const dc = kit.datacenterOf(request, registration.datacenter);
    store.catalogRegister(dc.name, registration);
    kit.sendJson(request, "true");
  }

  async function deregister(request: RouteRequest): Promise<void> {
    kit.requireWrite(request, "node:write");
    const body = await readJsonBody(request.req);
    if (!isObject(body)) throw new BadRequest("Request decode failed: expected a JSON object");
    const nodeName = stringField(body, "Node");
    if (nodeName === "") throw new BadRequest("Must provide node");
    const dc = kit.datacenterOf(request, stringField(body, "Datacenter"));
    store.catalogDeregister(dc.name, nodeName, stringField(body, "ServiceID"), stringField(body, "CheckID"));
    kit.sendJson(request, "true");
  }

  return [
    { pattern: "/v1/catalog/services", methods: readMethods, handle: services },
    { pattern: "/v1/catalog/service/", methods: readMethods, handle: service },
    { pattern: "/v1/catalog/nodes", methods: readMethods, handle: nodes },
    { pattern: "/v1/catalog/node/", methods: readMethods, handle: node },
    { pattern: "/v1/catalog/datacenters", methods: readMethods, handle: (r) => kit.sendJson(r, JSON.stringify(store.datacenterNames())) },
    { pattern: "/v1/catalog/register", methods: writeMethods, handle: register },
    { pattern: "/v1/catalog/deregister", methods: writeMethods, handle: deregister },
  ];
}
