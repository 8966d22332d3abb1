// The delta state machine without any I/O: cases that are awkward to reach over the wire.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeltaDiscoveryRequestSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, type Snapshot } from "../src/snapshot/index.js";
import { DeltaStream, type PendingDeltaResponse, type StreamKind } from "../src/xds/index.js";
import { fixtureSnapshot } from "./support/fixtures.js";

function streamOn(snapshot: Snapshot, kind: StreamKind = "ads") {
  const stream = new DeltaStream({
    id: 3,
    kind,
    peer: "",
    now: () => 0,
    nodeGroup: () => "default",
    maxResourceNames: 5,
    endpointWarmingTimeoutMs: 100,
    controlPlane: new Uint8Array(),
  });
  stream.setSnapshot(snapshot);
  return stream;
}

const request = (init: MessageInitShape<typeof DeltaDiscoveryRequestSchema>) => create(DeltaDiscoveryRequestSchema, init);
const ack = (r: PendingDeltaResponse, more: MessageInitShape<typeof DeltaDiscoveryRequestSchema> = {}) =>
  request({ typeUrl: r.sent.typeUrl, responseNonce: r.sent.nonce, ...more });
const upserts = (r: PendingDeltaResponse | undefined) => (r ? r.message.resources.map((x) => x.name).sort() : undefined);

describe("DeltaStream", () => {
  it("should send what the explicit names did not bring once the wildcard is added", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {}, c: {} }));
    stream.handleRequest(request({ typeUrl: clusterType, resourceNamesSubscribe: ["a"] }));
    const first = stream.nextResponse()!;
    assert.deepEqual(upserts(first), ["a"]);
    stream.handleRequest(ack(first, { resourceNamesSubscribe: ["*"] }));
    assert.deepEqual(upserts(stream.nextResponse()), ["b", "c"], "a is held already; b and c are new to the client");
  });

  it("should re-read holdings after a wildcard added while a response was in flight", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: clusterType, resourceNamesSubscribe: ["a"] }));
    const first = stream.nextResponse()!;
    stream.handleRequest(request({ typeUrl: clusterType, resourceNamesSubscribe: ["*"] }));
    assert.equal(stream.nextResponse(), undefined, "one response in flight");
    stream.handleRequest(ack(first));
    assert.deepEqual(upserts(stream.nextResponse()), ["b"]);
  });

  it("should send a rejected resource again when a subscribe names it", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }));
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["a"] }));
    const rejected = stream.nextResponse()!;
    const outcome = stream.handleRequest(ack(rejected, { errorDetail: { message: "bad" } }));
    assert.deepEqual(outcome, { kind: "nack", typeUrl: endpointType, rejectedVersion: rejected.sent.version });
    assert.equal(stream.nextResponse(), undefined, "not resent on its own");
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["a"] }));
    assert.deepEqual(upserts(stream.nextResponse()), ["a"], "but sent when asked for by name");
  });

  it("should keep a name subscribed during a response in flight for the next response, even if the response carried it", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }));
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["a"] }));
    const first = stream.nextResponse()!;
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["a"] }));
    stream.handleRequest(ack(first));
    assert.deepEqual(upserts(stream.nextResponse()), ["a"], "the client may have dropped it in between");
  });

  it("should not report again a missing name it already reported", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }), endpointType);
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["x"] }));
    const missing = stream.nextResponse()!;
    assert.deepEqual(missing.message.removedResources, ["x"]);
    stream.handleRequest(ack(missing));
    stream.setSnapshot(fixtureSnapshot({ a: { endpoints: ["10.0.0.1:1"] } }));
    assert.equal(stream.nextResponse(), undefined, "x is still missing, a is not subscribed");
  });

  it("should list what the client holds, and refuse a request naming more than the limit", () => {
    const stream = streamOn(fixtureSnapshot({ a: {}, b: {} }));
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["a", "missing"] }));
    const first = stream.nextResponse()!;
    assert.deepEqual(
      stream.delivered(endpointType).map((d) => [d.name, d.resource?.name]),
      [
        ["a", undefined],
        ["missing", undefined],
      ],
      "nothing is held before the ACK",
    );
    stream.handleRequest(ack(first));
    const held = stream.nextResponse()!;
    stream.handleRequest(ack(held));
    assert.deepEqual(
      stream.delivered(endpointType).map((d) => [d.name, d.resource?.name]),
      [
        ["a", "a"],
        ["missing", undefined],
      ],
    );
    assert.throws(
      () => stream.handleRequest(request({ typeUrl: clusterType, resourceNamesSubscribe: ["1", "2", "3", "4", "5", "6"] })),
      (error: unknown) => error instanceof ConnectError && error.code === Code.ResourceExhausted,
    );
  });
});
