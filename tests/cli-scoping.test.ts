// Per-proxy scoping black-box: the built `consul-xds-bridge serve` against the embedded catalog, an
// Envoy-like ADS client whose node names its upstreams gets only those, on the wire.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { createEmbeddedConsul } from "../src/embedded-consul/index.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { clusterType, endpointType, routeType } from "../src/snapshot/index.js";
import { serveArgs, spawnCli } from "./support/cli-process.js";
import { RawXdsClient, responseNames } from "./support/raw-xds-client.js";

type Started = { msg?: string; xds?: string };

async function register(consulUrl: string, name: string, address: string): Promise<void> {
  const response = await fetch(`${consulUrl}/v1/agent/service/register`, {
    method: "PUT",
    body: JSON.stringify({ Name: name, ID: `${name}-1`, Address: address, Port: 8080, Check: { TTL: "600s", Status: "passing" } }),
  });
  assert.equal(response.status, 200);
}

describe("serve with scoped clients (the command)", () => {
  it("should send a node naming its upstreams only their clusters, endpoints and virtual hosts", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    for (const [name, address] of [
      ["web", "10.0.0.1"],
      ["api", "10.0.0.2"],
      ["db", "10.0.0.3"],
    ] as const) {
      await register(consul.url, name, address);
    }
    const cli = spawnCli(serveArgs(consul.url, [], { admin: false }));
    t.after(() => cli.stop());
    const started = await cli.waitForLine<Started>((line) => line.msg === "consul-xds-bridge started");

    const open = (upstreams?: string) =>
      RawXdsClient.open({
        baseUrl: `http://${started.xds}`,
        node: {
          id: "proxy",
          cluster: "edge",
          userAgentName: "envoy",
          ...(upstreams ? { metadata: { "consul-xds-bridge.upstreams": upstreams } } : {}),
        },
      });
    const scoped = open("web,api,later");
    const everything = open();
    t.after(() => Promise.all([scoped.close(), everything.close()]));

    scoped.subscribe(clusterType);
    everything.subscribe(clusterType);
    const scopedClusters = await scoped.next();
    assert.deepEqual(responseNames(scopedClusters).sort(), ["api", "web"]);
    assert.deepEqual(responseNames(await everything.next()).sort(), ["api", "db", "web"]);

    scoped.ack(scopedClusters);
    scoped.subscribe(endpointType, ["api", "web"]);
    const endpoints = await scoped.next();
    assert.deepEqual(responseNames(endpoints).sort(), ["api", "web"]);
    scoped.ack(endpoints, ["api", "web"]);
    scoped.subscribe(routeType, ["consul-xds-bridge:http"]);
    const routes = await scoped.next();
    const hosts = fromBinary(RouteConfigurationSchema, routes.resources[0]!.value).virtualHosts.map((host) => host.name);
    assert.deepEqual(hosts.sort(), ["api", "web"]);
    scoped.ack(routes, ["consul-xds-bridge:http"]);

    // A named service that did not exist is served once it is registered.
    await register(consul.url, "later", "10.0.0.4");
    let next = await scoped.next();
    while (next.typeUrl !== clusterType) {
      scoped.ack(next, next.typeUrl === routeType ? ["consul-xds-bridge:http"] : ["api", "web"]);
      next = await scoped.next();
    }
    assert.deepEqual(responseNames(next).sort(), ["api", "later", "web"]);
  });
});
