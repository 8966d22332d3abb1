// examples/greeter-client.ts (the proxyless client of docker compose) against `consul-xds-bridge dev`:
// grpc-js + grpc-js-xds resolve xds:///greeter through the bridge and call the demo greeter.
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { describe, it } from "node:test";
import { devArgs, spawnCli } from "./support/cli-process.js";
import { spawnGreeterExample } from "./support/greeter-example.js";

type StartedLine = { msg?: string; xds?: string };

/** Starts `dev` (embedded Consul, demo services, bridge) on free ports; returns its xDS address. */
async function startDev(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dev = spawnCli(devArgs());
  t.after(() => dev.stop());
  const started = await dev.waitForLine<StartedLine>((line) => line.msg === "consul-xds-bridge started");
  assert.ok(started.xds, "dev logs its xDS address");
  return started.xds;
}

/** A local port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

const summary = /^(\d+)\/(\d+) calls succeeded; by instance: (\{.*\})$/;

describe("examples/greeter-client.ts against dev mode, and without a ready bridge", () => {
  it("should make every call through xds:///greeter, answered by greeter v1 or v2 (dev splits them 90/10), and exit 0", async (t) => {
    const xds = await startDev(t);
    const example = spawnGreeterExample({ XDS_SERVER: xds, COUNT: "5" });
    t.after(() => example.stop());
    const code = await example.exited;
    assert.equal(code, 0, `exit status 0; ${example.stdout()}\n${example.stderr()}`);
    const last = summary.exec(example.stdout().trim().split("\n").at(-1) ?? "");
    assert.ok(last, `a summary line; got:\n${example.stdout()}`);
    assert.equal(last[1], "5");
    const byInstance = JSON.parse(last[3]!) as Record<string, number>;
    assert.deepEqual(
      Object.keys(byInstance).filter((id) => id !== "greeter-v1" && id !== "greeter-v2"),
      [],
    );
    assert.equal(
      Object.values(byInstance).reduce((a, b) => a + b, 0),
      5,
    );
    assert.match(example.stdout(), /xds:\/\/\/greeter #1: hello call 1 \(from greeter-v[12]\)/);
  });

  it("should keep calling in loop mode (INTERVAL_MS) and stop cleanly on SIGTERM, as in docker compose", async (t) => {
    const xds = await startDev(t);
    const example = spawnGreeterExample({ XDS_SERVER: xds, COUNT: "2", INTERVAL_MS: "50" });
    t.after(() => example.stop());
    let rounds = 0;
    await example.waitForLine((line) => summary.test(line) && ++rounds === 2);
    const summaries = example
      .stdout()
      .split("\n")
      .filter((line) => summary.test(line))
      .slice(0, 2)
      .map((line) => summary.exec(line)!);
    assert.deepEqual(
      summaries.map((m) => m[1]),
      ["2", "2"],
      "every call of both rounds succeeded",
    );
    example.child.kill("SIGTERM");
    assert.equal(await example.exited, 0, "SIGTERM ends the loop with status 0");
  });

  it("should say there is no xDS server when nothing answers at XDS_SERVER, and exit 1", async (t) => {
    const port = await closedPort();
    const example = spawnGreeterExample({ XDS_SERVER: `127.0.0.1:${port}`, COUNT: "1", WAIT_MS: "1000" });
    t.after(() => example.stop());
    assert.equal(await example.exited, 1, example.stderr());
    assert.match(example.stderr(), new RegExp(`no xDS server at 127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(example.stderr(), /DEADLINE_EXCEEDED/);
  });

  it("should say the bridge is not ready yet while its initial Consul sync is not done, and exit 1", async (t) => {
    // A bridge whose Consul never answers: it serves xDS but never syncs.
    const bridge = spawnCli([
      "serve",
      "--consul",
      "http://127.0.0.1:9",
      "--xds-listen",
      "127.0.0.1:0",
      "--no-admin",
      "--log-format",
      "json",
    ]);
    t.after(() => bridge.stop());
    const started = await bridge.waitForLine<StartedLine>((line) => line.msg === "consul-xds-bridge started");
    const example = spawnGreeterExample({ XDS_SERVER: started.xds!, COUNT: "1", WAIT_MS: "1000" });
    t.after(() => example.stop());
    assert.equal(await example.exited, 1, example.stderr());
    assert.match(
      example.stderr(),
      new RegExp(`the bridge at ${started.xds!.replaceAll(".", "\\.")} is not ready yet \\(initial Consul sync\\)`),
    );
    assert.doesNotMatch(example.stderr(), /DEADLINE_EXCEEDED/);
  });
});
