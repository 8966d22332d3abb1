// The health checks of docker compose, run for real against the processes the containers run: the
// `node -e` probes in docker-compose.yml, and the gRPC health service Consul's GRPC check calls.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../src/gen/grpc/health/v1/health_pb.js";
import { type CliProcess, devArgs, spawnCli } from "./support/cli-process.js";
import { type ComposeFile, type ComposeService, commandArgs, loadComposeFile } from "./support/compose-file.js";

// Loaded in `before`, not at module scope: a broken compose file fails the tests with its message.
let compose!: ComposeFile;
before(() => {
  compose = loadComposeFile();
});

/** The compose service running `demo-backend --id <id>`. */
function demoService(id: string): ComposeService {
  const found = Object.values(compose.services).find((service) => {
    const args = Array.isArray(service.command) ? service.command : [];
    return args[0] === "demo-backend" && args[args.indexOf("--id") + 1] === id;
  });
  assert.ok(found, `a demo-backend container with --id ${id}`);
  return found;
}

/** The `node -e` script of a service's health check. */
function nodeProbe(service: ComposeService): string {
  const test = service.healthcheck?.test;
  assert.ok(
    Array.isArray(test) && test[0] === "CMD" && test[1] === "node" && test[2] === "-e",
    `a node -e health check: ${JSON.stringify(test)}`,
  );
  return test[3]!;
}

/** Runs a health check script with this Node (the image's runtime); resolves with its exit code. */
async function runProbe(script: string): Promise<number> {
  const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
  const [code] = (await once(child, "exit")) as [number | null];
  return code ?? -1;
}

/** Starts `demo-backend` as the compose service does, on a free loopback port; returns the process and port. */
async function startDemo(
  t: { after: (fn: () => Promise<void>) => void },
  service: ComposeService,
): Promise<{ cli: CliProcess; port: number }> {
  const args = commandArgs(service).map((arg) => (/^0\.0\.0\.0:\d+$/.test(arg) ? "127.0.0.1:0" : arg));
  const cli = spawnCli(args);
  t.after(() => cli.stop());
  const line = await cli.waitForLine<{ msg?: string; listen?: string }>((entry) => entry.msg === "demo backend listening");
  return { cli, port: Number(line.listen!.split(":").at(-1)) };
}

/** The port a compose service's demo-backend listens on in its container. */
function listenPort(service: ComposeService): string {
  const args = commandArgs(service);
  return args[args.indexOf("--listen") + 1]!.split(":").at(-1)!;
}

describe("docker compose health checks, run against the real processes", () => {
  it("should pass web-1's probe while the HTTP demo runs, and fail it once it stops", async (t) => {
    const web = demoService("web-1");
    const { cli, port } = await startDemo(t, web);
    const probe = nodeProbe(web).replaceAll(`:${listenPort(web)}`, `:${port}`);
    assert.notEqual(probe, nodeProbe(web), "the probe names the --listen port");
    assert.equal(await runProbe(probe), 0);
    await cli.stop();
    assert.notEqual(await runProbe(probe), 0);
  });

  it("should pass greeter-1's probe, and serve grpc.health.v1.Health SERVING as Consul's GRPC check asks", async (t) => {
    const greeter = demoService("greeter-1");
    const { cli, port } = await startDemo(t, greeter);
    const probe = nodeProbe(greeter).replaceAll(listenPort(greeter), String(port));
    assert.equal(await runProbe(probe), 0);
    // Consul's GRPC check: plaintext HTTP/2, grpc.health.v1.Health/Check for service "" (the whole server).
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const answer = await health.check({ service: "" });
    assert.equal(answer.status, HealthCheckResponse_ServingStatus.SERVING);
    await cli.stop();
    assert.notEqual(await runProbe(probe), 0);
  });

  it("should pass the bridge's /readyz probe once the bridge has synced", async (t) => {
    const bridge = Object.values(compose.services).find((service) => Array.isArray(service.command) && service.command[0] === "serve")!;
    const args = commandArgs(bridge);
    const adminPort = args[args.indexOf("--admin-listen") + 1]!.split(":").at(-1)!;
    // dev has the same admin port as serve, with an embedded catalog standing in for Consul.
    const dev = spawnCli(devArgs());
    t.after(() => dev.stop());
    const started = await dev.waitForLine<{ msg?: string; admin?: string }>((line) => line.msg === "consul-xds-bridge started");
    const port = started.admin!.split(":").at(-1)!;
    const probe = nodeProbe(bridge).replaceAll(`:${adminPort}/`, `:${port}/`);
    assert.notEqual(probe, nodeProbe(bridge), "the probe names the --admin-listen port");
    await dev.waitForLine<{ msg?: string }>((line) => line.msg === "initial sync with Consul complete");
    assert.equal(await runProbe(probe), 0);
    await dev.stop();
    assert.notEqual(await runProbe(probe), 0);
  });
});
