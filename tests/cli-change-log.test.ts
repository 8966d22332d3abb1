// What an operator sees in `serve`'s log (the real binary, at the default level info) when Consul
// moves traffic: a failed check, and a TTL check that nobody refreshes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { serveArgs, spawnCli } from "./support/cli-process.js";

type LogLine = { msg?: string; level?: number; component?: string; change?: string; instance?: string; why?: string };

async function put(consul: EmbeddedConsul, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${consul.url}${path}`, { method: "PUT", body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(response.status, 200, `${path}: ${await response.text()}`);
}

async function serve(t: { after: (fn: () => Promise<void>) => void }, consul: EmbeddedConsul) {
  const cli = spawnCli(serveArgs(consul.url, [], { debounce: false }));
  t.after(() => cli.stop());
  await cli.waitForLine<LogLine>((line) => line.component === "changes" && /^serving /.test(line.msg ?? ""));
  return cli;
}

describe("serve's change log", () => {
  it("should log a failed check at info: the instance, why, what web serves now, and who got a new version", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    for (const [id, address] of [
      ["web-1", "10.0.0.1"],
      ["web-2", "10.0.0.2"],
    ]) {
      await put(consul, "/v1/agent/service/register", {
        ID: id,
        Name: "web",
        Address: address,
        Port: 8080,
        Check: { TTL: "10m", Status: "passing" },
      });
    }
    const cli = await serve(t, consul);
    await put(consul, "/v1/agent/check/fail/service:web-1");
    const line = await cli.waitForLine<LogLine>((l) => l.component === "changes" && l.change === "critical");
    assert.equal(line.level, 30, "info");
    assert.equal(line.instance, "web-1");
    assert.match(
      line.msg!,
      /^web-1 of web: passing → critical \(.*\), out of rotation; web now serves 1 endpoint: 10\.0\.0\.2:8080; new EDS [0-9a-f]{8} for envoy, grpc \[Consul index dc1=\d+, answered \d\d:\d\d:\d\d\.\d{3}Z\]$/,
    );
    await put(consul, "/v1/agent/check/pass/service:web-1");
    const back = await cli.waitForLine<LogLine>((l) => l.component === "changes" && l.change === "passing");
    assert.match(
      back.msg!,
      /^web-1 of web: critical → passing, back in rotation; web now serves 2 endpoints: 10\.0\.0\.1:8080, 10\.0\.0\.2:8080/,
    );
  });

  it("should log a TTL check that expires as critical with Consul's output, TTL expired", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    const cli = await serve(t, consul);
    // The README's registration (with a short TTL), made once the bridge runs, so the TTL runs out
    // after the bridge has seen the instance passing, however slow the machine is.
    await put(consul, "/v1/agent/service/register", {
      Name: "api",
      Address: "127.0.0.1",
      Port: 8080,
      Check: { TTL: "2s", Status: "passing" },
    });
    const added = await cli.waitForLine<LogLine>((l) => l.component === "changes" && l.change === "new");
    assert.match(added.msg!, /^api of api: new, passing, in rotation; api now serves 1 endpoint: 127\.0\.0\.1:8080/);
    // Nobody passes the check again: Consul marks it critical when the TTL runs out.
    const line = await cli.waitForLine<LogLine>((l) => l.component === "changes" && l.change === "critical", 20_000);
    assert.equal(line.why, "service:api: TTL expired");
    assert.match(
      line.msg!,
      /^api of api: passing → critical \(service:api: TTL expired\), out of rotation; api now serves no endpoint; new EDS [0-9a-f]{8} for envoy, grpc \[Consul index dc1=\d+, answered \d\d:\d\d:\d\d\.\d{3}Z\]$/,
    );
  });
});
