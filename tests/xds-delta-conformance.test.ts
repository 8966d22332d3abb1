// Conformance of the incremental (delta) xDS server, driven by a raw client over real HTTP/2
// connections, mirroring the SotW suite (xds-conformance.test.ts) rule by rule (Envoy's
// xds_protocol.rst, "Incremental xDS", and the faults other control planes shipped).
//
// Silence is never checked by waiting. It is proven by a probe: the client subscribes to an
// endpoint name that does not exist, which the server answers with that name in removed_resources.
// On ADS, removals of endpoints are the last of all send phases, so if the probe's answer is the
// next response, nothing else was queued. Synchronisation with the server uses its hooks.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { DeltaDiscoveryResponse } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { ClientStatusRequestSchema, ConfigStatus } from "../src/gen/envoy/service/status/v3/csds_pb.js";
import { clusterType, endpointType, listenerType, routeType, type XdsTypeUrl } from "../src/snapshot/index.js";
import { clientStatus } from "../src/xds/index.js";
import { type RawDeltaClient, upserted, versionsOf } from "./support/raw-delta-client.js";
import { grpcFrame } from "./support/raw-grpc-request.js";
import { recordingHooks } from "./support/recording-hooks.js";
import { useXdsHarness, type XdsHarness } from "./support/xds-harness.js";

const twoServices = { a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] } };

const probes = new WeakMap<RawDeltaClient, { response: DeltaDiscoveryResponse | undefined; count: number }>();

/** Subscribes to a missing endpoint name and asserts its removal is the very next response (see the file comment). */
async function expectNothingQueued(client: RawDeltaClient, because: string): Promise<void> {
  const probe = probes.get(client) ?? { response: undefined, count: 0 };
  probes.set(client, probe);
  const name = `probe-${++probe.count}`;
  if (probe.response) client.ack(probe.response, [name]);
  else client.subscribe(endpointType, [name]);
  const next = await client.next();
  assert.equal(next.typeUrl, endpointType, `expected no response before the probe: ${because}`);
  assert.deepEqual([upserted(next), next.removedResources], [[], [name]], `expected no response before the probe: ${because}`);
  probe.response = next;
}

/** The hash the snapshot gives each resource of a type: the versions a client must receive. */
function snapshotVersions(h: XdsHarness, typeUrl: XdsTypeUrl, names: string[]): Record<string, string> {
  const resources = h.cache.getSnapshot("default")!.get(typeUrl).resources;
  return Object.fromEntries(names.map((name) => [name, resources.get(name)!.hash]));
}

const sorted = (names: string[]) => [...names].sort();

describe("xDS server conformance (delta over HTTP/2)", () => {
  it("should answer a first CDS request with empty lists (legacy wildcard) with every cluster, versioned by content", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    const response = await client.next();
    assert.equal(response.typeUrl, clusterType);
    assert.deepEqual(sorted(upserted(response)), ["a", "b"]);
    assert.deepEqual(versionsOf(response), snapshotVersions(h, clusterType, ["a", "b"]), "per-resource versions are content hashes");
    assert.equal(response.systemVersionInfo, h.cache.getSnapshot("default")!.get(clusterType).version);
    assert.deepEqual(response.removedResources, []);
    assert.notEqual(response.nonce, "");
    assert.equal(response.controlPlane?.identifier, "consul-xds-bridge");
  });

  it("should treat * as the explicit wildcard, and an empty first EDS request as no subscription", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(listenerType, ["*"]);
    assert.deepEqual(sorted(upserted(await client.next())), ["a", "b"]);
    client.subscribe(endpointType);
    await expectNothingQueued(client, "EDS has no wildcard: an empty first request subscribes to nothing");
  });

  it("should stay silent after an ACK", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    client.ack(await client.next());
    await expectNothingQueued(client, "an ACK must not be answered");
    assert.equal(rec.responses.filter((r) => r.typeUrl === clusterType).length, 1);
  });

  it("should send only the resources that changed, and remove those that went away", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    client.ack(await client.next());
    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, b: twoServices.b, c: {} });
    const changed = await client.next();
    assert.deepEqual(sorted(upserted(changed)), ["a", "c"], "b did not change: not sent");
    assert.deepEqual(versionsOf(changed), snapshotVersions(h, clusterType, ["a", "c"]));
    client.ack(changed);
    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, c: {} });
    const removal = await client.next();
    assert.deepEqual([upserted(removal), removal.removedResources], [[], ["b"]]);
    client.ack(removal);
    await expectNothingQueued(client, "one change gives one response");
  });

  it("should not resend a NACKed resource, while sending other changes and its next version", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    client.ack(await client.next());
    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, b: twoServices.b });
    const bad = await client.next();
    assert.deepEqual(upserted(bad), ["a"]);
    client.nack(bad, "cluster a: bad config");
    await expectNothingQueued(client, "a NACKed response must not be resent");
    assert.deepEqual(rec.nacks, [{ typeUrl: clusterType, version: bad.systemVersionInfo, message: "cluster a: bad config" }]);
    const status = h.server.streams()[0]!.types.find((t) => t.typeUrl === clusterType)!;
    assert.equal(status.lastNack?.message, "cluster a: bad config");

    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, b: { ...twoServices.b, connectTimeoutSeconds: 7 } });
    const other = await client.next();
    assert.deepEqual(upserted(other), ["b"], "the rejected version of a is not sent again");
    client.ack(other);
    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 8 }, b: { ...twoServices.b, connectTimeoutSeconds: 7 } });
    const fixed = await client.next();
    assert.deepEqual(upserted(fixed), ["a"], "a new version of a is sent");
    client.ack(fixed);
    assert.equal(h.server.streams()[0]!.types.find((t) => t.typeUrl === clusterType)!.lastNack, undefined, "the NACK clears on an ACK");
  });

  it("should apply the subscription of a request with a stale nonce, without taking it as an ACK", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(endpointType, ["a"]);
    const first = await client.next();
    client.send({ typeUrl: endpointType, responseNonce: "not-a-nonce-of-this-stream", resourceNamesSubscribe: ["b"] });
    await rec.until(() => rec.requests.some((r) => r.kind === "stale"));
    assert.equal(h.server.streams()[0]!.types[0]!.awaitingAck, true, "a stale nonce acknowledges nothing");
    client.ack(first);
    const second = await client.next();
    assert.deepEqual(upserted(second), ["b"], "the stale request's subscribe still applied");
  });

  it("should take a nonce from another stream as stale", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const one = h.deltaClient();
    const two = h.deltaClient();
    one.subscribe(clusterType);
    two.subscribe(clusterType);
    const fromOne = await one.next();
    await two.next();
    two.ack(fromOne);
    await rec.until(() => rec.requests.some((r) => r.kind === "stale"));
    const second = h.server.streams().find((s) => s.info.id !== rec.requests[0]!.stream.id && s.types.length > 0)!;
    assert.equal(rec.acks.length, 0);
    assert.equal(second.types[0]!.awaitingAck, true);
  });

  it("should send every name of a subscribe again, even one the client holds at that version", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(endpointType, ["a"]);
    const first = await client.next();
    client.ack(first, ["a"]);
    const again = await client.next();
    assert.deepEqual(upserted(again), ["a"], "go-control-plane #431/#1002: a resubscribed name must be resent");
    assert.deepEqual(versionsOf(again), versionsOf(first));
    client.ack(again, [], ["a"]);
    await expectNothingQueued(client, "an unsubscribe needs no answer");
    const probe = probes.get(client)!.response!;
    probes.delete(client);
    client.ack(probe, ["a"]);
    const back = await client.next();
    assert.deepEqual(upserted(back), ["a"], "dropped and subscribed again: sent again");
  });

  it("should report a subscribed name that does not exist in removed_resources, and push it once it appears", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(endpointType, ["later"]);
    const missing = await client.next();
    assert.deepEqual([upserted(missing), missing.removedResources], [[], ["later"]]);
    client.ack(missing);
    h.publish({ ...twoServices, later: { endpoints: ["10.0.0.3:9090"] } });
    const pushed = await client.next();
    assert.deepEqual(upserted(pushed), ["later"]);
  });

  it("should stop following an unsubscribed name", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(endpointType, ["a", "b"]);
    client.ack(await client.next(), [], ["b"]);
    h.publish({ a: twoServices.a, b: { endpoints: ["10.0.0.9:8080"] } });
    await expectNothingQueued(client, "b is no longer subscribed");
  });

  it("should answer the unsubscribe of a name the wildcard still covers, and drop the wildcard on unsubscribing *", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType, ["*", "a"]);
    const first = await client.next();
    assert.deepEqual(sorted(upserted(first)), ["a", "b"]);
    client.ack(first, [], ["a"]);
    const still = await client.next();
    assert.deepEqual(upserted(still), ["a"], "a is still covered by the wildcard: the client is told so");
    client.ack(still, ["b"], ["*"]);
    const explicit = await client.next();
    assert.deepEqual(upserted(explicit), ["b"], "b is now an explicit subscription, sent as every subscribe");
    client.ack(explicit);
    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, b: { ...twoServices.b, connectTimeoutSeconds: 9 }, c: {} });
    const after = await client.next();
    assert.deepEqual(upserted(after), ["b"], "without the wildcard only the explicit name is followed");
  });

  it("should send a reconnecting client only what differs from its initial_resource_versions, and remove what vanished", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const before = h.deltaClient("cds");
    before.subscribe(clusterType);
    const held = versionsOf(await before.next());
    await before.close();

    h.publish({ a: twoServices.a, b: { ...twoServices.b, connectTimeoutSeconds: 9 }, c: {} });
    const again = h.deltaClient("cds");
    again.send({ typeUrl: clusterType, initialResourceVersions: { ...held, gone: "0123456789abcdef0123456789abcdef" } });
    const diff = await again.next();
    assert.deepEqual(sorted(upserted(diff)), ["b", "c"], "a is held at its current version: not resent");
    assert.deepEqual(diff.removedResources, ["gone"], "Istio #41494: what vanished is removed");
  });

  it("should not resend named resources a reconnecting client lists at their current version", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const first = h.deltaClient();
    first.subscribe(endpointType, ["a", "b"]);
    const held = versionsOf(await first.next());
    await first.close();
    h.publish({ a: twoServices.a, b: { endpoints: ["10.0.0.7:8080"] } });
    const again = h.deltaClient();
    again.send({ typeUrl: endpointType, resourceNamesSubscribe: ["a", "b"], initialResourceVersions: held });
    const diff = await again.next();
    assert.deepEqual(upserted(diff), ["b"]);
    again.ack(diff);
    await expectNothingQueued(again, "a was current");
  });

  it("should keep one response per type in flight, and plan the next from the latest snapshot", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    const first = await client.next();
    for (const seconds of [6, 7, 8]) h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: seconds }, b: twoServices.b, c: {} });
    client.ack(first);
    const next = await client.next();
    assert.deepEqual(sorted(upserted(next)), ["a", "c"]);
    assert.deepEqual(versionsOf(next), snapshotVersions(h, clusterType, ["a", "c"]), "the latest content, in one response");
    client.ack(next);
    await expectNothingQueued(client, "intermediate snapshots are not sent");
    assert.equal(rec.responses.filter((r) => r.typeUrl === clusterType).length, 2);
  });

  it("should order a new service CDS, EDS, LDS, RDS on ADS, and its removal LDS, RDS, CDS, EDS", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    client.ack(await client.next());
    client.subscribe(endpointType, ["a", "b"]);
    client.ack(await client.next());
    client.subscribe(listenerType);
    client.ack(await client.next());
    client.subscribe(routeType, ["a", "b"]);
    client.ack(await client.next());

    h.publish({ ...twoServices, c: {} });
    const cds = await client.next();
    assert.deepEqual([cds.typeUrl, upserted(cds)], [clusterType, ["c"]], "clusters first");
    client.ack(cds, []);
    client.subscribe(endpointType, ["c"]); // as Envoy does for a new EDS cluster
    const eds = await client.next();
    assert.deepEqual([eds.typeUrl, upserted(eds)], [endpointType, ["c"]], "then the new cluster's endpoints");
    client.ack(eds);
    const lds = await client.next();
    assert.deepEqual([lds.typeUrl, upserted(lds)], [listenerType, ["c"]], "then listeners");
    client.ack(lds, []);
    client.subscribe(routeType, ["c"]);
    const rds = await client.next();
    assert.deepEqual([rds.typeUrl, upserted(rds)], [routeType, ["c"]], "then routes");
    client.ack(rds);

    h.publish(twoServices);
    const order: Array<[string, string[]]> = [];
    for (let i = 0; i < 4; i++) {
      const removal = await client.next();
      assert.deepEqual(upserted(removal), []);
      order.push([removal.typeUrl, removal.removedResources]);
      client.ack(removal);
    }
    assert.deepEqual(order, [
      [listenerType, ["c"]],
      [routeType, ["c"]],
      [clusterType, ["c"]],
      [endpointType, ["c"]],
    ]);
  });

  it("should resend a cluster's ClusterLoadAssignment after the cluster changed (warming)", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    client.ack(await client.next());
    client.subscribe(endpointType, ["a", "b"]);
    const eds = await client.next();
    client.ack(eds);
    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, b: twoServices.b });
    const cds = await client.next();
    assert.deepEqual(upserted(cds), ["a"]);
    client.ack(cds);
    const resent = await client.next();
    assert.equal(resent.typeUrl, endpointType);
    assert.deepEqual(upserted(resent), ["a"], "Consul #19866: the unchanged assignment of the changed cluster");
    assert.equal(versionsOf(resent).a, versionsOf(eds).a);
  });

  it("should release listeners held for endpoints the client never asks for, after the warming timeout", async () => {
    const h = await useXdsHarness({ server: { endpointWarmingTimeoutMs: 50 } });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(clusterType);
    client.ack(await client.next());
    client.subscribe(endpointType, ["a", "b"]);
    client.ack(await client.next());
    client.subscribe(listenerType);
    client.ack(await client.next());
    h.publish({ ...twoServices, c: {} });
    client.ack(await client.next());
    const listeners = await client.next();
    assert.deepEqual([listeners.typeUrl, upserted(listeners)], [listenerType, ["c"]]);
  });

  it("should publish the same versions from two servers for the same content", async () => {
    const one = await useXdsHarness();
    const two = await useXdsHarness();
    for (const h of [one, two]) h.publish(twoServices);
    const [first, second] = await Promise.all(
      [one, two].map(async (h) => {
        const client = h.deltaClient();
        client.subscribe(clusterType);
        return client.next();
      }),
    );
    assert.deepEqual(versionsOf(first!), versionsOf(second!));
    assert.equal(first!.systemVersionInfo, second!.systemVersionInfo);
  });

  it("should serve the per-type delta services, an empty type URL meaning the service's type", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const eds = h.deltaClient("eds");
    eds.send({ typeUrl: "", resourceNamesSubscribe: ["b"] });
    const response = await eds.next();
    assert.deepEqual([response.typeUrl, upserted(response)], [endpointType, ["b"]]);
    const cds = h.deltaClient("cds");
    cds.send({ typeUrl: endpointType, resourceNamesSubscribe: ["a"] });
    cds.subscribe(clusterType);
    const clusters = await cds.next();
    assert.equal(clusters.typeUrl, clusterType, "another type on a per-type service is ignored");
  });

  it("should ignore unknown and empty type URLs while serving the others", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", ["cert"]);
    client.send({ typeUrl: "", resourceNamesSubscribe: ["a"] });
    client.subscribe(clusterType);
    const response = await client.next();
    assert.equal(response.typeUrl, clusterType);
    assert.deepEqual(
      rec.requests.map((r) => r.kind),
      ["unknown-type", "empty-type", "subscribe"],
    );
  });

  it("should show delta streams in status and CSDS like SotW ones", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.deltaClient("ads", { id: "envoy-delta", cluster: "edge" });
    client.subscribe(clusterType);
    const response = await client.next();
    client.ack(response);
    client.subscribe(endpointType, ["a"]);
    await client.next();
    const [stream] = h.server.streams();
    assert.equal(stream!.info.protocol, "delta");
    assert.equal(stream!.info.node?.id, "envoy-delta");
    const cds = stream!.types.find((t) => t.typeUrl === clusterType)!;
    assert.deepEqual(
      [cds.subscribed, cds.sentVersion, cds.ackedVersion, cds.awaitingAck],
      ["*", response.systemVersionInfo, response.systemVersionInfo, false],
    );
    const eds = stream!.types.find((t) => t.typeUrl === endpointType)!;
    assert.deepEqual([eds.subscribed, eds.awaitingAck], [1, true]);
    assert.deepEqual(
      stream!.delivered(clusterType).map((d) => [d.name, d.resource?.hash]),
      Object.entries(snapshotVersions(h, clusterType, ["a", "b"])),
    );
    const csds = clientStatus(h.server.streams(), create(ClientStatusRequestSchema));
    const configs = csds.config[0]!.genericXdsConfigs.filter((c) => c.typeUrl === clusterType);
    assert.deepEqual(
      configs.map((c) => [c.name, c.configStatus]),
      [
        ["a", ConfigStatus.SYNCED],
        ["b", ConfigStatus.SYNCED],
      ],
    );
  });

  it("should end a stream subscribing to more names than allowed with RESOURCE_EXHAUSTED, and keep serving", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const greedy = h.deltaClient();
    greedy.subscribe(
      endpointType,
      Array.from({ length: 100_001 }, (_, i) => `name-${i}`),
    );
    const error = await greedy.ended;
    assert.equal(error?.code, Code.ResourceExhausted);
    assert.match(error!.rawMessage, /100001 resources, more than the limit of 100000/);
    const polite = h.deltaClient();
    polite.subscribe(endpointType, ["a"]);
    assert.deepEqual(upserted(await polite.next()), ["a"]);
  });

  it("should end a stream whose subscription grows over the limit across requests", async () => {
    const h = await useXdsHarness({ server: { maxResourceNamesPerRequest: 3 } });
    h.publish(twoServices);
    const client = h.deltaClient();
    client.subscribe(endpointType, ["a", "b"]);
    client.subscribe(endpointType, ["c", "d"]);
    assert.equal((await client.ended)?.code, Code.ResourceExhausted);
  });

  it("should end a stream carrying garbage with an error, and keep serving", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const session = http2.connect(h.baseUrl);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
        "content-type": "application/grpc",
        te: "trailers",
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.resume();
      stream.end(grpcFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])));
      await once(stream, "close");
      assert.equal(trailers["grpc-status"] ?? headers["grpc-status"], String(Code.InvalidArgument));
      assert.match(decodeURIComponent(String(trailers["grpc-message"] ?? headers["grpc-message"])), /malformed DeltaDiscoveryRequest/);
    } finally {
      session.destroy();
    }
    const client = h.deltaClient();
    client.subscribe(clusterType);
    assert.equal((await client.next()).typeUrl, clusterType);
  });

  it("should leave no watch behind when a client cancels, and end streams with OK on shutdown", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const leaving = h.deltaClient();
    leaving.subscribe(clusterType);
    await leaving.next();
    await leaving.close();
    await rec.until(() => rec.closes.length === 1);
    assert.equal(h.cache.watchCount(), 0);
    const staying = [h.deltaClient(), h.deltaClient("cds")];
    for (const client of staying) client.subscribe(clusterType);
    await Promise.all(staying.map((client) => client.next()));
    await h.closeServer();
    assert.deepEqual(await Promise.all(staying.map((client) => client.ended)), [undefined, undefined]);
  });
});
