// Conformance of the SotW xDS server, driven by a raw client over real HTTP/2 connections.
//
// Silence ("the server sends nothing") is never checked by waiting. It is proven by a probe: on an
// ADS stream the server sends types in the order CDS, EDS, LDS, RDS, so after the action under test
// the client subscribes to a route configuration; if the first response to arrive is that RDS
// response, nothing of an earlier type was queued. Synchronisation with the server uses its hooks.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ClusterDiscoveryService } from "../src/gen/envoy/service/cluster/v3/cds_pb.js";
import { DiscoveryRequestSchema, type DiscoveryResponse } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../src/snapshot/index.js";
import type { RequestKind, StreamInfo, XdsServerHooks } from "../src/xds/index.js";
import { fixtureSnapshot } from "./support/fixtures.js";
import { grpcFrame, openRawAdsStream } from "./support/raw-grpc-request.js";
import { type RawXdsClient, responseAssignments, responseNames } from "./support/raw-xds-client.js";
import { useXdsHarness } from "./support/xds-harness.js";

const twoServices = { a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] } };

/** Records what the server's hooks report, and lets a test wait for a given event. */
function recordingHooks() {
  const requests: Array<{ stream: StreamInfo; kind: RequestKind; typeUrl: string }> = [];
  const responses: Array<{ stream: number; typeUrl: string; version: string }> = [];
  const nacks: Array<{ typeUrl: string; version: string; message: string }> = [];
  const closes: Array<{ stream: number; error: ConnectError | undefined }> = [];
  const waiters: Array<() => void> = [];
  const notify = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  const hooks: XdsServerHooks = {
    onStreamRequest: (stream, request, kind) => {
      requests.push({ stream, kind, typeUrl: request.typeUrl });
      notify();
    },
    onStreamResponse: (stream, response) => {
      responses.push({ stream: stream.id, typeUrl: response.typeUrl, version: response.version });
      notify();
    },
    onNack: (_stream, typeUrl, version, message) => {
      nacks.push({ typeUrl, version, message });
      notify();
    },
    onStreamClose: (stream, error) => {
      closes.push({ stream: stream.id, error });
      notify();
    },
  };
  /** Resolves once `condition` holds, re-checked after every hook call (fails a broken test after 5 s). */
  async function until(condition: () => boolean): Promise<void> {
    const gaveUp = Date.now() + 5_000;
    while (!condition()) {
      if (Date.now() > gaveUp) throw new Error("the expected server event did not happen");
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1_000).unref();
      });
    }
  }
  return { hooks, requests, responses, nacks, closes, until };
}

const lastProbe = new WeakMap<RawXdsClient, DiscoveryResponse>();

/**
 * Asks for route "a" as a probe and asserts it is the very next response (see the file comment).
 * A second probe on the same stream drops the name and subscribes to it again, which resends it.
 */
async function expectNothingQueued(client: RawXdsClient, because: string): Promise<DiscoveryResponse> {
  const previous = lastProbe.get(client);
  if (!previous) {
    client.subscribe(routeType, ["a"]);
  } else {
    client.ack(previous, []);
    client.ack(previous, ["a"]);
  }
  const next = await client.next();
  lastProbe.set(client, next);
  assert.equal(next.typeUrl, routeType, `expected no response before the probe: ${because}`);
  assert.deepEqual(responseNames(next), ["a"]);
  return next;
}

describe("xDS server conformance (SotW over HTTP/2)", () => {
  it("should answer a first CDS wildcard request with every cluster", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    const response = await client.next();
    assert.equal(response.typeUrl, clusterType);
    assert.deepEqual(responseNames(response).sort(), ["a", "b"]);
    assert.match(response.versionInfo, /^[0-9a-f]{16}$/);
    assert.notEqual(response.nonce, "");
    assert.equal(response.controlPlane?.identifier, "consul-xds-bridge");
  });

  it("should stay silent after an ACK", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    client.ack(await client.next());
    await expectNothingQueued(client, "an ACK must not be answered");
    assert.equal(rec.responses.filter((r) => r.typeUrl === clusterType).length, 1);
  });

  it("should send exactly one new version per change", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    const first = await client.next();
    client.ack(first);
    await rec.until(() => rec.requests.some((r) => r.kind === "ack"));
    h.publish({ ...twoServices, c: {} });
    const second = await client.next();
    assert.equal(second.typeUrl, clusterType);
    assert.notEqual(second.versionInfo, first.versionInfo);
    assert.deepEqual(responseNames(second).sort(), ["a", "b", "c"]);
    client.ack(second);
    await expectNothingQueued(client, "one change gives one response");
    assert.equal(rec.responses.filter((r) => r.typeUrl === clusterType).length, 2);
  });

  it("should not resend a NACKed version, and send the next change", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    const first = await client.next();
    client.nack(first, "cluster a: bad config");
    await expectNothingQueued(client, "a NACKed version must not be resent");
    assert.deepEqual(rec.nacks, [{ typeUrl: clusterType, version: first.versionInfo, message: "cluster a: bad config" }]);
    const [status] = h.server.streams();
    assert.equal(status!.types.find((t) => t.typeUrl === clusterType)!.lastNack!.message, "cluster a: bad config");

    h.publish({ ...twoServices, c: {} });
    const next = await client.next();
    assert.equal(next.typeUrl, clusterType);
    assert.notEqual(next.versionInfo, first.versionInfo);
  });

  it("should ignore a request with a stale nonce", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    const first = await client.next();
    client.ack(first);
    await rec.until(() => rec.requests.some((r) => r.kind === "ack"));
    h.publish({ ...twoServices, c: {} });
    const second = await client.next();
    // Answers the first response after the second was sent: stale. Its subscription must not count.
    client.send({ typeUrl: clusterType, versionInfo: first.versionInfo, responseNonce: first.nonce, resourceNames: ["a"] });
    await rec.until(() => rec.requests.some((r) => r.kind === "stale"));
    client.ack(second);
    await expectNothingQueued(client, "a stale request must not be answered");
    h.publish({ ...twoServices, c: {}, d: {} });
    const third = await client.next();
    assert.deepEqual(responseNames(third).sort(), ["a", "b", "c", "d"], "the stale request must not have narrowed the wildcard");
  });

  it("should send newly subscribed names at an unchanged version", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(endpointType, ["a"]);
    const first = await client.next();
    assert.deepEqual(responseNames(first), ["a"]);
    client.ack(first, ["a", "b"]);
    const second = await client.next();
    assert.equal(second.typeUrl, endpointType);
    assert.deepEqual(responseNames(second), ["b"]);
    assert.equal(second.versionInfo, first.versionInfo);
  });

  it("should resend a name that was dropped and subscribed again", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(endpointType, ["a", "b"]);
    const first = await client.next();
    assert.deepEqual(responseNames(first).sort(), ["a", "b"]);
    client.ack(first, ["a"]);
    await rec.until(() => rec.requests.filter((r) => r.kind === "ack").length === 1);
    client.ack(first, ["a", "b"]);
    const again = await client.next();
    assert.deepEqual(responseNames(again), ["b"]);
  });

  it("should follow legacy wildcard, names, explicit wildcard and unsubscribe", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType, []);
    const legacy = await client.next();
    assert.deepEqual(responseNames(legacy).sort(), ["a", "b"], "[] first is the legacy wildcard");

    client.ack(legacy, ["a"]);
    await rec.until(() => rec.requests.filter((r) => r.kind === "ack").length === 1);
    h.publish({ a: twoServices.a, b: { endpoints: ["10.0.0.9:8080"] }, c: {} });
    await expectNothingQueued(client, "after naming [a], clusters b and c are not subscribed");

    client.ack(legacy, ["*"]);
    const explicit = await client.next();
    assert.equal(explicit.typeUrl, clusterType);
    assert.deepEqual(responseNames(explicit).sort(), ["a", "b", "c"], "* is the explicit wildcard");

    client.ack(explicit, []);
    await rec.until(() => rec.requests.filter((r) => r.kind === "ack" && r.typeUrl === clusterType).length === 2);
    h.publish({ a: { endpoints: ["10.0.0.7:8080"] }, d: {} });
    await expectNothingQueued(client, "[] after names subscribes to nothing");
  });

  it("should send nothing for [] after names on EDS", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(endpointType, ["a"]);
    const first = await client.next();
    client.ack(first, []);
    await rec.until(() => rec.requests.some((r) => r.kind === "ack"));
    h.publish({ a: { endpoints: ["10.0.0.5:8080"] }, b: twoServices.b });
    await expectNothingQueued(client, "an EDS [] after names is no subscription, not a wildcard");
  });

  it("should hold an unknown EDS name until it appears, then push it", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(endpointType, ["later"]);
    await expectNothingQueued(client, "a name that does not exist is not answered");
    h.publish({ ...twoServices, later: { endpoints: ["10.0.0.3:9090"] } });
    const pushed = await client.next();
    assert.equal(pushed.typeUrl, endpointType);
    assert.deepEqual(responseNames(pushed), ["later"]);
  });

  it("should send an empty ClusterLoadAssignment for a cluster without endpoints", async () => {
    const h = await useXdsHarness();
    h.publish({ a: { endpoints: [] } });
    const client = h.client();
    client.subscribe(endpointType, ["a"]);
    const [assignment] = responseAssignments(await client.next());
    assert.equal(assignment!.clusterName, "a");
    assert.deepEqual(assignment!.endpoints, []);
  });

  it("should order a new service CDS, EDS, LDS, RDS on ADS, and remove it LDS then CDS", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.client();
    // Sync like Envoy: every type subscribed and acknowledged.
    client.subscribe(clusterType);
    client.ack(await client.next());
    client.subscribe(endpointType, ["a", "b"]);
    const eds = await client.next();
    client.ack(eds, ["a", "b"]);
    client.subscribe(listenerType);
    const lds = await client.next();
    client.ack(lds);
    client.subscribe(routeType, ["a", "b"]);
    const rds = await client.next();
    client.ack(rds, ["a", "b"]);

    h.publish({ ...twoServices, c: {} });
    const cds = await client.next();
    assert.equal(cds.typeUrl, clusterType, "clusters first");
    client.ack(cds);
    client.ack(eds, ["a", "b", "c"]);
    const edsC = await client.next();
    assert.equal(edsC.typeUrl, endpointType, "then the new cluster's endpoints, before listeners and routes");
    assert.deepEqual(responseNames(edsC), ["c"]);
    client.ack(edsC, ["a", "b", "c"]);
    const ldsC = await client.next();
    assert.equal(ldsC.typeUrl, listenerType, "then listeners");
    assert.deepEqual(responseNames(ldsC).sort(), ["a", "b", "c"]);
    client.ack(ldsC);
    client.ack(rds, ["a", "b", "c"]);
    const rdsC = await client.next();
    assert.equal(rdsC.typeUrl, routeType, "then routes");
    assert.deepEqual(responseNames(rdsC), ["c"]);
    client.ack(rdsC, ["a", "b", "c"]);

    h.publish(twoServices);
    const removeListener = await client.next();
    assert.equal(removeListener.typeUrl, listenerType, "a removal goes to listeners first");
    assert.deepEqual(responseNames(removeListener).sort(), ["a", "b"]);
    client.ack(removeListener);
    const removeCluster = await client.next();
    assert.equal(removeCluster.typeUrl, clusterType, "and to clusters last");
    assert.deepEqual(responseNames(removeCluster).sort(), ["a", "b"]);
  });

  it("should keep removed clusters in a make phase when clusters are added and removed at once", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    const first = await client.next();
    client.ack(first);
    client.subscribe(listenerType);
    client.ack(await client.next());

    h.publish({ a: twoServices.a, c: {} });
    const make = await client.next();
    assert.equal(make.typeUrl, clusterType);
    assert.deepEqual(responseNames(make).sort(), ["a", "b", "c"], "b stays until listeners stopped using it");
    client.ack(make);
    const listeners = await client.next();
    assert.equal(listeners.typeUrl, listenerType);
    assert.deepEqual(responseNames(listeners).sort(), ["a", "b", "c"], "listeners add c first (make)…");
    client.ack(listeners);
    const listenersBreak = await client.next();
    assert.equal(listenersBreak.typeUrl, listenerType);
    assert.deepEqual(responseNames(listenersBreak).sort(), ["a", "c"], "…then drop b (break)");
    client.ack(listenersBreak);
    const clustersBreak = await client.next();
    assert.equal(clustersBreak.typeUrl, clusterType);
    assert.deepEqual(responseNames(clustersBreak).sort(), ["a", "c"]);
    assert.notEqual(clustersBreak.versionInfo, make.versionInfo);
  });

  it("should resend a cluster's ClusterLoadAssignment after the cluster changed (warming)", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    client.ack(await client.next());
    client.subscribe(endpointType, ["a", "b"]);
    const eds = await client.next();
    client.ack(eds, ["a", "b"]);

    h.publish({ a: { ...twoServices.a, connectTimeoutSeconds: 9 }, b: twoServices.b });
    const cds = await client.next();
    assert.equal(cds.typeUrl, clusterType);
    client.ack(cds);
    const resent = await client.next();
    assert.equal(resent.typeUrl, endpointType);
    assert.deepEqual(responseNames(resent), ["a"], "only the changed cluster's endpoints, although they did not change");
    assert.equal(resent.versionInfo, eds.versionInfo);
  });

  it("should release listeners held for endpoints the client never asks for, after the warming timeout", async () => {
    const h = await useXdsHarness({ server: { endpointWarmingTimeoutMs: 50 } });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    client.ack(await client.next());
    client.subscribe(endpointType, ["a", "b"]);
    client.ack(await client.next(), ["a", "b"]);
    client.subscribe(listenerType);
    client.ack(await client.next());
    h.publish({ ...twoServices, c: {} });
    client.ack(await client.next());
    // The client never subscribes to c's endpoints; listeners must still arrive.
    const listeners = await client.next();
    assert.equal(listeners.typeUrl, listenerType);
    assert.deepEqual(responseNames(listeners).sort(), ["a", "b", "c"]);
  });

  it("should send the full state to a reconnecting client that presents its old version", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const first = h.client();
    first.subscribe(clusterType);
    const before = await first.next();
    first.ack(before);
    await first.close();

    const again = h.client();
    again.send({ typeUrl: clusterType, versionInfo: before.versionInfo, resourceNames: [] });
    const full = await again.next();
    assert.equal(full.versionInfo, before.versionInfo);
    assert.deepEqual(responseNames(full).sort(), ["a", "b"]);
  });

  it("should ignore unknown type URLs while serving the others", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe("type.googleapis.com/envoy.api.v2.Cluster");
    client.subscribe("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", ["cert"]);
    client.subscribe(clusterType);
    const response = await client.next();
    assert.equal(response.typeUrl, clusterType);
    assert.equal(rec.requests.filter((r) => r.kind === "unknown-type").length, 2);
    assert.equal(rec.responses.length, 1);
  });

  it("should ignore a request without a type URL on ADS and keep the stream", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.send({ typeUrl: "", resourceNames: ["a"] });
    client.subscribe(clusterType);
    const response = await client.next();
    assert.equal(response.typeUrl, clusterType);
    assert.equal(rec.requests[0]!.kind, "empty-type");
  });

  it("should treat an empty type URL on a per-type service as that service's type", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const client = h.client("eds");
    client.send({ typeUrl: "", resourceNames: ["b"] });
    const response = await client.next();
    assert.equal(response.typeUrl, endpointType);
    assert.deepEqual(responseNames(response), ["b"]);
  });

  it("should keep the node of the first request when later ones omit it", async () => {
    const h = await useXdsHarness({
      cache: { nodeGroup: (node) => (node?.id === "edge-1" ? "edge" : "other") },
    });
    const client = h.client("ads", { id: "edge-1", cluster: "edge" });
    client.subscribe(clusterType);
    const result = h.cache.setSnapshot("edge", fixtureSnapshot(twoServices));
    assert.ok(result.published);
    const first = await client.next();
    client.ack(first);
    client.subscribe(endpointType, ["a"]); // carries no node
    const eds = await client.next();
    assert.deepEqual(responseNames(eds), ["a"]);
    const [status] = h.server.streams();
    assert.equal(status!.info.node?.id, "edge-1");
    assert.equal(status!.info.group, "edge");
  });

  it("should hold every request until a snapshot exists for the client's group (startup gate)", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    const client = h.client();
    client.subscribe(clusterType);
    await rec.until(() => rec.requests.length === 1);
    h.publish(twoServices);
    const response = await client.next();
    assert.deepEqual(responseNames(response).sort(), ["a", "b"], "the first response is the published state, not an empty one");
  });

  it("should serve separate CDS and EDS streams independently", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const cds = h.client("cds");
    const eds = h.client("eds");
    cds.subscribe(clusterType);
    eds.subscribe(endpointType, ["a"]);
    const clusters = await cds.next();
    const endpoints = await eds.next();
    assert.equal(clusters.typeUrl, clusterType);
    assert.equal(endpoints.typeUrl, endpointType);
    // A NACK on the CDS stream, and the EDS stream's nonce sent on it, concern the CDS stream only.
    cds.nack(clusters, "rejected");
    eds.send({ typeUrl: endpointType, versionInfo: endpoints.versionInfo, responseNonce: clusters.nonce, resourceNames: ["a"] });
    await rec.until(() => rec.requests.some((r) => r.kind === "stale"));
    eds.ack(endpoints, ["a"]);
    await cds.close();
    await rec.until(() => rec.closes.length === 1);
    h.publish({ a: { endpoints: ["10.0.0.8:8080"] }, b: twoServices.b });
    const update = await eds.next();
    assert.deepEqual(responseNames(update), ["a"]);
    assert.equal(responseAssignments(update)[0]!.endpoints[0]!.lbEndpoints.length, 1);
  });

  it("should answer gRPC Fetch methods with UNIMPLEMENTED", async () => {
    const h = await useXdsHarness();
    const sessions = new Http2SessionManager(h.baseUrl);
    try {
      const transport = createGrpcTransport({ baseUrl: h.baseUrl, sessionManager: sessions });
      await assert.rejects(
        createClient(ClusterDiscoveryService, transport).fetchClusters({ typeUrl: clusterType }),
        (error: unknown) => ConnectError.from(error).code === Code.Unimplemented,
      );
    } finally {
      sessions.abort();
    }
  });

  it("should leave no watch behind when a client cancels its stream", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const client = h.client();
    client.subscribe(clusterType);
    await client.next();
    assert.equal(h.cache.watchCount(), 1);
    assert.equal(h.server.streamCount, 1);
    await client.close();
    await rec.until(() => rec.closes.length === 1);
    assert.equal(h.cache.watchCount(), 0);
    assert.equal(h.server.streamCount, 0);
  });

  it("should end a stream that sends more resource names than allowed, and keep serving", async () => {
    const h = await useXdsHarness({ server: { maxResourceNamesPerRequest: 2 } });
    h.publish(twoServices);
    const greedy = h.client();
    greedy.subscribe(endpointType, ["a", "b", "c"]);
    const error = await greedy.ended;
    assert.equal(error?.code, Code.ResourceExhausted);
    const polite = h.client();
    polite.subscribe(endpointType, ["a", "b"]);
    assert.deepEqual(responseNames(await polite.next()).sort(), ["a", "b"]);
  });

  it("should refuse streams beyond the limit with RESOURCE_EXHAUSTED, and accept them again below it", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks, server: { maxStreams: 2 } });
    h.publish(twoServices);
    const first = h.client();
    const second = h.client();
    for (const client of [first, second]) {
      client.subscribe(clusterType);
      await client.next();
    }
    const third = h.client();
    third.subscribe(clusterType);
    assert.equal((await third.ended)?.code, Code.ResourceExhausted);
    await first.close();
    await rec.until(() => rec.closes.length === 1);
    const fourth = h.client();
    fourth.subscribe(clusterType);
    assert.equal((await fourth.next()).typeUrl, clusterType);
  });

  it("should end a stream whose request is larger than allowed, and keep serving", async () => {
    const h = await useXdsHarness({ listener: { readMaxBytes: 1024 } });
    h.publish(twoServices);
    const big = h.client();
    big.subscribe(
      endpointType,
      Array.from({ length: 100 }, (_, i) => `service-with-a-long-name-${i}`),
    );
    const error = await big.ended;
    assert.equal(error?.code, Code.ResourceExhausted);
    const small = h.client();
    small.subscribe(endpointType, ["a"]);
    assert.deepEqual(responseNames(await small.next()), ["a"]);
  });

  it("should end a stream carrying a malformed DiscoveryRequest with an error, and keep serving", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const session = http2.connect(h.baseUrl);
    try {
      const stream = openRawAdsStream(session);
      const frame = grpcFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.resume();
      stream.end(frame);
      await once(stream, "close");
      // A trailers-only response carries the status in its headers.
      const status = trailers["grpc-status"] ?? headers["grpc-status"];
      const message = trailers["grpc-message"] ?? headers["grpc-message"];
      assert.ok(status !== undefined && status !== "0", `expected an error status, got ${String(status)}`);
      assert.ok(message, "the error says what went wrong");
    } finally {
      session.destroy();
    }
    const client = h.client();
    client.subscribe(clusterType);
    assert.equal((await client.next()).typeUrl, clusterType);
  });

  it("should not compress responses, even for a client that accepts gzip", async () => {
    const h = await useXdsHarness();
    h.publish(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`service-${i}`, {}])));
    const session = http2.connect(h.baseUrl);
    try {
      const stream = openRawAdsStream(session, { "grpc-accept-encoding": "identity,deflate,gzip" });
      stream.write(
        grpcFrame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: clusterType, node: { id: "gzip" } }))),
      );
      // The headers may name gzip (negotiated); each message says whether it is compressed.
      const [chunk] = (await once(stream, "data")) as [Buffer];
      assert.ok(chunk.readUInt32BE(1) > 1024, "the response is large enough that Connect would compress it");
      assert.equal(chunk.readUInt8(0), 0, "the message's compressed flag is off");
      stream.close(http2.constants.NGHTTP2_CANCEL);
    } finally {
      session.destroy();
    }
  });

  it("should release a stream whose client resets it while a large response is stuck in flow control", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`service-${i}`, {}]));
    h.publish(many);
    const session = http2.connect(h.baseUrl);
    try {
      const stream = openRawAdsStream(session);
      stream.pause(); // never reads: the CDS response (~300 kB) outgrows the 64 kB window
      stream.write(
        grpcFrame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: clusterType, node: { id: "stuck" } }))),
      );
      await rec.until(() => rec.responses.length === 1);
      assert.equal(h.cache.watchCount(), 1);
      stream.close(http2.constants.NGHTTP2_CANCEL); // the session stays open
      await rec.until(() => rec.closes.length === 1);
      assert.equal(h.server.streamCount, 0, "the stream is released");
      assert.equal(h.cache.watchCount(), 0, "and its watch removed");
    } finally {
      session.destroy();
    }
  });

  it("should not let a stalled client hold more than one response per type, nor slow others", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    h.publish(twoServices);
    const stalled = h.client();
    stalled.subscribe(clusterType); // never acknowledges
    await stalled.next();
    const healthy = h.client();
    healthy.subscribe(clusterType);
    let response = await healthy.next();
    let services: Record<string, object> = { ...twoServices };
    for (let i = 0; i < 50; i++) {
      healthy.ack(response);
      await rec.until(() => rec.requests.filter((r) => r.kind === "ack").length === i + 1);
      services = { ...services, [`extra${i}`]: {} };
      h.publish(services);
      response = await healthy.next();
      assert.ok(responseNames(response).includes(`extra${i}`));
    }
    const stalledId = h.server.streams().find((s) => s.types[0]!.awaitingAck && s.types[0]!.ackedVersion === undefined)!.info.id;
    assert.equal(rec.responses.filter((r) => r.stream === stalledId).length, 1, "nothing queues up for a client that does not ACK");
  });

  it("should end streams cleanly with OK on shutdown while clients are connected", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const clients = [h.client(), h.client("cds"), h.client("eds")];
    clients[0]!.subscribe(clusterType);
    clients[1]!.subscribe(clusterType);
    clients[2]!.subscribe(endpointType, ["a"]);
    await Promise.all(clients.map((client) => client.next()));
    // A grace period far longer than the guard below: a shutdown that waited for it would lose the race.
    let guard: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      h.closeServer(600_000).then(() => "closed"),
      new Promise((resolve) => (guard = setTimeout(resolve, 10_000, "waiting for the grace period"))),
    ]);
    clearTimeout(guard);
    assert.equal(closed, "closed", "shutdown ends the streams instead of waiting for the grace period");
    const errors = await Promise.all(clients.map((client) => client.ended));
    assert.deepEqual(errors, [undefined, undefined, undefined], "every stream ends with status OK");
  });
});
