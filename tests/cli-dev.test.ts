// `consul-xds-bridge dev`: safe defaults (xDS on loopback unless told otherwise) and a banner that
// prints the addresses actually bound.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { devArgs, spawnCli } from "./support/cli-process.js";
import { parseCommandLine } from "./support/parse-command-line.js";

type StartedLine = { msg?: string; xds?: string; admin?: string };

/** Starts `dev` without demo services on free ports; resolves with its banner and logged addresses. */
async function startDev(t: { after: (fn: () => Promise<void>) => void }, xdsListen: string) {
  const dev = spawnCli(devArgs(["--no-demo", "--xds-listen", xdsListen]));
  t.after(() => dev.stop());
  const started = await dev.waitForLine<StartedLine>((line) => line.msg === "consul-xds-bridge started");
  await dev.waitForLine<string>((line) => typeof line === "string" && line.startsWith("Try next:"));
  return { banner: dev.stdout(), started };
}

describe("consul-xds-bridge dev", () => {
  it("should default xDS to loopback in dev mode, and to every interface in serve", async () => {
    const dev = await parseCommandLine(["dev"]);
    assert.equal(dev.command, "dev");
    assert.deepEqual(dev.values.xdsListen, { host: "127.0.0.1", port: 18000 });
    const serve = await parseCommandLine(["serve"]);
    assert.equal(serve.command, "serve");
    assert.deepEqual(serve.values.xdsListen, { host: "0.0.0.0", port: 18000 });
  });

  it("should print the xDS address it bound, on loopback", async (t) => {
    const { banner, started } = await startDev(t, "127.0.0.1:0");
    assert.match(started.xds!, /^127\.0\.0\.1:\d+$/);
    assert.ok(banner.includes(`xDS (ADS, gRPC over h2c):   ${started.xds}\n`), banner);
    assert.ok(!banner.includes("on every interface"), banner);
    assert.ok(banner.includes(`XDS_SERVER=${started.xds} npm run example:greeter`), banner);
    assert.ok(banner.includes(`admin:                      http://${started.admin}`), banner);
  });

  it("should print 0.0.0.0 and a warning when told to listen on every interface", async (t) => {
    const { banner, started } = await startDev(t, "0.0.0.0:0");
    const port = /:(\d+)$/.exec(started.xds!)![1];
    assert.equal(started.xds, `0.0.0.0:${port}`);
    assert.ok(banner.includes(`xDS (ADS, gRPC over h2c):   0.0.0.0:${port}\n`), banner);
    assert.match(banner, /on every interface: xDS has no authentication/);
    assert.ok(banner.includes(`XDS_SERVER=127.0.0.1:${port} npm run example:greeter`), "local clients dial loopback");
  });
});
