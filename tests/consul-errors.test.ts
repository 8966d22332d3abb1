// Consul failures as the operator reads them: what failed, whether anything is served meanwhile, and
// when the next attempt comes, at a rate that follows the backoff; a scheme that does not match what
// Consul speaks; a --datacenter Consul does not know.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Socket } from "node:net";
import { Writable } from "node:stream";
import { describe, it, type TestContext } from "node:test";
import { pino } from "pino";
import { createBackoff } from "../src/consul/backoff.js";
import { ConsulError, type ConsulErrorCode } from "../src/consul/consul-error.js";
import { FailureLog, formatDelay } from "../src/consul/failure-log.js";
import { captureLogger, until, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";

type Line = { level: number; msg: string; code?: string; endpoint?: string; retryInMs?: number; vt?: number };

/** A TCP port that refuses connections (listened on, then closed). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A raw TCP server answering every connection with `answer`, then closing it. */
async function useRawServer(t: TestContext, answer: string): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once("data", () => socket.end(answer));
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const warnings = (lines: () => string[]) =>
  lines()
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.level === 40);

describe("the watcher's failure lines", () => {
  it("should say it cannot reach Consul, that there is no data yet, and when it retries", async (t) => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const { logger, lines, onLine } = captureLogger("info");
    const h = useWatcher(t, { url: address }, { logger });
    await until(() => warnings(lines).some((l) => l.code === "unreachable"), onLine, "a failure line");
    const line = warnings(lines).find((l) => l.code === "unreachable");
    assert.ok(line, lines().join("\n"));
    const first = h.requests.find((r) => r.outcome === "error");
    assert.equal(line.msg, `cannot reach Consul at ${address} (no data yet), retrying in ${formatDelay(first?.retryInMs ?? 0)}`);
    assert.match(line.msg, /retrying in \d+(\.\d)? (ms|s)$/);
  });

  it("should say it keeps the last good data once it has some", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.store.seed("dc1", [{ name: "web", instances: [{ port: 80 }] }]);
    const { logger, lines, onLine } = captureLogger("info");
    const h = useWatcher(t, consul, { logger });
    await h.model.whenSynced();
    await consul.stop();
    await until(() => warnings(lines).some((l) => l.code === "unreachable"), onLine, "a failure line");
    const line = warnings(lines).find((l) => l.code === "unreachable");
    assert.match(line?.msg ?? "", new RegExp(`^cannot reach Consul at ${consul.url}; keeping the last good data, retrying in \\d`));
  });

  it("should say Consul answered plain HTTP on an https:// address", async (t) => {
    const consul = await useEmbeddedConsul(t);
    const address = consul.url.replace(/^http:/, "https:");
    const { logger, lines, onLine } = captureLogger("info");
    const h = useWatcher(t, { url: address }, { logger });
    await until(() => h.watcher.status.error !== null, h.events, "a failure");
    assert.equal(h.watcher.status.error?.code, "tls");
    assert.match(h.watcher.status.error?.message ?? "", /^Consul answered plain HTTP on an https:\/\/ address/);
    await until(
      () =>
        warnings(lines).some((l) => l.msg.includes(`Consul at ${address}`) && l.msg.includes("answered plain HTTP on an https:// address")),
      onLine,
      "the failure line",
    );
  });

  it("should say Consul answered as an HTTPS server when the address is http://", async (t) => {
    // What Go's HTTPS server (Consul's) sends back to a plain HTTP request.
    const address = await useRawServer(t, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
    const h = useWatcher(t, { url: address });
    await until(() => h.watcher.status.error !== null, h.events, "a failure");
    assert.equal(h.watcher.status.error?.code, "tls");
    assert.match(h.watcher.status.error?.message ?? "", /answered an http:\/\/ request as an HTTPS server \(use https:\/\/\)/);
  });
});

describe("FailureLog", () => {
  /** A log on a clock the test moves, keeping each line with the clock's time. */
  function useLog(hasData: boolean) {
    const lines: Line[] = [];
    const time = { now: 0 };
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString().split("\n").filter(Boolean)) lines.push({ ...(JSON.parse(text) as Line), vt: time.now });
        done();
      },
    });
    const clock = { now: () => time.now, sleep: async () => undefined };
    const log = new FailureLog({ address: "http://consul:8500", logger: pino({ level: "warn" }, stream), clock, hasData: () => hasData });
    const fail = (code: ConsulErrorCode, retryInMs: number, endpoint: "catalog-services" | "health-state" = "health-state") =>
      log.failed({ endpoint, datacenter: "dc1", error: new ConsulError(code, "ECONNREFUSED"), retryInMs });
    return { log, lines, time, fail };
  }

  it("should log failing rounds at the rate of the backoff: never silent, never a flood", () => {
    const { lines, time, fail } = useLog(true);
    // Two loops failing through a 30-minute outage, each with its own jittered backoff, in time order.
    const loops = (["catalog-services", "health-state"] as const).map((endpoint, i) => ({
      endpoint,
      backoff: createBackoff({ baseMs: 1_000, maxMs: 60_000, random: () => 0.3 + 0.4 * i }),
      at: 0,
    }));
    let failures = 0;
    for (;;) {
      const next = loops.reduce((a, b) => (b.at < a.at ? b : a));
      if (next.at > 30 * 60_000) break;
      time.now = next.at;
      const retryInMs = next.backoff.next();
      fail("unreachable", retryInMs, next.endpoint);
      failures += 1;
      next.at = time.now + retryInMs;
    }
    assert.ok(lines.length < failures * 0.6, `${lines.length} lines for ${failures} failures of two loops: a line per round, not per read`);
    assert.ok(lines.length >= 30, `${lines.length} lines in 30 minutes: about one a minute at the longest backoff`);
    assert.equal(lines[0]?.vt, 0, "the first failure is logged at once");
    for (let i = 1; i < lines.length; i++) {
      const gap = (lines[i]!.vt ?? 0) - (lines[i - 1]!.vt ?? 0);
      assert.ok(gap >= (lines[i - 1]!.retryInMs ?? 0) - 1, `line ${i} came ${gap} ms after one announcing ${lines[i - 1]!.retryInMs} ms`);
      assert.ok(gap <= 2 * 60_000, `line ${i} came ${gap} ms after the previous one: too long a silence`);
    }
    assert.match(lines[0]?.msg ?? "", /^cannot reach Consul at http:\/\/consul:8500; keeping the last good data, retrying in \d/);
  });

  it("should log at once when the kind of failure changes, and after a recovery", () => {
    const { log, lines, fail } = useLog(false);
    fail("unreachable", 60_000);
    fail("unreachable", 60_000);
    assert.equal(lines.length, 1, "the same failure within its announced delay is not repeated");
    fail("acl-denied", 60_000);
    assert.equal(lines.length, 2, "another kind of failure is logged at once");
    log.recovered();
    fail("acl-denied", 60_000);
    assert.equal(lines.length, 3, "a new outage is logged at once");
    assert.equal(lines[1]?.msg, "Consul at http://consul:8500 refused the ACL token (no data yet), retrying in 1 min");
  });

  it("should write delays with their unit", () => {
    assert.deepEqual([250, 999.6, 1_000, 3_740, 12_345, 60_000, 90_000].map(formatDelay), [
      "250 ms",
      "1000 ms",
      "1 s",
      "3.7 s",
      "12 s",
      "1 min",
      "1.5 min",
    ]);
  });
});

describe("the watcher with a --datacenter Consul does not know", () => {
  it("should stop for good, naming the datacenters Consul knows", async (t) => {
    const consul = await useEmbeddedConsul(t, { datacenters: ["dc1", "dc2"] });
    const h = useWatcher(t, consul, { datacenter: "nope" });
    await until(() => h.watcher.status.fatal !== null, h.events, "fatal");
    assert.equal(
      h.watcher.status.fatal?.message,
      `Consul at ${consul.url} does not know datacenter "nope" (--datacenter); it knows: dc1, dc2`,
    );
    const count = h.requests.length;
    await h.watcher.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(h.requests.length, count, "no read after stopping");
    assert.equal(consul.requestCount("/v1/catalog/datacenters"), 1);
  });

  it("should keep retrying while Consul cannot be reached", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await consul.stop();
    const h = useWatcher(t, consul, { datacenter: "nope" });
    await until(() => h.requests.filter((r) => r.outcome === "error").length >= 6, h.events, "six failed reads");
    assert.equal(h.watcher.status.fatal, null);
    await consul.start();
    const fatal = () => h.watcher.status.fatal;
    await until(() => fatal() !== null, h.events, "fatal once Consul answers");
    assert.match(fatal()?.message ?? "", /it knows: dc1$/);
  });

  it("should keep retrying a datacenter Consul knows but has no path to now", async (t) => {
    const consul = await useEmbeddedConsul(t);
    consul.faults.inject({ kind: "status", status: 500, body: "No path to datacenter" }, { path: "/v1/catalog/services", count: 4 });
    const h = useWatcher(t, consul, { datacenter: "dc1" });
    consul.store.seed("dc1", [{ name: "web", instances: [{ port: 80 }] }]);
    await h.model.whenSynced();
    assert.equal(h.watcher.status.fatal, null);
    assert.ok(consul.requestCount("/v1/catalog/datacenters") >= 1, "Consul was asked which datacenters it knows");
  });
});
