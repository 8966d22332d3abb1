// The stream state machine without any I/O: what it sends, and — exactly — when it sends nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DiscoveryRequestSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, listenerType, routeType, type Snapshot } from "../src/snapshot/index.js";
import { type PendingResponse, SotwStream, type StreamKind } from "../src/xds/index.js";
import { fixtureSnapshot } from "./support/fixtures.js";

function streamOn(snapshot: Snapshot, kind: StreamKind = "ads", now = () => 0) {
  const stream = new SotwStream({
    id: 7,
    kind,
    peer: "",
    now,
    nodeGroup: () => "default",
    maxResourceNames: 3,
    endpointWarmingTimeoutMs: 100,
    controlPlane: new Uint8Array(),
  });
  stream.setSnapshot(snapshot);
  return stream;
}

const request = (init: MessageInitShape<typeof DiscoveryRequestSchema>) => create(DiscoveryRequestSchema, init);
const ackOf = (r: PendingResponse, resourceNames: string[] = []) =>
  request({ typeUrl: r.sent.typeUrl, versionInfo: r.sent.version, responseNonce: r.sent.nonce, resourceNames });
const names = (r: PendingResponse | undefined) => (r ? r.sent.resources.map((x) => x.name).sort() : undefined);

describe("SotwStream", () => {
  it("should answer nothing to an ACK, and nothing to a NACK", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    assert.equal(stream.handleRequest(request({ typeUrl: clusterType })).kind, "subscribe");
    const first = stream.nextResponse()!;
    assert.deepEqual(names(first), ["a", "b"]);
    assert.equal(stream.nextResponse(), undefined, "one response in flight per type");
    assert.equal(stream.handleRequest(ackOf(first)).kind, "ack");
    assert.equal(stream.nextResponse(), undefined);
    stream.setSnapshot(fixtureSnapshot({ a: {}, b: {}, c: {} }));
    const second = stream.nextResponse()!;
    const nack = stream.handleRequest(
      request({ typeUrl: clusterType, versionInfo: first.sent.version, responseNonce: second.sent.nonce, errorDetail: { message: "no" } }),
    );
    assert.deepEqual(nack, { kind: "nack", typeUrl: clusterType, rejectedVersion: second.sent.version });
    assert.equal(stream.nextResponse(), undefined, "a rejected version is not sent again");
    const [status] = stream.typeStatuses();
    assert.equal(status!.lastNack!.message, "no");
    assert.equal(status!.ackedVersion, first.sent.version);
  });

  it("should ignore stale requests entirely", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: endpointType, resourceNames: ["a"] }));
    const first = stream.nextResponse()!;
    const outcome = stream.handleRequest(request({ typeUrl: endpointType, responseNonce: "other", resourceNames: ["a", "b"] }));
    assert.equal(outcome.kind, "stale");
    assert.equal(stream.typeStatuses()[0]!.awaitingAck, true, "a stale request acknowledges nothing");
    stream.handleRequest(ackOf(first, ["a"]));
    assert.equal(stream.nextResponse(), undefined, "b was never subscribed");
  });

  it("should plan a make response keeping removed clusters, then the break response, with distinct versions", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: clusterType }));
    const first = stream.nextResponse()!;
    stream.handleRequest(ackOf(first));
    stream.setSnapshot(fixtureSnapshot({ a: {}, c: {} }));
    const make = stream.nextResponse()!;
    assert.deepEqual(names(make), ["a", "b", "c"]);
    stream.handleRequest(ackOf(make));
    const brk = stream.nextResponse()!;
    assert.deepEqual(names(brk), ["a", "c"]);
    assert.equal(brk.sent.version, fixtureSnapshot({ a: {}, c: {} }).get(clusterType).version);
    assert.notEqual(make.sent.version, brk.sent.version);
  });

  it("should send removals directly on a per-type stream (no ordering to keep)", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }), clusterType);
    stream.handleRequest(request({ typeUrl: "" }));
    stream.handleRequest(ackOf(stream.nextResponse()!));
    stream.setSnapshot(fixtureSnapshot({ a: {}, c: {} }));
    assert.deepEqual(names(stream.nextResponse()), ["a", "c"]);
    assert.equal(stream.handleRequest(request({ typeUrl: endpointType })).kind, "unknown-type");
  });

  it("should hold listeners and routes for new clusters' endpoints, until sent or timed out", () => {
    let now = 0;
    const stream = streamOn(fixtureSnapshot({ a: {} }), "ads", () => now);
    stream.handleRequest(request({ typeUrl: clusterType }));
    stream.handleRequest(ackOf(stream.nextResponse()!));
    stream.handleRequest(request({ typeUrl: endpointType, resourceNames: ["a"] }));
    const eds = stream.nextResponse()!;
    stream.handleRequest(ackOf(eds, ["a"]));
    stream.handleRequest(request({ typeUrl: listenerType }));
    stream.handleRequest(ackOf(stream.nextResponse()!));
    stream.setSnapshot(fixtureSnapshot({ a: {}, b: {} }));
    const cds = stream.nextResponse()!;
    assert.equal(cds.sent.typeUrl, clusterType);
    stream.handleRequest(ackOf(cds));
    assert.equal(stream.nextResponse(), undefined, "LDS waits for b's endpoints");
    assert.equal(stream.nextDeadline(), 100);
    now = 100;
    assert.equal(stream.nextResponse()!.sent.typeUrl, listenerType, "…but not forever");
    assert.equal(stream.nextDeadline(), undefined);
  });

  it("should refuse a request naming more resources than allowed", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }));
    assert.throws(
      () => stream.handleRequest(request({ typeUrl: endpointType, resourceNames: ["a", "b", "c", "d"] })),
      (error: unknown) => error instanceof ConnectError && error.code === Code.ResourceExhausted,
    );
  });

  it("should treat a name first covered by the wildcard as already delivered", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: listenerType }));
    const first = stream.nextResponse()!;
    stream.handleRequest(ackOf(first, ["a"]));
    assert.equal(stream.nextResponse(), undefined);
    stream.handleRequest(ackOf(first, ["a", "*"]));
    assert.deepEqual(names(stream.nextResponse()), ["a", "b"], "turning the wildcard back on resends the full set");
  });

  it("should hold listeners and routes while a cluster response waits for the previous one's ACK", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }));
    stream.handleRequest(request({ typeUrl: clusterType }));
    stream.handleRequest(ackOf(stream.nextResponse()!));
    stream.handleRequest(request({ typeUrl: endpointType, resourceNames: ["a"] }));
    const eds = stream.nextResponse()!;
    stream.handleRequest(ackOf(eds, ["a"]));
    stream.handleRequest(request({ typeUrl: listenerType }));
    stream.handleRequest(ackOf(stream.nextResponse()!));
    stream.handleRequest(request({ typeUrl: routeType, resourceNames: ["a"] }));
    stream.handleRequest(ackOf(stream.nextResponse()!, ["a"]));

    stream.setSnapshot(fixtureSnapshot({ a: {}, c: {} }));
    const cdsC = stream.nextResponse()!;
    assert.deepEqual(names(cdsC), ["a", "c"]);
    stream.setSnapshot(fixtureSnapshot({ a: {}, c: {}, d: {} })); // d arrives before c's CDS is ACKed
    stream.handleRequest(
      request({ typeUrl: endpointType, versionInfo: eds.sent.version, responseNonce: eds.sent.nonce, resourceNames: ["a", "c"] }),
    );
    const edsC = stream.nextResponse()!;
    assert.deepEqual(names(edsC), ["c"]);
    stream.handleRequest(ackOf(edsC, ["a", "c"]));
    assert.equal(stream.nextResponse(), undefined, "no listener or route for d before cluster d was sent");
    stream.handleRequest(ackOf(cdsC));
    assert.deepEqual(names(stream.nextResponse()), ["a", "c", "d"], "clusters first");
  });

  it("should resend endpoints on a per-type EDS stream when Envoy re-requests the same names", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }), endpointType);
    stream.handleRequest(request({ typeUrl: endpointType, resourceNames: ["a", "b"] }));
    const first = stream.nextResponse()!;
    assert.equal(stream.handleRequest(ackOf(first, ["a", "b"])).kind, "ack");
    assert.equal(stream.nextResponse(), undefined);
    // A rebuilt cluster's new watch: same nonce, same names, after the ACK.
    assert.equal(stream.handleRequest(ackOf(first, ["a", "b"])).kind, "update");
    assert.deepEqual(names(stream.nextResponse()), ["a", "b"], "so the rebuilt cluster can finish warming");
  });

  it("should not follow a rejected make response with the break until new data arrives", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: clusterType }));
    stream.handleRequest(ackOf(stream.nextResponse()!));
    stream.setSnapshot(fixtureSnapshot({ a: {}, c: {} }));
    const make = stream.nextResponse()!;
    assert.deepEqual(names(make), ["a", "b", "c"]);
    stream.handleRequest(request({ typeUrl: clusterType, responseNonce: make.sent.nonce, errorDetail: { message: "cluster c rejected" } }));
    assert.equal(stream.nextResponse(), undefined, "the rejected content is not sent again on its own");
    stream.setSnapshot(fixtureSnapshot({ a: {}, c: { connectTimeoutSeconds: 3 } }));
    const newData = stream.nextResponse()!;
    assert.deepEqual(names(newData), ["a", "b", "c"], "new data comes as a make response again");
    stream.handleRequest(ackOf(newData));
    assert.deepEqual(names(stream.nextResponse()), ["a", "c"], "and once it is accepted, the removal follows");
  });

  it("should count a rejection once although grpc-js repeats error_detail on later requests", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: clusterType, resourceNames: ["a"] }));
    const first = stream.nextResponse()!;
    const rejected = { typeUrl: clusterType, responseNonce: first.sent.nonce, errorDetail: { message: "bad" } };
    assert.equal(stream.handleRequest(request({ ...rejected, resourceNames: ["a"] })).kind, "nack");
    assert.equal(stream.handleRequest(request({ ...rejected, resourceNames: ["a", "b"] })).kind, "update");
    assert.deepEqual(names(stream.nextResponse()), ["a", "b"], "the grown subscription is still served");
  });

  it("should answer a first RDS request only with names that exist", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }));
    stream.handleRequest(request({ typeUrl: routeType, resourceNames: ["zz"] }));
    assert.equal(stream.nextResponse(), undefined);
    stream.setSnapshot(fixtureSnapshot({ a: {}, zz: {} }));
    assert.deepEqual(names(stream.nextResponse()), ["zz"]);
  });
});
