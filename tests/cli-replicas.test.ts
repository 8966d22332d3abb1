// Two bridge processes (the built command) on one Consul catalog, as replicas behind a load
// balancer: identical content gives identical versions on both, for SotW and delta, and a delta
// client that moves to the other replica with initial_resource_versions gets nothing it holds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEmbeddedConsul, type EmbeddedConsul } from "../src/embedded-consul/index.js";
import type { DeltaDiscoveryResponse } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, listenerType } from "../src/snapshot/index.js";
import { serveArgs, spawnCli } from "./support/cli-process.js";
import { RawDeltaClient, upserted, versionsOf } from "./support/raw-delta-client.js";
import { RawXdsClient, responseNames } from "./support/raw-xds-client.js";

type LogLine = { msg?: string; xds?: string };
type Test = { after: (fn: () => Promise<void> | void) => void };

async function register(consul: EmbeddedConsul, name: string, address: string): Promise<void> {
  const response = await fetch(`${consul.url}/v1/agent/service/register`, {
    method: "PUT",
    body: JSON.stringify({ Name: name, ID: `${name}-1`, Address: address, Port: 8080, Check: { TTL: "60s", Status: "passing" } }),
  });
  assert.equal(response.status, 200);
}

/** One `serve` replica on a free port, once it finished its initial sync. */
async function replica(t: Test, consul: EmbeddedConsul): Promise<string> {
  const cli = spawnCli(serveArgs(consul.url, [], { admin: false }));
  t.after(() => cli.stop());
  const started = await cli.waitForLine<LogLine>((line) => line.msg === "consul-xds-bridge started");
  await cli.waitForLine<LogLine>((line) => line.msg === "initial sync with Consul complete");
  return `http://${started.xds}`;
}

const envoy = { id: "envoy-1", cluster: "edge", userAgentName: "envoy" };

/** Syncs a SotW client like Envoy and returns the version of each type. */
async function sotwVersions(t: Test, baseUrl: string): Promise<Record<string, string>> {
  const client = RawXdsClient.open({ baseUrl, node: envoy });
  t.after(() => client.close());
  const versions: Record<string, string> = {};
  client.subscribe(clusterType);
  const clusters = await client.next();
  versions.cds = clusters.versionInfo;
  client.ack(clusters);
  client.subscribe(endpointType, responseNames(clusters));
  versions.eds = (await client.next()).versionInfo;
  client.subscribe(listenerType);
  const listeners = await client.next();
  versions.lds = listeners.versionInfo;
  client.ack(listeners);
  return versions;
}

describe("two bridge replicas on one catalog", () => {
  it("should publish identical versions for identical content, SotW and delta, and not resend what a moving client holds", async (t) => {
    const consul = await createEmbeddedConsul({ port: 0 });
    t.after(() => consul.close());
    await register(consul, "web", "10.0.0.1");
    await register(consul, "api", "10.0.0.2");
    const [one, two] = await Promise.all([replica(t, consul), replica(t, consul)]);

    const [sotwOne, sotwTwo] = await Promise.all([sotwVersions(t, one), sotwVersions(t, two)]);
    assert.deepEqual(sotwOne, sotwTwo, "SotW versions agree");

    // A delta client on replica one: every cluster, and their endpoints.
    const first = RawDeltaClient.open({ baseUrl: one, node: envoy });
    first.subscribe(clusterType);
    const clusters = await first.next();
    first.ack(clusters);
    first.subscribe(endpointType, upserted(clusters));
    const endpoints = await first.next();
    first.ack(endpoints);
    assert.deepEqual(upserted(clusters).sort(), ["api", "web"]);

    // The same on replica two agrees, resource by resource.
    const peer = RawDeltaClient.open({ baseUrl: two, node: envoy });
    t.after(() => peer.close());
    peer.subscribe(clusterType);
    const peerClusters = await peer.next();
    assert.deepEqual(versionsOf(peerClusters), versionsOf(clusters), "delta versions agree");
    assert.equal(peerClusters.systemVersionInfo, clusters.systemVersionInfo);
    await first.close();

    // The client moves to replica two, telling it what it holds (as Envoy does on reconnect).
    const moved = RawDeltaClient.open({ baseUrl: two, node: envoy });
    t.after(() => moved.close());
    moved.send({ typeUrl: clusterType, resourceNamesSubscribe: ["*"], initialResourceVersions: versionsOf(clusters) });
    moved.send({ typeUrl: endpointType, resourceNamesSubscribe: upserted(clusters), initialResourceVersions: versionsOf(endpoints) });
    const received: DeltaDiscoveryResponse[] = [];
    const cds = await moved.next();
    received.push(cds);
    moved.ack(cds);
    // Silence on EDS is proven by a probe: a missing name's removal is the next (and last) response.
    moved.subscribe(endpointType, ["probe-missing"]);
    const probe = await moved.next();
    assert.deepEqual([probe.typeUrl, probe.removedResources], [endpointType, ["probe-missing"]]);
    received.push(probe);
    assert.deepEqual(
      received.flatMap((r) => upserted(r)),
      [],
      "nothing the client holds is sent again",
    );
    assert.deepEqual(cds.removedResources, []);

    // What changed meanwhile is all it gets.
    await register(consul, "billing", "10.0.0.3");
    const change = await moved.next();
    assert.deepEqual([change.typeUrl, upserted(change)], [clusterType, ["billing"]]);
    moved.ack(change);
  });
});
