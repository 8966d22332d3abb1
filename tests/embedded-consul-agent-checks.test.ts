// The embedded catalog runs HTTP, TCP and gRPC checks as a Consul agent does: every Interval (the
// first run after a random stagger), bounded by Timeout, with Consul's Output texts. Time is a
// virtual clock the tests move; the checks themselves hit real local servers.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { describe, it, type TestContext } from "node:test";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { registerHealthService } from "../src/xds/index.js";
import { http as request, type Subscribe, until, useEmbeddedConsul } from "./support/consul-test-support.js";
import { type ManualClock, manualClock } from "./support/manual-clock.js";

type Check = { CheckID: string; Status: string; Output: string; Type: string; Definition: Record<string, unknown> };

/** A catalog whose checks run on `clock`, with no stagger unless `stagger` is given. */
async function useCatalog(t: TestContext, clock: ManualClock, stagger = 0): Promise<EmbeddedConsul> {
  return useEmbeddedConsul(t, { clock, random: () => stagger });
}

async function put(consul: EmbeddedConsul, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return request(consul.url, "PUT", path, body);
}

/** The check as the agent reports it. */
async function agentCheck(consul: EmbeddedConsul, id: string): Promise<Check | undefined> {
  return (await request(consul.url, "GET", "/v1/agent/checks")).json<Record<string, Check>>()[id];
}

/** Waits (blocking queries on the checks table, no sleeps) until check `id` satisfies `done`. */
async function checkBecomes(consul: EmbeddedConsul, id: string, done: (check: Check) => boolean): Promise<Check> {
  let index = 0;
  for (;;) {
    const answer = await request(consul.url, "GET", `/v1/health/state/any?index=${index}&wait=5s`);
    const check = answer.json<Check[]>().find((c) => c.CheckID === id);
    if (check && done(check)) return check;
    const next = Number(answer.headers.get("x-consul-index"));
    assert.ok(next > index, `check ${id} never reached the expected state; now ${JSON.stringify(check)}`);
    index = next;
  }
}

/** An HTTP server answering with `reply()` (status, body), keeping the requests; closed with the test. */
async function useHttpServer(t: TestContext, reply: () => [number, string] | undefined) {
  const seen: http.IncomingMessage[] = [];
  const listeners = new Set<() => void>();
  const arrivals: Subscribe = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const server = http.createServer((req, res) => {
    seen.push(req);
    for (const listener of [...listeners]) listener();
    const answer = reply();
    if (!answer) return; // never answers: a hung backend
    res.writeHead(answer[0], { "content-type": "text/plain" });
    res.end(answer[1]);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`, seen, arrivals };
}

/** Resolves once `clock` has `n` sleeps waiting (the runner parked between runs). */
const parked = (clock: ManualClock, n = 1) => until(() => clock.pending === n, clock.changes, `${n} parked sleep(s)`);

describe("createEmbeddedConsul() agent checks", () => {
  it("should run an HTTP check every Interval: 2xx passes, 429 warns, anything else is critical, with Consul's Output", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock);
    let answer: [number, string] = [200, "ok"];
    const backend = await useHttpServer(t, () => answer);
    const registered = await put(consul, "/v1/agent/service/register", {
      Name: "web",
      Port: 8080,
      Check: { HTTP: backend.url, Interval: "10s", Timeout: "1s" },
    });
    assert.equal(registered.status, 200, registered.text);
    const passing = await checkBecomes(consul, "service:web", (c) => c.Status === "passing");
    assert.equal(passing.Output, `HTTP GET ${backend.url}: 200 OK Output: ok`);
    assert.equal(passing.Type, "http");
    assert.deepEqual(passing.Definition, { Interval: "10s", Timeout: "1s", HTTP: backend.url });
    assert.equal(backend.seen[0]?.headers["user-agent"], "Consul Health Check");
    assert.equal(backend.seen[0]?.headers.accept, "text/plain, text/*, */*");

    await parked(clock);
    answer = [429, "slow down"];
    clock.advance(10_000);
    const warning = await checkBecomes(consul, "service:web", (c) => c.Status === "warning");
    assert.equal(warning.Output, `HTTP GET ${backend.url}: 429 Too Many Requests Output: slow down`);

    await parked(clock);
    answer = [503, "down"];
    clock.advance(10_000);
    const critical = await checkBecomes(consul, "service:web", (c) => c.Status === "critical");
    assert.equal(critical.Output, `HTTP GET ${backend.url}: 503 Service Unavailable Output: down`);
    assert.equal(backend.seen.length, 3, "one request per interval");
  });

  it("should wait a whole Interval between runs, raise an Interval under 1 s to 1 s, and stagger the first run", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock, 0.5);
    const backend = await useHttpServer(t, () => [200, "ok"]);
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 8080, Check: { HTTP: backend.url, Interval: "100ms" } });
    await parked(clock);
    assert.deepEqual(clock.deadlines(), [500], "first run after a stagger of half the (raised) interval");
    clock.advance(500);
    await checkBecomes(consul, "service:web", (c) => c.Status === "passing");
    await parked(clock);
    assert.deepEqual(clock.deadlines(), [1_500], "the next run one second later, not 100 ms");
    clock.advance(999);
    assert.equal(backend.seen.length, 1);
    assert.equal(clock.pending, 1, "still waiting");
  });

  it("should turn a check critical with Go's timeout text when the backend does not answer within Timeout", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock);
    const backend = await useHttpServer(t, () => undefined);
    await put(consul, "/v1/agent/service/register", {
      Name: "web",
      Port: 8080,
      Check: { HTTP: backend.url, Interval: "10s", Timeout: "2s", Status: "passing" },
    });
    await until(() => backend.seen.length === 1, backend.arrivals, "the probe reached the backend");
    assert.deepEqual(clock.deadlines(), [2_000], "only the timeout is waiting");
    clock.advance(2_000);
    const check = await checkBecomes(consul, "service:web", (c) => c.Status === "critical");
    assert.equal(check.Output, `Get "${backend.url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  });

  it("should run TCP checks: a connection that opens passes, a refused one is critical", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock);
    const listener = net.createServer((socket) => socket.destroy());
    listener.listen(0, "127.0.0.1");
    await once(listener, "listening");
    const open = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const closedServer = net.createServer();
    closedServer.listen(0, "127.0.0.1");
    await once(closedServer, "listening");
    const closed = `127.0.0.1:${(closedServer.address() as AddressInfo).port}`;
    closedServer.close();
    t.after(() => listener.close());
    await put(consul, "/v1/agent/service/register", {
      Name: "db",
      Port: 5432,
      Checks: [
        { CheckID: "db-open", TCP: open, Interval: "5s" },
        { CheckID: "db-closed", TCP: closed, Interval: "5s", Status: "passing" },
      ],
    });
    const passing = await checkBecomes(consul, "db-open", (c) => c.Status === "passing");
    assert.deepEqual([passing.Output, passing.Type], [`TCP connect ${open}: Success`, "tcp"]);
    const critical = await checkBecomes(consul, "db-closed", (c) => c.Status === "critical");
    assert.equal(critical.Output, `dial tcp ${closed}: connect: connection refused`);
  });

  it("should run gRPC checks against grpc.health.v1.Health, for the server or one service", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock);
    let serving = true;
    const server = http2.createServer(
      connectNodeAdapter({ routes: (router) => registerHealthService(router, { isReady: () => serving, onChange: () => () => {} }) }),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    t.after(() => server.close());
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    await put(consul, "/v1/agent/service/register", {
      Name: "greeter",
      Port: 9090,
      Checks: [
        { CheckID: "whole", GRPC: address, Interval: "5s" },
        { CheckID: "one", GRPC: `${address}/no.such.Service`, Interval: "5s", Status: "passing" },
      ],
    });
    const whole = await checkBecomes(consul, "whole", (c) => c.Status === "passing");
    assert.deepEqual([whole.Output, whole.Type], [`gRPC check ${address}: success`, "grpc"]);
    const one = await checkBecomes(consul, "one", (c) => c.Status === "critical");
    assert.equal(one.Output, 'rpc error: code = NotFound desc = unknown service "no.such.Service"');
    await parked(clock, 2);
    serving = false;
    clock.advance(5_000);
    const notServing = await checkBecomes(consul, "whole", (c) => c.Status === "critical");
    assert.equal(notServing.Output, `gRPC ${address} serving status: NOT_SERVING`);
  });

  it("should stop running a check once its service is deregistered", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock);
    const backend = await useHttpServer(t, () => [200, "ok"]);
    await put(consul, "/v1/agent/service/register", { Name: "web", Port: 8080, Check: { HTTP: backend.url, Interval: "10s" } });
    await checkBecomes(consul, "service:web", (c) => c.Status === "passing");
    await parked(clock);
    assert.equal((await put(consul, "/v1/agent/service/deregister/web")).status, 200);
    assert.equal(clock.pending, 0, "the check's loop ended");
    clock.advance(60_000);
    assert.equal(backend.seen.length, 1);
  });

  it("should expire a TTL check after its TTL, quoting the last output", async (t) => {
    const clock = manualClock();
    const consul = await useCatalog(t, clock);
    await put(consul, "/v1/agent/service/register", { Name: "job", Port: 1, Check: { TTL: "30s" } });
    assert.equal((await put(consul, "/v1/agent/check/pass/service:job?note=all%20good")).status, 200);
    await parked(clock);
    assert.deepEqual(clock.deadlines(), [30_000]);
    clock.advance(30_000);
    const expired = await checkBecomes(consul, "service:job", (c) => c.Status === "critical");
    assert.equal(expired.Output, "TTL expired (last output before timeout follows): all good");
  });

  it("should refuse invalid check definitions and script checks with Consul's texts", async (t) => {
    const consul = await useCatalog(t, manualClock());
    const cases: Array<[unknown, number, string]> = [
      [{ HTTP: "http://x/", TTL: "5s", Interval: "5s" }, 400, "Invalid check: Interval and TTL cannot both be specified"],
      [{ HTTP: "http://x/" }, 400, "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks"],
      [{ Notes: "no type" }, 400, "Invalid check: TTL must be > 0 for TTL checks"],
      [{ TTL: "soon" }, 400, 'Request decode failed: time: invalid duration "soon"'],
      [{ TTL: "5s", Status: "fine" }, 400, "Status for checks must 'passing', 'warning', 'critical'"],
      [
        { Args: ["/bin/true"], Interval: "5s" },
        500,
        "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true",
      ],
    ];
    for (const [check, status, text] of cases) {
      const answer = await put(consul, "/v1/agent/service/register", { Name: "web", Port: 1, Check: check });
      assert.deepEqual([answer.status, answer.text], [status, text], JSON.stringify(check));
    }
    assert.equal(
      (await put(consul, "/v1/agent/service/register", { Name: "web", Port: 1, Check: {} })).status,
      200,
      "an empty check is ignored",
    );
    assert.equal(await agentCheck(consul, "service:web"), undefined);
  });
});
