// Consul answering badly must never take traffic away from healthy instances, nor freeze the watch:
// unreadable records keep the instance's last good record, a cut answer fails its read at once, and
// an answer of the wrong shape is retried with backoff.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { captureLogger, fastTiming, http, instancesOf, until, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";
import { useRewritingProxy } from "./support/rewriting-proxy.js";

type Entry = { Node?: Record<string, unknown>; Service?: Record<string, unknown>; Checks?: unknown[] };

/** Registers `web` on nodes n1 and n2 with passing checks. */
async function seedWeb(consul: EmbeddedConsul): Promise<void> {
  for (const [index, node] of ["n1", "n2"].entries()) {
    const answer = await http(consul.url, "PUT", "/v1/catalog/register", {
      Node: node,
      Address: `10.1.0.${index + 1}`,
      Service: { ID: `web-${index + 1}`, Service: "web", Port: 37719 },
      Check: { CheckID: `service:web-${index + 1}`, Name: "check", Status: "passing", ServiceID: `web-${index + 1}` },
    });
    assert.equal(answer.status, 200, answer.text);
  }
}

const statuses = (consul: { model: Parameters<typeof instancesOf>[0] }) =>
  instancesOf(consul.model, "web")?.map((i) => `${i.id}:${i.port}:${i.health.status}`);

type Line = { level: number; msg: string; service?: string; instance?: string };
const parsed = (lines: () => string[]) => lines().map((l) => JSON.parse(l) as Line);

describe("the watcher against a Consul that answers badly", () => {
  const corruptions: Array<[string, (entry: Entry, i: number) => Entry]> = [
    ["a string Port", (entry) => ({ ...entry, Service: { ...entry.Service, Port: String(entry.Service?.Port) } })],
    [
      "one entry without Service and one without Node",
      (entry, i) => (i === 0 ? { Node: entry.Node, Checks: entry.Checks } : { Service: entry.Service, Checks: entry.Checks }),
    ],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`should keep every instance when all entries have ${what}, and read again with backoff`, async (t) => {
      const consul = await useEmbeddedConsul(t);
      await seedWeb(consul);
      const proxy = await useRewritingProxy(t, consul.url);
      const { logger, lines, onLine } = captureLogger("warn");
      const h = useWatcher(t, proxy, { logger });
      await h.model.whenSynced();
      assert.deepEqual(statuses(h), ["web-1:37719:passing", "web-2:37719:passing"]);

      proxy.rewrite = (path, body) => (path === "/v1/health/service/web" ? (body as Entry[]).map(corrupt) : undefined);
      consul.store.setCheckStatus("dc1", "n1", "service:web-1", "critical");
      const failed = () => h.requests.filter((r) => r.service === "web" && r.errorCode === "bad-response");
      await until(() => failed().length >= 2, h.events, "two failed reads of web");
      assert.deepEqual(statuses(h), ["web-1:37719:passing", "web-2:37719:passing"], "nothing withdrawn");
      assert.ok((failed()[1]?.retryInMs ?? 0) > (failed()[0]?.retryInMs ?? 0) / 2, "retried with backoff");
      const error = h.watcher.status.errors.find((e) => e.service === "web");
      assert.equal(error?.code, "bad-response");
      assert.match(error?.message ?? "", /web.*none of its 2 entries is readable; keeping the last good instances/);
      await until(
        () => parsed(lines).some((l) => l.level === 40 && l.service === "web" && /keeping the last good instances/.test(l.msg)),
        onLine,
        "a warning naming the service",
      );

      proxy.rewrite = undefined;
      await until(() => statuses(h)?.[0] === "web-1:37719:critical", h.events, "the real change once Consul answers well");
      await until(() => h.watcher.status.error === null, h.events, "error cleared");
    });
  }

  it("should keep the last good record of the one instance whose new record is unreadable", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await seedWeb(consul);
    const proxy = await useRewritingProxy(t, consul.url);
    const { logger, lines, onLine } = captureLogger("warn");
    const h = useWatcher(t, proxy, { logger });
    await h.model.whenSynced();
    proxy.rewrite = (path, body) =>
      path === "/v1/health/service/web"
        ? (body as Entry[]).map((e) => (e.Service?.ID === "web-2" ? { ...e, Service: { ...e.Service, Port: "37719" } } : e))
        : undefined;
    consul.store.setCheckStatus("dc1", "n1", "service:web-1", "warning");
    await until(() => statuses(h)?.[0] === "web-1:37719:warning", h.events, "web-1's change applied");
    assert.deepEqual(statuses(h), ["web-1:37719:warning", "web-2:37719:passing"], "web-2 keeps its last good record");
    await until(() => parsed(lines).some((l) => l.instance === "web-2"), onLine, "a warning about web-2");
    const warning = parsed(lines).find((l) => l.instance === "web-2");
    assert.ok(warning, "warned about web-2");
    assert.match(warning.msg, /skipped instance web-2 of service web: invalid port "37719"; keeping its last good record/);
    assert.equal(h.watcher.status.error, null, "a partly readable answer is a good read");
  });

  it("should still apply an empty list as the service having no instances", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await seedWeb(consul);
    await http(consul.url, "PUT", "/v1/catalog/register", {
      Node: "n3",
      Address: "10.1.0.3",
      Service: { ID: "api-1", Service: "api", Port: 80 },
    });
    const proxy = await useRewritingProxy(t, consul.url);
    const h = useWatcher(t, proxy);
    await h.model.whenSynced();
    proxy.rewrite = (path) => (path === "/v1/health/service/web" ? [] : undefined);
    consul.store.setCheckStatus("dc1", "n1", "service:web-1", "warning");
    await until(() => instancesOf(h.model, "web")?.length === 0, h.events, "web emptied by []");
    assert.equal(h.watcher.status.error, null);
  });

  for (const [what, path] of [
    ["the check feed", "/v1/health/state/any"],
    ["a service read", "/v1/health/service/web"],
  ] as const) {
    it(`should fail and retry a read of ${what} whose answer is cut mid-body, with a log line`, async (t) => {
      const consul = await useEmbeddedConsul(t);
      await seedWeb(consul);
      const { logger, lines, onLine } = captureLogger("info");
      // Long waits and timeouts: recovering through a timeout would take far longer than the test allows.
      const timing = { ...fastTiming, waitMs: 60_000, requestTimeoutMs: 60_000 };
      const h = useWatcher(t, consul, { logger, timing });
      await h.model.whenSynced();
      await until(() => consul.store.waiters.size >= 2, [h.events, consul.onRequest], "both loops parked");
      const started = Date.now();
      const before = consul.requestCount(path);
      consul.faults.inject({ kind: "cut-body" }, { path, count: 1 });
      // The next request of `path` takes the fault: the service read this change causes, or the
      // feed request that follows the (already parked, unfaulted) answer carrying this change.
      consul.store.setCheckStatus("dc1", "n1", "service:web-1", "warning");
      await until(() => consul.requestCount(path) > before, consul.onRequest, `a request of ${path} after the fault`);
      consul.store.setCheckStatus("dc1", "n2", "service:web-2", "critical");
      await until(
        () => statuses(h)?.join() === "web-1:37719:warning,web-2:37719:critical",
        h.events,
        "both changes, the cut answer retried",
      );
      const cut = h.requests.find((r) => r.errorCode === "unreachable");
      assert.ok(cut, "the cut answer failed its read");
      // Under the 60 s request timeout: the cut failed the read itself (a wall-clock bound tighter
      // than the timeout would only measure the machine's load).
      assert.ok(cut.durationMs < timing.requestTimeoutMs, `failed after ${cut.durationMs} ms, not at the timeout`);
      assert.ok(Date.now() - started < timing.requestTimeoutMs);
      const failureLine = () =>
        parsed(lines).find((l) => l.level === 40 && /^cannot reach Consul at .*; keeping the last good data/.test(l.msg));
      await until(() => failureLine() !== undefined, onLine, "a warning saying the read failed");
      const logged = failureLine();
      assert.match(JSON.stringify(logged), /closed the connection after \d+ of \d+ bytes/);
    });
  }

  for (const answer of [{}, null]) {
    it(`should back off when the check feed answers ${JSON.stringify(answer)}`, async (t) => {
      const consul = await useEmbeddedConsul(t);
      await seedWeb(consul);
      const proxy = await useRewritingProxy(t, consul.url);
      const h = useWatcher(t, proxy);
      await h.model.whenSynced();
      proxy.rewrite = (path) => (path === "/v1/health/state/any" ? answer : undefined);
      consul.store.setCheckStatus("dc1", "n1", "service:web-1", "warning");
      const errors = () => h.requests.filter((r) => r.endpoint === "health-state" && r.outcome === "error");
      await until(() => errors().length >= 4, h.events, "four failed feed reads");
      assert.deepEqual(
        errors().map((r) => r.errorCode),
        ["bad-response", "bad-response", "bad-response", "bad-response"],
      );
      const { baseMs, maxMs } = fastTiming.backoff;
      errors().forEach((r, i) => {
        const ceiling = Math.min(maxMs, baseMs * 2 ** i);
        assert.ok((r.retryInMs ?? 0) >= ceiling / 2, `retry ${i} after ${r.retryInMs} ms, backoff ceiling ${ceiling}`);
      });
      assert.equal(h.watcher.status.error?.endpoint, "health-state");
      proxy.rewrite = undefined;
      await until(() => statuses(h)?.[0] === "web-1:37719:warning", h.events, "the change once the feed is a list again");
    });
  }

  it("should back off when the catalog answers something other than an object", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await seedWeb(consul);
    const proxy = await useRewritingProxy(t, consul.url);
    proxy.rewrite = (path) => (path === "/v1/catalog/services" ? ["web"] : undefined);
    const h = useWatcher(t, proxy);
    const errors = () => h.requests.filter((r) => r.endpoint === "catalog-services" && r.outcome === "error");
    await until(() => errors().length >= 3, h.events, "three failed catalog reads");
    assert.ok(errors().every((r) => r.errorCode === "bad-response"));
    assert.equal(h.watcher.status.synced, false);
    proxy.rewrite = undefined;
    await h.model.whenSynced();
    assert.equal(instancesOf(h.model, "web")?.length, 2);
  });
});
