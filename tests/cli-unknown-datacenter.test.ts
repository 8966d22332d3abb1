// `serve --datacenter <a name Consul does not know>` fails at start-up with the names Consul knows.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnCli } from "./support/cli-process.js";
import { useEmbeddedConsul } from "./support/consul-test-support.js";

describe("consul-xds-bridge serve --datacenter", () => {
  it("should exit 2 naming the datacenters Consul knows when --datacenter is not one of them", async (t) => {
    const consul = await useEmbeddedConsul(t, { datacenters: ["dc1", "dc2"] });
    const cli = spawnCli([
      "serve",
      "--consul",
      consul.url,
      "--datacenter",
      "nope",
      "--xds-listen",
      "127.0.0.1:0",
      "--admin-listen",
      "127.0.0.1:0",
      "--log-format",
      "json",
    ]);
    t.after(() => cli.stop());
    const line = await cli.waitForLine<{ level: number; msg: string }>((l) => typeof l.msg === "string" && l.msg.includes("does not know"));
    assert.equal(line.level, 50);
    assert.equal(line.msg, `Consul at ${consul.url} does not know datacenter "nope" (--datacenter); it knows: dc1, dc2`);
    assert.equal(await cli.exited, 2);
  });
});
