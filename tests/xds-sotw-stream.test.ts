// The stream state machine without any I/O: what it sends, and — exactly — when it sends nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DiscoveryRequestSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, listenerType, routeType, type Snapshot } from "../src/snapshot/index.js";
import { SotwStream, type PendingResponse, type StreamKind } from "../src/xds/index.js";
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

  it("should answer a first RDS request only with names that exist", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }));
    stream.handleRequest(request({ typeUrl: routeType, resourceNames: ["zz"] }));
    assert.equal(stream.nextResponse(), undefined);
    stream.setSnapshot(fixtureSnapshot({ a: {}, zz: {} }));
    assert.deepEqual(names(stream.nextResponse()), ["zz"]);
  });
});
