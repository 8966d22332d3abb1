import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { ServiceModel } from "../src/model/service-model.js";
import { captureLogger, fastTiming, http, instancesOf, until, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";
import { manualClock } from "./support/manual-clock.js";

async function register(consul: EmbeddedConsul, body: Record<string, unknown>): Promise<void> {
  const answer = await http(consul.url, "PUT", "/v1/agent/service/register", body);
  assert.equal(answer.status, 200, answer.text);
}

async function put(consul: EmbeddedConsul, path: string, body?: unknown): Promise<void> {
  const answer = await http(consul.url, "PUT", path, body);
  assert.equal(answer.status, 200, `${path}: ${answer.text}`);
}

/** Registers `name` on its own node in `dc` through the catalog API with one check. */
async function catalogInstance(
  consul: EmbeddedConsul,
  options: { name: string; id: string; node: string; address?: string; port?: number; status?: string; tags?: string[]; dc?: string },
): Promise<void> {
  await put(consul, "/v1/catalog/register", {
    Datacenter: options.dc ?? "",
    Node: options.node,
    Address: options.address ?? "10.1.0.1",
    NodeMeta: { zone: `${options.node}-zone` },
    Service: { ID: options.id, Service: options.name, Port: options.port ?? 9000, Tags: options.tags ?? [] },
    Check: { CheckID: `service:${options.id}`, Name: "check", Status: options.status ?? "passing", ServiceID: options.id },
  });
}

const statusOf = (model: ServiceModel, name: string, dc = "dc1") => instancesOf(model, name, dc)?.map((i) => i.health.status);

describe("createConsulWatcher()", () => {
  it("should load every service on start and mark the model synced only after reading them all", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, {
      Name: "web",
      ID: "web-1",
      Address: "10.0.0.5",
      Port: 8080,
      Tags: ["v1"],
      Meta: { version: "1" },
      Weights: { Passing: 3, Warning: 1 },
      Check: { TTL: "30s", Status: "passing" },
    });
    await register(consul, { Name: "api", Port: 9090, Check: { TTL: "30s" } });
    await catalogInstance(consul, { name: "web", id: "web-2", node: "node-b", address: "10.0.0.6", status: "warning" });
    const h = useWatcher(t, consul);
    let servicesAtSync = -1;
    h.model.whenSynced().then(() => (servicesAtSync = h.model.view().services.size));
    await h.model.whenSynced();
    assert.equal(servicesAtSync, 2, "web and api (not Consul's own consul service) are in the model when it says synced");
    assert.equal(h.watcher.status.synced, true);
    assert.equal(h.watcher.status.localDatacenter, "dc1");
    assert.equal(h.model.view().localDatacenter, "dc1");
    assert.equal(h.watcher.status.stalenessSeconds(), 0);
    assert.equal(h.watcher.status.error, null);
    const web = instancesOf(h.model, "web");
    assert.deepEqual(
      web?.map((i) => ({ id: i.id, node: i.node, address: i.address, port: i.port, status: i.health.status, weights: i.weights })),
      [
        { id: "web-1", node: "agent-1", address: "10.0.0.5", port: 8080, status: "passing", weights: { passing: 3, warning: 1 } },
        { id: "web-2", node: "node-b", address: "10.0.0.6", port: 9000, status: "warning", weights: { passing: 1, warning: 1 } },
      ],
    );
    assert.deepEqual(web?.[0]?.tags, ["v1"]);
    assert.deepEqual(web?.[0]?.meta, { version: "1" });
    assert.equal(web?.[1]?.nodeMeta.zone, "node-b-zone");
    assert.equal(web?.[1]?.datacenter, "dc1");
    // api has no Service.Address: the node's address is used; its TTL check starts critical.
    assert.deepEqual(
      instancesOf(h.model, "api")?.map((i) => [i.address, i.health.status]),
      [["127.0.0.1", "critical"]],
    );
  });

  it("should follow instances being added and removed", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await catalogInstance(consul, { name: "web", id: "web-1", node: "n1" });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    await catalogInstance(consul, { name: "web", id: "web-2", node: "n2", address: "10.1.0.2" });
    await until(() => instancesOf(h.model, "web")?.length === 2, h.events, "second instance");
    await put(consul, "/v1/catalog/deregister", { Node: "n1", ServiceID: "web-1" });
    await until(
      () =>
        instancesOf(h.model, "web")
          ?.map((i) => i.id)
          .join() === "web-2",
      h.events,
      "first instance gone",
    );
  });

  it("should follow a check from passing to warning to critical", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    assert.deepEqual(statusOf(h.model, "web"), ["passing"]);
    for (const [verb, status] of [
      ["warn", "warning"],
      ["fail", "critical"],
      ["pass", "passing"],
    ] as const) {
      await put(consul, `/v1/agent/check/${verb}/service:web?note=${verb}`);
      await until(() => statusOf(h.model, "web")?.[0] === status, h.events, status);
    }
  });

  it("should follow service and node maintenance on and off", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    await register(consul, { Name: "api", Port: 81, Check: { TTL: "30s", Status: "passing" } });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    const health = (name: string) => instancesOf(h.model, name)?.[0]?.health;

    await put(consul, "/v1/agent/service/maintenance/web?enable=true&reason=deploy");
    await until(() => health("web")?.maintenance === "service", h.events, "service maintenance");
    assert.equal(health("web")?.status, "critical");
    assert.equal(health("api")?.maintenance, "none");
    await put(consul, "/v1/agent/service/maintenance/web?enable=false");
    await until(() => health("web")?.maintenance === "none" && health("web")?.status === "passing", h.events, "service maintenance off");

    await put(consul, "/v1/agent/maintenance?enable=true");
    await until(() => health("web")?.maintenance === "node" && health("api")?.maintenance === "node", h.events, "node maintenance");
    await put(consul, "/v1/agent/maintenance?enable=false");
    await until(() => health("web")?.maintenance === "none" && health("api")?.maintenance === "none", h.events, "node maintenance off");
  });

  it("should mark every service on a node when a node check changes", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await catalogInstance(consul, { name: "a", id: "a-1", node: "n1" });
    await catalogInstance(consul, { name: "b", id: "b-1", node: "n1" });
    await catalogInstance(consul, { name: "b", id: "b-2", node: "n2" });
    await put(consul, "/v1/catalog/register", {
      Node: "n1",
      Address: "10.1.0.1",
      Check: { CheckID: "serfHealth", Name: "Serf", Status: "passing" },
    });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    consul.store.setCheckStatus("dc1", "n1", "serfHealth", "critical");
    await until(
      () => statusOf(h.model, "a")?.join() === "critical" && statusOf(h.model, "b")?.join() === "critical,passing",
      h.events,
      "node check applied to every service on n1",
    );
  });

  it("should remove a service whose last instance is removed", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    await register(consul, { Name: "api", Port: 81 });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    await put(consul, "/v1/agent/service/deregister/web");
    await until(() => !h.model.view().services.has("web"), h.events, "web removed");
    assert.ok(h.model.view().services.has("api"));
    assert.ok(!h.model.servicesIn("dc1").includes("web"));
  });

  it("should remove a deregistered service with several instances", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await catalogInstance(consul, { name: "web", id: "web-1", node: "n1" });
    await catalogInstance(consul, { name: "web", id: "web-2", node: "n2" });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    assert.equal(instancesOf(h.model, "web")?.length, 2);
    await put(consul, "/v1/catalog/deregister", { Node: "n1", ServiceID: "web-1" });
    await put(consul, "/v1/catalog/deregister", { Node: "n2" });
    await until(() => !h.model.view().services.has("web"), h.events, "web removed");
  });

  it("should see an instance registered without any check (catalog change the check feed cannot show)", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await catalogInstance(consul, { name: "web", id: "web-1", node: "n1" });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    await put(consul, "/v1/catalog/register", { Node: "n2", Address: "10.1.0.9", Service: { ID: "web-2", Service: "web", Port: 9000 } });
    await until(() => instancesOf(h.model, "web")?.length === 2, h.events, "check-less instance");
    await put(consul, "/v1/catalog/register", { Node: "n2", Address: "10.1.0.9", Service: { ID: "web-2", Service: "web", Port: 9001 } });
    await until(() => instancesOf(h.model, "web")?.find((i) => i.id === "web-2")?.port === 9001, h.events, "check-less edit");
    await put(consul, "/v1/catalog/deregister", { Node: "n2", ServiceID: "web-2" });
    await until(() => instancesOf(h.model, "web")?.length === 1, h.events, "check-less removal");
  });

  it("should survive an index reset (indexes going backwards) without a spurious change", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    // A long wait: a watcher that kept blocking on its old, higher index would miss the next change.
    const h = useWatcher(t, consul, { timing: { ...fastTiming, waitMs: 60_000 } });
    await h.model.whenSynced();
    await until(() => consul.store.waiters.size >= 2, [h.events, consul.onRequest], "both loops parked on the catalog");
    const revision = h.model.revision;
    const reads = () => consul.requestCount("/v1/health/service/web");
    const readsBefore = reads();
    consul.store.resetIndexes();
    // web's check now shows another ModifyIndex: web is read again, and found unchanged.
    await until(() => reads() > readsBefore && h.requests.at(-1)?.endpoint === "health-service", h.events, "re-read after reset");
    await put(consul, "/v1/agent/check/warn/service:web");
    await until(() => statusOf(h.model, "web")?.[0] === "warning", h.events, "change after reset");
    assert.equal(h.model.revision, revision + 1, "the reset itself changed nothing in the model");
  });

  it("should not busy-loop when Consul answers X-Consul-Index: 0", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const rate = 40;
    const burst = 2;
    const h = useWatcher(t, consul, { timing: { ...fastTiming, waitMs: 300, rateLimit: { ratePerSecond: rate, burst } } });
    await h.model.whenSynced();
    consul.faults.inject({ kind: "zero-index" }, { path: "/v1/catalog/services" });
    // Once an answer says index 0, the watcher sends index=1 (or 0 after "going backwards"), which
    // Consul answers at once: only the token bucket spaces the requests.
    const arrivals: number[] = [];
    const stop = consul.onRequest((path, query) => {
      if (path === "/v1/catalog/services" && Number(query.get("index") ?? 0) <= 1) arrivals.push(Date.now());
    });
    const wanted = 14;
    await until(() => arrivals.length >= wanted, consul.onRequest, "catalog requests with index 0 or 1");
    stop();
    const span = (arrivals[wanted - 1] ?? 0) - (arrivals[0] ?? 0);
    const minimum = ((wanted - 1 - burst) / rate) * 1000;
    assert.ok(span >= minimum * 0.9, `${wanted} requests in ${span} ms; the rate limit allows no less than ${minimum} ms`);
    await put(consul, "/v1/agent/check/fail/service:web");
    await until(() => statusOf(h.model, "web")?.[0] === "critical", h.events, "change while index is 0");
    assert.equal(h.watcher.status.error, null);
  });

  it("should keep the last good model while Consul is down, back off with jitter, and resync when it returns", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const backoff = { baseMs: 40, maxMs: 320 };
    const h = useWatcher(t, consul, { timing: { ...fastTiming, backoff }, random: Math.random });
    await h.model.whenSynced();
    const revision = h.model.revision;
    const view = h.model.view();
    await consul.stop();
    await until(() => h.watcher.status.error?.code === "unreachable", h.events, "unreachable");
    const errorsOf = () => h.requests.filter((r) => r.outcome === "error" && r.endpoint === "catalog-services");
    const downAt = Date.now();
    await until(() => errorsOf().length >= 6, h.events, "six failed catalog reads", 10_000);
    const elapsed = Date.now() - downAt;
    const delays = errorsOf().map((r) => r.retryInMs ?? 0);
    // Exponential ceilings 40, 80, 160, 320, 320…; each delay lies in [ceiling/2, ceiling).
    delays.forEach((delay, i) => {
      const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** i);
      assert.ok(delay >= ceiling / 2 && delay < ceiling, `delay ${i} = ${delay} outside [${ceiling / 2}, ${ceiling})`);
    });
    assert.ok(new Set(delays.map((d) => Math.round(d))).size > 1, "delays are jittered");
    const waited = delays.slice(0, 5).reduce((a, b) => a + b, 0);
    assert.ok(elapsed >= waited * 0.9, `no busy loop: 6 attempts took ${elapsed} ms, backoff alone ${Math.round(waited)} ms`);
    assert.ok(h.requests.filter((r) => r.outcome === "error").length < 40, "a handful of attempts, not a flood");
    assert.equal(h.model.revision, revision, "nothing removed while Consul is down");
    assert.equal(h.model.view(), view);
    assert.deepEqual(statusOf(h.model, "web"), ["passing"]);
    assert.ok(h.watcher.status.stalenessSeconds() > 0);
    assert.equal(h.watcher.status.synced, true);

    await consul.start();
    await until(() => h.watcher.status.error === null, h.events, "recovered", 10_000);
    assert.equal(h.watcher.status.stalenessSeconds(), 0);
    await put(consul, "/v1/agent/check/warn/service:web");
    await until(() => statusOf(h.model, "web")?.[0] === "warning", h.events, "change after recovery");
    assert.deepEqual(h.errorClasses.slice(0, 1), ["unreachable"]);
    assert.equal(h.errorClasses.at(-1), null);
  });

  it("should retry after 500s and then apply the change", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    consul.faults.inject({ kind: "status", status: 500, body: "rpc error: leader lost" }, { path: "/v1/health/service/", count: 3 });
    await put(consul, "/v1/agent/check/warn/service:web");
    await until(() => statusOf(h.model, "web")?.[0] === "warning", h.events, "change after 500s");
    assert.equal(h.requests.filter((r) => r.endpoint === "health-service" && r.errorCode === "server-error").length, 3);
    assert.deepEqual(h.errorClasses, ["server-error", null]);
  });

  it("should treat 429 as rate limiting and recover", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    consul.faults.inject({ kind: "status", status: 429 }, { path: "/v1/health/service/", count: 2 });
    await put(consul, "/v1/agent/check/warn/service:web");
    await until(() => statusOf(h.model, "web")?.[0] === "warning", h.events, "change after 429s");
    assert.deepEqual(h.errorClasses, ["rate-limited", null]);
  });

  it("should time out a response slower than the request timeout and retry", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const h = useWatcher(t, consul, { timing: { ...fastTiming, requestTimeoutMs: 150 } });
    await h.model.whenSynced();
    // Held for a minute (released when the client gives up): only the client's timeout can end these reads.
    consul.faults.inject({ kind: "latency", ms: 60_000 }, { path: "/v1/health/service/", count: 2 });
    await put(consul, "/v1/agent/check/warn/service:web");
    await until(() => statusOf(h.model, "web")?.[0] === "warning", h.events, "change after timeouts");
    const timeouts = h.requests.filter((r) => r.errorCode === "timeout");
    assert.equal(timeouts.length, 2);
    for (const r of timeouts) assert.ok(r.durationMs >= 150, `timed out after ${r.durationMs} ms, not before the 150 ms timeout`);
    assert.deepEqual(h.errorClasses, ["timeout", null]);
  });

  it("should time out a blocking query that outlives wait + jitter and keep going", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const timing = { ...fastTiming, waitMs: 200, timeoutMarginMs: 50 };
    const h = useWatcher(t, consul, { timing });
    await h.model.whenSynced();
    // The catalog holds the next blocking read a minute (until the client gives up) on top of its wait:
    // only the client's blocking timeout (wait + wait/16 + margin) can end it.
    consul.faults.inject({ kind: "latency", ms: 60_000 }, { path: "/v1/catalog/services", count: 1 });
    await until(() => h.requests.some((r) => r.endpoint === "catalog-services" && r.errorCode === "timeout"), h.events, "blocking timeout");
    const timeout = h.requests.find((r) => r.errorCode === "timeout");
    assert.ok(timeout && timeout.durationMs >= 200, `timeout after ${timeout?.durationMs} ms, not before the 200 ms wait`);
    await until(() => h.watcher.status.error === null, h.events, "recovered");
  });

  it("should report an unknown datacenter and keep the model empty", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80 });
    const h = useWatcher(t, consul, { datacenter: "nope" });
    await until(() => h.watcher.status.error?.code === "unknown-datacenter", h.events, "unknown-datacenter");
    assert.match(h.watcher.status.error?.message ?? "", /No path to datacenter/);
    assert.equal(h.watcher.status.synced, false);
    assert.equal(h.watcher.status.stalenessSeconds(), Number.POSITIVE_INFINITY);
    assert.equal(h.model.view().services.size, 0);
  });

  it("should watch failover datacenters into the model under their own name", async (t) => {
    const consul = await useEmbeddedConsul(t, { datacenters: ["dc1", "dc2"] });
    await catalogInstance(consul, { name: "web", id: "web-1", node: "n1" });
    await catalogInstance(consul, { name: "web", id: "web-9", node: "far", address: "10.9.0.1", dc: "dc2" });
    const model = new ServiceModel({ localDatacenter: "", failoverDatacenters: ["dc2", "dc3"] });
    const h = useWatcher(t, consul, { model, clientOptions: { maxSockets: 12 } });
    await model.whenSynced();
    assert.deepEqual(
      instancesOf(model, "web", "dc1")?.map((i) => i.id),
      ["web-1"],
    );
    assert.deepEqual(
      instancesOf(model, "web", "dc2")?.map((i) => [i.id, i.datacenter]),
      [["web-9", "dc2"]],
    );
    // dc3 does not exist: reported, but it does not hold back the sync of the others.
    assert.ok(h.watcher.status.errors.some((e) => e.datacenter === "dc3" && e.code === "unknown-datacenter"));
    consul.store.setCheckStatus("dc2", "far", "service:web-9", "critical");
    await until(() => statusOf(model, "web", "dc2")?.[0] === "critical", h.events, "dc2 change");
  });

  it("should report an invalid token as acl-denied without ever showing the token", async (t) => {
    const consul = await useEmbeddedConsul(t, { aclTokens: ["the-right-token"] });
    const secret = "s3cr3t-wrong-token-value";
    const { logger, lines } = captureLogger("debug");
    const h = useWatcher(t, consul, { logger, clientOptions: { token: secret } });
    await until(() => h.watcher.status.error?.code === "acl-denied", h.events, "acl-denied");
    assert.match(h.watcher.status.error?.message ?? "", /ACL not found/);
    assert.ok(!JSON.stringify(h.watcher.status.errors).includes(secret));
    assert.ok(lines().length > 0);
    assert.ok(
      lines().every((line) => !line.includes(secret)),
      "the token never appears in logs",
    );
    assert.equal(h.watcher.status.synced, false);
  });

  it("should work with a valid token sent as X-Consul-Token", async (t) => {
    const consul = await useEmbeddedConsul(t, { aclTokens: ["the-right-token"] });
    consul.store.seed("dc1", [{ name: "web", instances: [{ port: 80 }] }]);
    const h = useWatcher(t, consul, { clientOptions: { token: "the-right-token" } });
    await h.model.whenSynced();
    assert.equal(instancesOf(h.model, "web")?.length, 1);
  });

  it("should bridge only services whose names start with the prefix", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed(
      "dc1",
      ["web-a", "web-b", "api", "webby"].map((name) => ({ name, instances: [{ port: 80 }] })),
    );
    const h = useWatcher(t, consul, { prefix: "web-" });
    await h.model.whenSynced();
    assert.deepEqual([...h.model.view().services.keys()].sort(), ["web-a", "web-b"]);
    consul.store.seed("dc1", [
      { name: "web-c", instances: [{ port: 80 }] },
      { name: "other", instances: [{ port: 80 }] },
    ]);
    await until(() => h.model.view().services.has("web-c"), h.events, "web-c");
    assert.ok(!h.model.view().services.has("other"));
  });

  it("should leave Consul's own consul service out unless asked to bridge it", async (t) => {
    const consul = await useEmbeddedConsul(t, { consulService: true });
    consul.store.seed("dc1", [{ name: "web", instances: [{ port: 80 }] }]);
    const byDefault = useWatcher(t, consul);
    await byDefault.model.whenSynced();
    assert.deepEqual([...byDefault.model.view().services.keys()], ["web"]);
    const everything = useWatcher(t, consul, { exclude: [] });
    await everything.model.whenSynced();
    assert.deepEqual([...everything.model.view().services.keys()].sort(), ["consul", "web"]);
  });

  it("should bridge only services and instances carrying the tag", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed("dc1", [
      {
        name: "web",
        instances: [
          { port: 80, tags: ["v1"] },
          { port: 81, tags: ["v2"] },
          { port: 82, tags: ["v1", "canary"] },
        ],
      },
      { name: "api", instances: [{ port: 90, tags: ["v2"] }] },
    ]);
    const h = useWatcher(t, consul, { tag: "v1" });
    await h.model.whenSynced();
    assert.deepEqual([...h.model.view().services.keys()], ["web"]);
    assert.deepEqual(
      instancesOf(h.model, "web")?.map((i) => i.port),
      [80, 82],
    );
    consul.store.seed("dc1", [{ name: "api", instances: [{ port: 90, tags: ["v2", "v1"] }] }]);
    await until(() => instancesOf(h.model, "api")?.length === 1, h.events, "api gains the tag");
  });

  it("should skip malformed instances with a warning and sidecars at debug level", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await catalogInstance(consul, { name: "web", id: "web-1", node: "n1" });
    await put(consul, "/v1/catalog/register", { Node: "n2", Address: "10.1.0.2", Service: { ID: "web-bad", Service: "web", Port: 0 } });
    await put(consul, "/v1/catalog/register", {
      Node: "n3",
      Address: "10.1.0.3",
      Service: {
        ID: "web-sidecar",
        Service: "web-sidecar-proxy",
        Kind: "connect-proxy",
        Port: 21000,
        Proxy: { DestinationServiceName: "web" },
      },
    });
    const { logger, lines } = captureLogger("debug");
    const h = useWatcher(t, consul, { logger });
    await h.model.whenSynced();
    assert.deepEqual(
      instancesOf(h.model, "web")?.map((i) => i.id),
      ["web-1"],
    );
    assert.ok(!h.model.view().services.has("web-sidecar-proxy"), "a name with only sidecars is not bridged");
    const parsed = lines().map((l) => JSON.parse(l) as { level: number; msg: string; service?: string; instance?: string });
    const warning = parsed.find((l) => l.level === 40 && l.instance === "web-bad");
    assert.ok(warning, "warned about web-bad");
    assert.equal(warning.service, "web");
    assert.match(warning.msg, /web-bad.*web.*invalid port/);
    assert.ok(
      parsed.some((l) => l.level === 20 && l.instance === "web-sidecar"),
      "sidecar skipped at debug",
    );
  });

  it("should not bring back a service deregistered while its read was in flight", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80, Check: { TTL: "30s", Status: "passing" } });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    consul.faults.inject({ kind: "latency", ms: 300 }, { path: "/v1/health/service/web", count: 1 });
    const reads = () => h.requests.filter((r) => r.endpoint === "health-service").length;
    const readsBefore = reads();
    await put(consul, "/v1/agent/check/warn/service:web"); // queues a read, held 300 ms by the catalog
    await until(() => consul.requestCount("/v1/health/service/web") >= 2, consul.onRequest, "read in flight");
    await put(consul, "/v1/agent/service/deregister/web");
    await until(() => !h.model.view().services.has("web"), h.events, "web removed");
    await until(() => reads() > readsBefore, h.events, "the slow read completed");
    assert.ok(!h.model.view().services.has("web"));
  });

  it("should not let one unreadable service hold back the others or the sync", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed("dc1", [
      { name: "good", instances: [{ port: 80 }] },
      { name: "bad", instances: [{ port: 81 }] },
    ]);
    consul.faults.inject({ kind: "status", status: 400, body: "Invalid service name" }, { path: "/v1/health/service/bad" });
    const h = useWatcher(t, consul);
    await h.model.whenSynced();
    assert.equal(instancesOf(h.model, "good")?.length, 1);
    assert.ok(!h.model.view().services.has("bad"));
    assert.ok(h.requests.some((r) => r.endpoint === "health-service" && r.errorCode === "bad-request"));
    consul.store.setCheckStatus("dc1", "node-0", "service:good-0", "warning");
    await until(() => statusOf(h.model, "good")?.[0] === "warning", h.events, "good still followed");
    const error = h.watcher.status.errors.find((e) => e.service === "bad");
    assert.deepEqual([error?.code, error?.endpoint, error?.message], ["bad-request", "health-service", "HTTP 400: Invalid service name"]);
    consul.faults.clear();
    await until(() => instancesOf(h.model, "bad")?.length === 1, h.events, "bad readable again", 5_000);
    await until(() => h.watcher.status.error === null, h.events, "error cleared");
  });

  it("should keep a catalog of 2,000 services within the socket cap", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed(
      "dc1",
      Array.from({ length: 2_000 }, (_, i) => ({ name: `svc-${String(i).padStart(4, "0")}`, instances: [{ port: 80 }, { port: 81 }] })),
    );
    consul.connections.resetPeak();
    const maxSockets = 6;
    const h = useWatcher(t, consul, { clientOptions: { maxSockets } });
    await h.model.whenSynced();
    assert.equal(h.model.view().services.size, 2_000);
    for (let i = 0; i < 50; i += 1)
      consul.store.setCheckStatus("dc1", "node-1", `service:svc-${String(i * 40).padStart(4, "0")}-1`, "critical");
    await until(
      () =>
        Array.from({ length: 50 }, (_, i) => statusOf(h.model, `svc-${String(i * 40).padStart(4, "0")}`)?.[1]).every(
          (s) => s === "critical",
        ),
      h.events,
      "50 changes",
      10_000,
    );
    assert.ok(consul.connections.peak <= maxSockets, `peak ${consul.connections.peak} connections > cap ${maxSockets}`);
    assert.ok(consul.connections.peak >= 2, "the two blocking loops and the reads did use sockets");
  });

  it("should stop promptly on close() with blocking queries in flight", async (t) => {
    // The catalog's clock never moves, so its blocking queries never answer: close() can only return
    // by abandoning them (waiting would take the client's own 61 s timeout).
    const consul = await useEmbeddedConsul(t, { clock: manualClock() });
    await register(consul, { Name: "web", Port: 80 });
    const h = useWatcher(t, consul, { timing: { ...fastTiming, waitMs: 60_000 } });
    await h.model.whenSynced();
    await until(() => consul.store.waiters.size >= 2, [h.events, consul.onRequest], "blocking queries parked");
    let guard: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      h.watcher.close().then(() => "closed"),
      new Promise((resolve) => (guard = setTimeout(resolve, 10_000, "still waiting"))),
    ]);
    clearTimeout(guard);
    assert.equal(closed, "closed", "close() waited for the parked blocking queries");
  });

  it("should stop when its signal aborts", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await register(consul, { Name: "web", Port: 80 });
    const controller = new AbortController();
    const h = useWatcher(t, consul, { signal: controller.signal, timing: { ...fastTiming, waitMs: 60_000 } });
    await h.model.whenSynced();
    controller.abort();
    await h.watcher.close();
    const count = h.requests.length;
    await put(consul, "/v1/agent/service/register", { Name: "api", Port: 81 });
    assert.equal(h.requests.length, count);
  });
});
