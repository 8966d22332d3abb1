import type { CheckRecord, HealthEntry } from "./catalog-records.js";
import { topics } from "./catalog-transaction.js";
import { checkJson, healthEntryJson } from "./consul-json.js";
import { type ConsulRoute, type RouteRequest, readMethods } from "./consul-route.js";
import { HttpFailure } from "./http-answers.js";
import type { ReadKit } from "./route-kit.js";

const healthRoots = new Set(["Node", "Service", "Checks"]);

function requireName(rest: string, missing: string): string {
  if (rest === "") throw new HttpFailure(400, missing);
  return rest;
}

/** `/v1/health/*`: instances with their checks, a service's checks, checks by state, a node's checks. */
export function healthRoutes(kit: ReadKit): ConsulRoute[] {
  async function service(request: RouteRequest): Promise<void> {
    const name = requireName(request.rest, "Missing service name");
    const query = kit.readQuery(request);
    const tags = request.url.searchParams.getAll("tag");
    const passing = kit.passing(request);
    const matches = kit.filter(query.filter, healthRoots);
    const plain = tags.length === 0 && !passing && !matches;
    await kit.blockingRead(request, query, topics.service(name), () => {
      const denied = kit.anonymousEmpty(request, query.dc.serviceIndex(name), "[]");
      if (denied) return denied;
      if (plain) return query.dc.healthJson(name);
      const { index, records } = query.dc.healthEntries(name);
      const kept = records
        .filter((record: HealthEntry) => !passing || record.checks.every((c) => c.status === "passing"))
        .filter((record) => tags.every((t) => record.service.tags.includes(t)))
        .map(healthEntryJson)
        .filter((entry) => (matches ? matches(entry) : true));
      return { index, json: JSON.stringify(kept) };
    });
  }

  async function serviceChecks(request: RouteRequest): Promise<void> {
    const name = requireName(request.rest, "Missing service name");
    const query = kit.readQuery(request);
    const matches = kit.filter(query.filter);
    await kit.blockingRead(request, query, topics.service(name), () => {
      const denied = kit.anonymousEmpty(request, query.dc.serviceIndex(name), "[]");
      if (denied) return denied;
      const { index, records } = query.dc.healthEntries(name);
      const checks = records.flatMap((r) => r.checks.filter((c) => c.serviceId !== "")).map(checkJson);
      return { index, json: JSON.stringify(matches ? checks.filter(matches) : checks) };
    });
  }

  // Consul accepts any state name: one no check has ("unknown", "nonsense") is an empty list.
  async function state(request: RouteRequest): Promise<void> {
    const wanted = requireName(request.rest, "Missing check state");
    const query = kit.readQuery(request);
    const matches = kit.filter(query.filter);
    await kit.blockingRead(request, query, topics.checks, () => {
      const denied = kit.anonymousEmpty(request, query.dc.checksIndex, "[]");
      if (denied) return denied;
      if (wanted === "any" && !matches) return query.dc.allChecksJson();
      if (matches) {
        // Evaluated once per check record, so a write costs the filter its own checks only.
        const key = `${wanted}\u0000${query.filter}`;
        const { index, records } = query.dc.filteredChecks(key, (c) => (wanted === "any" || c.status === wanted) && matches(checkJson(c)));
        return { index, json: JSON.stringify(records.map(checkJson)) };
      }
      const { index, records } = query.dc.allChecks();
      return { index, json: JSON.stringify(records.filter((c: CheckRecord) => c.status === wanted).map(checkJson)) };
    });
  }

  async function node(request: RouteRequest): Promise<void> {
    const name = requireName(request.rest, "Missing node name");
    const query = kit.readQuery(request);
    const matches = kit.filter(query.filter);
    await kit.blockingRead(request, query, topics.checks, () => {
      const denied = kit.anonymousEmpty(request, query.dc.checksIndex, "[]");
      if (denied) return denied;
      const checks = [...query.dc.checksOn(name).values()].sort((a, b) => (a.checkId < b.checkId ? -1 : 1)).map(checkJson);
      return { index: query.dc.checksIndex, json: JSON.stringify(matches ? checks.filter(matches) : checks) };
    });
  }

  return [
    { pattern: "/v1/health/service/", methods: readMethods, handle: service },
    { pattern: "/v1/health/checks/", methods: readMethods, handle: serviceChecks },
    { pattern: "/v1/health/state/", methods: readMethods, handle: state },
    { pattern: "/v1/health/node/", methods: readMethods, handle: node },
  ];
}
