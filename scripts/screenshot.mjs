#!/usr/bin/env node
// Takes the README's screenshot of the status page (docs/images/status-page.png): runs
// `consul-xds-bridge dev` from dist/ (npm run screenshot builds first), two proxyless gRPC clients
// (the greeter example, one of them resolving xds:///web), a few check changes through the
// embedded Consul API, then opens /ui in Debian's Chromium (apt-get install -y chromium).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const output = join(root, "docs/images/status-page.png");
const children = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns a process and resolves with the first JSON stdout line `match` accepts. */
function start(args, env, match) {
  // The clients' failed calls to web (an HTTP service) are expected: keep their output out of the way.
  const stderr = match ? "inherit" : "ignore";
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", stderr] });
  children.push(child);
  if (!match) {
    child.stdout.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line);
        if (match(parsed)) resolve(parsed);
      } catch {
        // The banner and other plain lines.
      }
    });
  });
}

async function put(consul, path, body) {
  const response = await fetch(`${consul}${path}`, { method: "PUT", body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

const profile = mkdtempSync(join(tmpdir(), "cxb-screenshot-"));
try {
  const devArgs = [
    "dist/cli/main.js",
    "dev",
    "--consul-listen",
    "127.0.0.1:0",
    "--xds-listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
  ];
  const started = await start([...devArgs, "--log-format", "json"], {}, (line) => line.msg === "consul-xds-bridge started");
  const { consul, xds } = started;
  const admin = `http://${started.admin}`;
  await sleep(1_000);
  const example = ["--import", "tsx", "examples/greeter-client.ts"];
  await start(example, { XDS_SERVER: xds, COUNT: "2", INTERVAL_MS: "500" });
  await start(example, { XDS_SERVER: xds, TARGET: "xds:///web", COUNT: "1", INTERVAL_MS: "1000" });
  await sleep(3_000);
  await put(consul, "/v1/agent/service/register", { Name: "api", Address: "127.0.0.1", Port: 8080 });
  await sleep(800);
  await put(consul, "/v1/agent/check/fail/service:web-2?note=HTTP%20GET%20http%3A%2F%2F127.0.0.1%2Fhealthz%3A%20503");
  await sleep(800);
  await put(consul, "/v1/agent/check/pass/service:web-2");
  await sleep(800);
  await put(consul, "/v1/agent/service/maintenance/web-1?enable=true&reason=deploying%20v2");
  await sleep(1_500);

  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 760 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  await page.goto(`${admin}/ui`);
  await page.waitForSelector('#live[data-live="true"]');
  await page.waitForSelector('#changes li[data-instance="web-1"][data-kind="maintenance"]');
  mkdirSync(join(root, "docs/images"), { recursive: true });
  await page.screenshot({ path: output, fullPage: true });
  await browser.close();
  console.log(`wrote ${output}`);
} finally {
  for (const child of children) child.kill("SIGTERM");
  rmSync(profile, { recursive: true, force: true });
}
