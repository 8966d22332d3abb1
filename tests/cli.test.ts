// The real `consul-xds-bridge` binary (dist/cli/main.js, built by `npm test`), spawned as users run it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { clusterType } from "../src/snapshot/index.js";
import { type CliProcess, runCli, serveArgs, spawnCli } from "./support/cli-process.js";
import { RawXdsClient } from "./support/raw-xds-client.js";

/** Runs a shell command line as printed for users (the bridge answering it is another process). */
async function runCommand(command: string): Promise<string> {
  return (await promisify(execFile)("sh", ["-c", command], { encoding: "utf8" })).stdout;
}

type LogLine = { msg?: string; xds?: string; admin?: string; class?: string; request?: string; node?: string };

/** An embedded catalog with one passing service, closed when the test ends. */
async function catalogWithWeb(t: { after: (fn: () => Promise<void>) => void }, aclTokens?: string[]): Promise<EmbeddedConsul> {
  const consul = await createEmbeddedConsul({ port: 0, ...(aclTokens ? { aclTokens } : {}) });
  t.after(() => consul.close());
  const register = await fetch(`${consul.url}/v1/agent/service/register`, {
    method: "PUT",
    headers: aclTokens ? { "X-Consul-Token": aclTokens[0]! } : {},
    body: JSON.stringify({ Name: "web", ID: "web-1", Address: "10.0.0.1", Port: 8080, Check: { TTL: "60s", Status: "passing" } }),
  });
  assert.equal(register.status, 200);
  return consul;
}

/** Starts `serve` on free ports against `consulUrl` and returns it with its xDS and admin addresses. */
async function serve(
  t: { after: (fn: () => Promise<void>) => void },
  consulUrl: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  const cli = spawnCli(serveArgs(consulUrl, extra), env);
  t.after(() => cli.stop());
  const started = await cli.waitForLine<LogLine>((line) => line.msg === "consul-xds-bridge started");
  return { cli, xds: `http://${started.xds}`, admin: `http://${started.admin}` };
}

describe("consul-xds-bridge (the command)", () => {
  it("should print help with examples for every command, and its version", async () => {
    const top = await runCli(["--help"]);
    assert.equal(top.code, 0);
    for (const command of ["serve", "dev", "status"]) assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
    for (const command of ["serve", "dev", "status"]) {
      const help = await runCli([command, "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Examples:/, `${command} --help has examples`);
    }
    const serveHelp = (await runCli(["serve", "--help"])).stdout;
    for (const flag of [
      "--consul",
      "--datacenter",
      "--prefix",
      "--tag",
      "--token-file",
      "--xds-listen",
      "--admin-listen",
      "--health-policy",
      "--debounce",
      "--log-level",
      "--tls-client-ca",
      "--no-config-entries",
      "--downstream-service",
    ]) {
      assert.ok(serveHelp.includes(flag), `serve --help lists ${flag}`);
    }
    assert.match(serveHelp, /CONSUL_HTTP_TOKEN/);
    const version = await runCli(["--version"]);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it("should refuse bad values with one line naming the flag and what it accepts", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["serve", "--xds-listen", "nowhere"], /--xds-listen.*expected host:port/],
      [["serve", "--admin-listen", "1.2.3.4:99999"], /--admin-listen.*expected host:port/],
      [["serve", "--health-policy", "sometimes"], /--health-policy.*passing, passing-or-warning/],
      [["serve", "--debounce", "soon"], /--debounce.*expected a duration/],
      [["serve", "--debounce", "5"], /--debounce.*5 has no unit \(did you mean 5ms or 5s\?\)/],
      [["serve", "--shutdown-grace", "10"], /--shutdown-grace.*10 has no unit \(did you mean 10ms or 10s\?\)/],
      [["dev", "--readiness-max-staleness", "-1s"], /--readiness-max-staleness.*0 or more/],
      [["serve", "--log-level", "loud"], /--log-level.*trace, debug, info/],
      [["serve", "--failover-datacenters", ",,"], /--failover-datacenters.*datacenter names/],
      [["serve", "--max-streams", "-3"], /--max-streams.*whole number/],
      [["serve", "--consul", "ftp://consul:21"], /http:\/\/ or https:\/\//],
      [["serve", "--tls-cert", "/nonexistent/cert.pem"], /--tls-cert needs --tls-key/],
      [["serve", "--token-file", "/nonexistent/token"], /cannot read --token-file \/nonexistent\/token: ENOENT/],
      [["status", "--admin", "ftp://localhost:19000"], /--admin.*expected host:port or an http:\/\/ URL/],
      [["serve", "--vanished-service-grace", "5"], /--vanished-service-grace.*5 has no unit \(did you mean 5ms or 5s\?\)/],
      [["serve", "--max-withdrawal", "101"], /--max-withdrawal.*whole number from 0 to 100/],
      [["dev", "--withdrawal-hold", "0"], /--withdrawal-hold needs a duration above 0/],
      [["serve", "--withdrawal-hold", "600h"], /--withdrawal-hold must be at most 480h/],
      [["serve", "--vanished-service-grace", "600h"], /--vanished-service-grace must be at most 480h/],
    ];
    for (const [args, expected] of cases) {
      const result = await runCli(args);
      assert.notEqual(result.code, 0, `${args.join(" ")} must fail`);
      const firstLine = result.stderr.trim().split("\n")[0]!;
      assert.match(firstLine, expected, `${args.join(" ")} → ${result.stderr}`);
      assert.equal(result.stdout, "", "nothing on stdout");
    }
  });

  it("should serve against a Consul catalog and become ready after the initial sync", async (t) => {
    const consul = await catalogWithWeb(t);
    const { cli, admin } = await serve(t, consul.url);
    await cli.waitForLine<LogLine>((line) => line.msg === "initial sync with Consul complete");
    const ready = await fetch(`${admin}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), "ready\n");
    assert.equal((await fetch(`${admin}/healthz`)).status, 200);
    // Ready, no clients: status exits 0, and takes the admin address as host:port like --consul.
    const status = await runCli(["status", "--admin", admin.replace(/^http:\/\//, "")]);
    assert.equal(status.code, 0, `${status.stdout}${status.stderr}`);
    assert.match(status.stdout, /Consul: synced, ready/);
  });

  it("should read config entries unless --no-config-entries, and say so in status", async (t) => {
    const consul = await catalogWithWeb(t);
    const write = await fetch(`${consul.url}/v1/config`, {
      method: "PUT",
      body: JSON.stringify({ Kind: "service-resolver", Name: "web", ConnectTimeout: "2s" }),
    });
    assert.equal(await write.text(), "true");
    for (const off of [false, true]) {
      const { cli, admin } = await serve(t, consul.url, off ? ["--no-config-entries"] : []);
      await cli.waitForLine<LogLine>((line) => line.msg === "initial sync with Consul complete");
      const status = await runCli(["status", "--admin", admin]);
      assert.equal(status.code, 0, `${status.stdout}${status.stderr}`);
      if (off) assert.doesNotMatch(status.stdout, /Config entries/, "nothing is read");
      else assert.match(status.stdout, /^Config entries: on, 1 held$/m);
      await cli.stop();
    }
  });

  it("should exit 3 from status while the bridge is not ready, saying why", async (t) => {
    const { admin } = await serve(t, "http://127.0.0.1:9");
    const status = await runCli(["status", "--admin", admin.replace(/^http:\/\//, "")]);
    assert.equal(status.code, 3, `${status.stdout}${status.stderr}`);
    assert.match(status.stdout, /NOT READY \(initial sync with Consul not complete\)/);
    assert.match(status.stderr, /status 3: the bridge is not ready: initial sync with Consul not complete/);
    const help = await runCli(["status", "--help"]);
    for (const code of ["0", "1", "2", "3", "4"])
      assert.match(help.stdout, new RegExp(`^  ${code}  \\S`, "m"), `--help documents exit status ${code}`);
  });

  it("should report clients in status, exit 1 while one NACKs, and exit 0 on SIGTERM with clients connected", async (t) => {
    const consul = await catalogWithWeb(t);
    const { cli, xds, admin } = await serve(t, consul.url, ["--log-level", "debug"]);
    const good = RawXdsClient.open({ baseUrl: xds, node: { id: "good-node", cluster: "edge" } });
    const bad = RawXdsClient.open({ baseUrl: xds, node: { id: "nacking-node", cluster: "edge" } });
    t.after(() => Promise.all([good.close(), bad.close()]).then(() => undefined));
    good.subscribe(clusterType);
    bad.subscribe(clusterType);
    good.ack(await good.next());
    bad.nack(await bad.next(), "cluster web: rejected by the test");
    await cli.waitForLine<LogLine>((line) => line.msg === "client rejected configuration (NACK)");
    await cli.waitForLine<LogLine>((line) => line.msg === "xDS request" && line.request === "ack" && line.node === "good-node");

    const status = await runCli(["status", "--admin", admin]);
    assert.equal(status.code, 1, `a NACKing client makes status exit 1\n${status.stdout}${status.stderr}`);
    assert.match(status.stdout, /good-node\s+edge\s+envoy\s+\S+\s+ADS\s+SYNCED [0-9a-f]{8}/);
    assert.match(status.stdout, /nacking-node\s+edge\s+envoy\s+\S+\s+ADS\s+NACKED [0-9a-f]{8}/);
    assert.match(status.stdout, /nacking-node CDS rejected [0-9a-f]+: cluster web: rejected by the test/);
    assert.match(status.stdout, /Consul: synced, ready/);
    const json = await runCli(["status", "--admin", admin, "--json"]);
    const parsed = JSON.parse(json.stdout) as { clients: { clients: Array<{ nodeId: string }> } };
    assert.deepEqual(parsed.clients.clients.map((c) => c.nodeId).sort(), ["good-node", "nacking-node"]);

    cli.child.kill("SIGTERM");
    assert.equal(await cli.exited, 0);
    assert.deepEqual(await Promise.all([good.ended, bad.ended]), [undefined, undefined], "streams end with status OK");
    await cli.waitForLine<LogLine>((line) => line.msg === "stopped");
  });

  it("should exit 4 from status while a mass withdrawal is held, and 0 once the curl it prints confirms it", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    for (const [node, services] of [
      ["n1", ["a", "b", "c"]],
      ["n2", ["a", "b", "c"]],
      ["n3", ["d"]],
    ] as const) {
      for (const service of services) {
        const id = `${service}-${node}`;
        const answer = await fetch(`${consul.url}/v1/catalog/register`, {
          method: "PUT",
          body: JSON.stringify({ Node: node, Address: "10.0.0.1", Service: { ID: id, Service: service, Port: 8080 } }),
        });
        assert.equal(answer.status, 200);
      }
    }
    const { cli, admin } = await serve(t, consul.url);
    await cli.waitForLine<LogLine>((line) => line.msg === "initial sync with Consul complete");
    for (const node of ["n1", "n2"]) {
      await fetch(`${consul.url}/v1/catalog/deregister`, { method: "PUT", body: JSON.stringify({ Node: node }) });
    }
    await cli.waitForLine<LogLine>((line) => line.msg?.startsWith("holding a mass withdrawal") === true);

    const held = await runCli(["status", "--admin", admin]);
    assert.equal(held.code, 4, `${held.stdout}${held.stderr}`);
    assert.match(held.stdout, /^WITHDRAWAL HELD \(hold 1\): Consul's answers would withdraw 6 of 7 endpoints \(86 %\)/m);
    assert.match(held.stdout, /^ {2}services: a, b, c$/m);
    assert.match(held.stderr, /status 4: a mass withdrawal is held/);
    const curl = held.stdout.split("\n").find((line) => line.trim().startsWith("curl "));
    assert.ok(curl, held.stdout);
    const confirmed = await runCommand(`${curl.trim()} -o /dev/null -w '%{http_code}'`);
    assert.equal(confirmed, "200");
    await cli.waitForLine<LogLine>((line) => line.msg?.includes("confirmed by an operator") === true);
    const after = await runCli(["status", "--admin", admin]);
    assert.equal(after.code, 0, `${after.stdout}${after.stderr}`);
  });

  it("should exit 2 from status when the admin API cannot be reached", async () => {
    const result = await runCli(["status", "--admin", "http://127.0.0.1:9"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot reach the admin API at http:\/\/127\.0\.0\.1:9/);
  });

  it("should never show the ACL token in logs or error output", async (t) => {
    const token = "s3cr3t-0f-the-bridge-7d1e";
    const consul = await catalogWithWeb(t, ["the-right-token"]);
    const fromEnv = await serve(t, consul.url, ["--log-level", "trace"], { CONSUL_HTTP_TOKEN: token });
    // The wrong token is sent and refused: proof it was used, and the failure is logged.
    await fromEnv.cli.waitForLine<LogLine>((line) => line.msg === "Consul requests failing" && line.class === "acl-denied");

    const dir = mkdtempSync(join(tmpdir(), "cxb-token-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "token"), `${token}\n`);
    const fromFile = await serve(t, "http://127.0.0.1:9", ["--token-file", join(dir, "token"), "--log-level", "trace"]);
    await fromFile.cli.waitForLine<LogLine>((line) => line.msg === "Consul requests failing" && line.class === "unreachable");

    for (const cli of [fromEnv.cli, fromFile.cli] as CliProcess[]) {
      cli.child.kill("SIGTERM");
      await cli.exited;
      assert.ok(!cli.stdout().includes(token), "the token is not in the logs");
      assert.ok(!cli.stderr().includes(token), "the token is not in error output");
      assert.ok(!cli.stdout().includes(token.slice(0, 12)), "not even part of it");
    }
  });
});
