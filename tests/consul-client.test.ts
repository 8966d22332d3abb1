import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import type { TLSSocket } from "node:tls";
import { createConsulClient } from "../src/consul/consul-client.js";
import { ConsulError } from "../src/consul/consul-error.js";
import { createTestPki } from "./support/test-pki.js";

interface Seen {
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
}

/** A plain HTTP server on port 0 that records requests and counts concurrent connections. */
async function useServer(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  let current = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  server.on("connection", (socket: Socket) => {
    current += 1;
    peak = Math.max(peak, current);
    socket.once("close", () => (current -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, peak: () => peak };
}

const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(200, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

describe("createConsulClient()", () => {
  it("should send the token only as X-Consul-Token and parse Consul's headers", async (t) => {
    const server = await useServer(t, (_req, res) =>
      json(
        res,
        { Config: { Datacenter: "dc1" } },
        {
          "x-consul-index": "42",
          "x-consul-knownleader": "true",
          "x-consul-lastcontact": "7",
          "x-consul-results-filtered-by-acls": "true",
        },
      ),
    );
    const client = createConsulClient({ address: server.url, token: "tkn-123" });
    t.after(() => client.close());
    const answer = await client.agentSelf({ timeoutMs: 1_000 });
    assert.deepEqual(answer, {
      body: { Config: { Datacenter: "dc1" } },
      index: 42,
      knownLeader: true,
      lastContactMs: 7,
      filteredByAcls: true,
    });
    const [request] = server.seen;
    assert.equal(request?.headers["x-consul-token"], "tkn-123");
    assert.equal(request?.headers.authorization, undefined);
    assert.ok(!request?.url.includes("tkn-123"), request?.url);
  });

  it("should put dc, index, wait, stale and repeated tags in the query, never passing", async (t) => {
    const server = await useServer(t, (_req, res) => json(res, []));
    const client = createConsulClient({ address: server.url });
    t.after(() => client.close());
    await client.healthService("web", { datacenter: "dc2", index: 7, waitMs: 1_500, stale: true, tags: ["a", "b"], timeoutMs: 5_000 });
    await client.catalogServices({ timeoutMs: 1_000 });
    await client.healthState("any", { datacenter: "dc2", index: 0, waitMs: 1_000, timeoutMs: 1_000 });
    const [health, catalog, state] = server.seen.map((s) => new URL(s.url, "http://x"));
    assert.equal(health?.pathname, "/v1/health/service/web");
    assert.deepEqual(
      [
        health?.searchParams.get("dc"),
        health?.searchParams.get("index"),
        health?.searchParams.get("wait"),
        health?.searchParams.has("stale"),
      ],
      ["dc2", "7", "1500ms", true],
    );
    assert.deepEqual(health?.searchParams.getAll("tag"), ["a", "b"]);
    assert.ok(!health?.searchParams.has("passing"));
    assert.equal(catalog?.search, "");
    assert.equal(state?.pathname, "/v1/health/state/any");
    assert.ok(!state?.searchParams.has("index") && !state?.searchParams.has("wait"), "index 0 is a plain read");
  });

  it("should never open more sockets than maxSockets", async (t) => {
    const server = await useServer(t, (_req, res) => setTimeout(() => json(res, []), 30));
    const client = createConsulClient({ address: server.url, maxSockets: 3 });
    t.after(() => client.close());
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.healthService(`s${i}`, { timeoutMs: 5_000 })));
    assert.equal(server.seen.length, 12);
    assert.equal(server.peak(), 3);
  });

  it("should throw classified errors that never contain the token", async (t) => {
    const server = await useServer(t, (req, res) => {
      const status = Number(new URL(req.url ?? "", "http://x").searchParams.get("dc")?.slice(2) ?? 500);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 403 ? `ACL not found for ${String(req.headers["x-consul-token"])}` : "No path to datacenter");
    });
    const client = createConsulClient({ address: server.url, token: "very-secret-token" });
    t.after(() => client.close());
    const denied = await client.catalogServices({ datacenter: "dc403", timeoutMs: 1_000 }).catch((e: unknown) => e);
    assert.ok(denied instanceof ConsulError);
    assert.equal(denied.code, "acl-denied");
    assert.equal(denied.status, 403);
    assert.ok(!denied.message.includes("very-secret-token"), denied.message);
    const unknown = await client.catalogServices({ datacenter: "dc500", timeoutMs: 1_000 }).catch((e: unknown) => e);
    assert.equal((unknown as ConsulError).code, "unknown-datacenter");
  });

  it("should time out and abort requests", async (t) => {
    const server = await useServer(t, () => undefined); // never answers
    const client = createConsulClient({ address: server.url });
    t.after(() => client.close());
    const timedOut = await client.catalogServices({ timeoutMs: 50 }).catch((e: unknown) => e);
    assert.equal((timedOut as ConsulError).code, "timeout");
    const controller = new AbortController();
    const pending = client.catalogServices({ timeoutMs: 10_000, signal: controller.signal }).catch((e: unknown) => e);
    setImmediate(() => controller.abort());
    assert.equal(((await pending) as ConsulError).code, "aborted");
    const refused = createConsulClient({ address: "http://127.0.0.1:1" });
    t.after(() => refused.close());
    assert.equal(((await refused.agentSelf({ timeoutMs: 1_000 }).catch((e: unknown) => e)) as ConsulError).code, "unreachable");
  });

  it("should refuse addresses with credentials or other schemes", () => {
    assert.throws(() => createConsulClient({ address: "http://user:pass@127.0.0.1:8500" }), /credentials/);
    assert.throws(() => createConsulClient({ address: "ftp://127.0.0.1" }), /http/);
    assert.throws(() => createConsulClient({ address: "http://127.0.0.1", maxSockets: 0 }), /maxSockets/);
  });

  it("should speak HTTPS with a CA and a client certificate", async (t) => {
    const pki = await createTestPki();
    const serverPair = await pki.issue("server.dc1.consul");
    const clientPair = await pki.issue("cxb-client");
    const clientNames: string[] = [];
    const server = createHttpsServer(
      { key: serverPair.key, cert: serverPair.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        clientNames.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
        json(res, { Config: { Datacenter: "secure-dc" } }, { "x-consul-index": "3" });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createConsulClient({ address, tls: { ca: pki.ca.cert, cert: clientPair.cert, key: clientPair.key } });
    t.after(() => client.close());
    const answer = await client.agentSelf({ timeoutMs: 5_000 });
    assert.deepEqual(answer.body, { Config: { Datacenter: "secure-dc" } });
    assert.deepEqual(clientNames, ["cxb-client"]);

    const untrusting = createConsulClient({ address, tls: { cert: clientPair.cert, key: clientPair.key } });
    t.after(() => untrusting.close());
    const error = await untrusting.agentSelf({ timeoutMs: 5_000 }).catch((e: unknown) => e);
    assert.equal((error as ConsulError).code, "tls", (error as Error).message);
  });
});
