// The xDS transport through the built command (dist/cli/main.js): delta streams, REST polling over
// HTTP/1.1 on the xDS port, and --max-connection-age, as users run `consul-xds-bridge serve`.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType } from "../src/snapshot/index.js";
import { serveArgs, spawnCli } from "./support/cli-process.js";
import { RawDeltaClient, upserted } from "./support/raw-delta-client.js";
import { grpcFrame, openRawAdsStream } from "./support/raw-grpc-request.js";

type LogLine = { msg?: string; xds?: string };

async function catalogWithWeb(t: { after: (fn: () => Promise<void>) => void }): Promise<EmbeddedConsul> {
  const consul = await createEmbeddedConsul({ port: 0 });
  t.after(() => consul.close());
  const register = await fetch(`${consul.url}/v1/agent/service/register`, {
    method: "PUT",
    body: JSON.stringify({ Name: "web", ID: "web-1", Address: "10.0.0.1", Port: 8080, Check: { TTL: "60s", Status: "passing" } }),
  });
  assert.equal(register.status, 200);
  return consul;
}

async function serve(t: { after: (fn: () => Promise<void>) => void }, consulUrl: string, extra: string[] = []) {
  const cli = spawnCli(serveArgs(consulUrl, extra, { admin: false }));
  t.after(() => cli.stop());
  const started = await cli.waitForLine<LogLine>((line) => line.msg === "consul-xds-bridge started");
  await cli.waitForLine<LogLine>((line) => line.msg === "initial sync with Consul complete");
  return { cli, xds: `http://${started.xds}` };
}

/** Opens an h2c connection with a SotW ADS stream subscribed to clusters; resolves once the first response arrived. */
async function adsConnection(url: string) {
  const session = http2.connect(url);
  session.on("error", () => {});
  const stream = openRawAdsStream(session);
  stream.on("error", () => {});
  stream.write(grpcFrame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: clusterType, node: { id: "aged" } }))));
  const [chunk] = (await once(stream, "data")) as [Buffer];
  const response = fromBinary(DiscoveryResponseSchema, chunk.subarray(5));
  return { session, stream, response };
}

describe("consul-xds-bridge serve: the xDS transport", () => {
  it("should serve delta ADS and REST polling over HTTP/1.1 on the xDS port", async (t) => {
    const consul = await catalogWithWeb(t);
    const { xds } = await serve(t, consul.url);
    const delta = RawDeltaClient.open({ baseUrl: xds, node: { id: "envoy-delta", userAgentName: "envoy" } });
    t.after(() => delta.close());
    delta.subscribe(clusterType);
    assert.deepEqual(upserted(await delta.next()), ["web"]);

    const polled = await fetch(`${xds}/v3/discovery:clusters`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ node: { id: "envoy-rest", userAgentName: "envoy" } }),
    });
    assert.equal(polled.status, 200);
    const body = (await polled.json()) as { versionInfo: string; resources: Array<{ "@type": string; name: string }> };
    assert.deepEqual(
      body.resources.map((r) => [r["@type"], r.name]),
      [[clusterType, "web"]],
    );
    const unchanged = await fetch(`${xds}/v3/discovery:clusters`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ node: { id: "envoy-rest", userAgentName: "envoy" }, versionInfo: body.versionInfo }),
    });
    assert.equal(unchanged.status, 304);
  });

  it("should send a GOAWAY after --max-connection-age, cut the connection after the grace, and serve the next one", async (t) => {
    const consul = await catalogWithWeb(t);
    const { xds } = await serve(t, consul.url, ["--max-connection-age", "1s", "--max-connection-age-grace", "1s"]);
    const openedAt = Date.now();
    const { session, stream, response } = await adsConnection(xds);
    t.after(() => session.destroy());
    assert.equal(fromBinary(ClusterSchema, response.resources[0]!.value).name, "web");
    const [code] = (await once(session, "goaway")) as [number];
    const agedAfter = Date.now() - openedAt;
    assert.equal(code, http2.constants.NGHTTP2_NO_ERROR, "a graceful GOAWAY");
    assert.ok(agedAfter >= 900, `not before the age minus its 10 % jitter (after ${agedAfter} ms)`);
    assert.equal(stream.closed, false, "the open stream may run on during the grace");
    const goawayAt = Date.now();
    await once(session, "close");
    const cutAfter = Date.now() - goawayAt;
    assert.ok(cutAfter >= 900, `the connection is cut once the 1 s grace is over (after ${cutAfter} ms)`);

    const next = await adsConnection(xds);
    t.after(() => next.session.destroy());
    assert.equal(fromBinary(ClusterSchema, next.response.resources[0]!.value).name, "web", "a new connection is served");
  });

  it("should refuse a connection age under a second", async () => {
    const cli = spawnCli(["serve", "--max-connection-age", "200ms"]);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /--max-connection-age must be at least 1s/);
  });
});
