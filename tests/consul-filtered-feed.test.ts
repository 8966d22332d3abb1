// The change feed asks Consul only for the checks that are not passing, so a flap costs Consul an
// answer the size of what is unhealthy, not of the catalog; membership changes the filter hides are
// found with a listing of the checked instances; an old Consul that ignores ?filter= still works.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { captureLogger, fastTiming, http, instancesOf, until, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";

const name = (i: number) => `svc-${String(i).padStart(3, "0")}`;

/** Seeds `services` × `instances` passing instances: instance i of every service on node-i. */
function seed(consul: EmbeddedConsul, services: number, instances: number, tags: string[] = []): void {
  consul.store.seed(
    "dc1",
    Array.from({ length: services }, (_, s) => ({
      name: name(s),
      instances: Array.from({ length: instances }, () => ({ port: 80, tags })),
    })),
  );
}

/** Bytes the catalog serves, per path, from now on. */
function meter(consul: EmbeddedConsul) {
  const served = new Map<string, number>();
  const stop = consul.onResponse((path, _query, bytes) => served.set(path, (served.get(path) ?? 0) + bytes));
  return { served, stop };
}

async function register(consul: EmbeddedConsul, service: string, id: string, node: string, tags: string[] = []): Promise<void> {
  const answer = await http(consul.url, "PUT", "/v1/catalog/register", {
    Node: node,
    Address: "10.9.0.1",
    Service: { ID: id, Service: service, Port: 80, Tags: tags },
    Check: { CheckID: `service:${id}`, Name: "check", Status: "passing", ServiceID: id },
  });
  assert.equal(answer.status, 200, answer.text);
}

describe("the check feed", () => {
  it("should ask only for the checks that are not passing, so a flap costs a small answer", async (t) => {
    const consul = await useEmbeddedConsul(t);
    seed(consul, 300, 3);
    const filters: Array<string | null> = [];
    consul.onRequest((path, query) => {
      if (path === "/v1/health/state/any") filters.push(query.get("filter"));
    });
    const h = useWatcher(t, consul, { timing: { ...fastTiming, waitMs: 60_000 } });
    await h.model.whenSynced();
    await until(() => consul.store.waiters.size >= 2, [h.events, consul.onRequest], "both loops parked");
    const everyCheck = Buffer.byteLength((await http(consul.url, "GET", "/v1/health/state/any")).text);
    filters.length = 0;
    const { served, stop } = meter(consul);
    for (const status of ["critical", "passing"] as const) {
      consul.store.setCheckStatus("dc1", "node-1", `service:${name(7)}-1`, status);
      await until(() => instancesOf(h.model, name(7))?.[1]?.health.status === status, h.events, status);
    }
    stop();
    const feedBytes = served.get("/v1/health/state/any") ?? 0;
    assert.ok(feedBytes > 0, "the feed answered the flaps");
    assert.ok(feedBytes * 20 < everyCheck, `the feed served ${feedBytes} bytes for two flaps; every check is ${everyCheck} bytes`);
    assert.ok(filters.length > 0 && filters.every((f) => f === 'Status != "passing"'), `feed filters: ${filters.join(" | ")}`);
    assert.equal(h.requests.filter((r) => r.endpoint === "health-state-list").length, 0, "a flap needs no listing: the feed showed it");
  });

  it("should see a registration whose check starts passing, and a passing instance deregistered, with one listing each", async (t) => {
    const consul = await useEmbeddedConsul(t);
    seed(consul, 50, 2);
    // A grace longer than a listing and a read: no sweep may be needed to find these changes.
    const h = useWatcher(t, consul, { timing: { ...fastTiming, explainGraceMs: 2_000 } });
    await h.model.whenSynced();
    const readsOf = (service: string) => h.requests.filter((r) => r.endpoint === "health-service" && r.service === service).length;
    const otherReads = () => h.requests.filter((r) => r.endpoint === "health-service" && r.service !== name(7)).length;
    const listings = () => h.requests.filter((r) => r.endpoint === "health-state-list" && r.outcome !== "error").length;
    const before = { other: otherReads(), listings: listings(), reads: readsOf(name(7)) };

    await register(consul, name(7), `${name(7)}-new`, "node-new");
    await until(() => instancesOf(h.model, name(7))?.length === 3, h.events, "the registration");
    assert.ok(listings() > before.listings, "found by a listing");
    await http(consul.url, "PUT", "/v1/catalog/deregister", { Node: "node-0", ServiceID: `${name(7)}-0` });
    await until(
      () =>
        instancesOf(h.model, name(7))
          ?.map((i) => i.id)
          .join() === `${name(7)}-1,${name(7)}-new`,
      h.events,
      "the removal",
    );
    assert.ok(listings() >= before.listings + 2, "the removal found by a listing too");
    assert.ok(readsOf(name(7)) >= before.reads + 2);
    assert.equal(otherReads(), before.other, "no other service was read: no sweep");
  });

  it("should list only tagged instances under --tag, so services with untagged ones are not re-read", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed("dc1", [
      {
        name: "web",
        instances: [
          { port: 80, tags: ["v1"] },
          { port: 81, tags: ["v2"] },
        ],
      },
      { name: "api", instances: [{ port: 90, tags: ["v1"] }, { port: 91 }] },
    ]);
    const h = useWatcher(t, consul, { tag: "v1", timing: { ...fastTiming, explainGraceMs: 2_000 } });
    await h.model.whenSynced();
    const apiReads = () => h.requests.filter((r) => r.service === "api").length;
    const before = apiReads();
    await register(consul, "web", "web-new", "node-new", ["v1"]);
    await until(() => instancesOf(h.model, "web")?.length === 2, h.events, "the tagged registration");
    assert.equal(apiReads(), before, "api's untagged instance is not a difference");
  });
});

describe("the check feed against a Consul that ignores ?filter=", () => {
  it("should notice every check in the answer, watch every check, and still see every change", async (t) => {
    const consul = await useEmbeddedConsul(t);
    seed(consul, 20, 2);
    consul.faults.inject({ kind: "ignore-filter" }, { path: "/v1/health/state/any" });
    const { logger, lines, onLine } = captureLogger("info");
    const h = useWatcher(t, consul, { logger });
    await h.model.whenSynced();
    await until(() => lines().some((l) => l.includes("Consul ignores ?filter=")), onLine, "the line saying so");

    consul.store.setCheckStatus("dc1", "node-0", `service:${name(3)}-0`, "critical");
    await until(() => instancesOf(h.model, name(3))?.[0]?.health.status === "critical", h.events, "a flap");
    await register(consul, name(3), `${name(3)}-new`, "node-new");
    await until(() => instancesOf(h.model, name(3))?.length === 3, h.events, "a registration with a passing check");
    await http(consul.url, "PUT", "/v1/catalog/deregister", { Node: "node-1", ServiceID: `${name(3)}-1` });
    await until(() => instancesOf(h.model, name(3))?.length === 2, h.events, "a deregistration");
    assert.equal(h.requests.filter((r) => r.endpoint === "health-state-list").length, 0, "every check is in the feed: no listing needed");
  });
});
