// The delta state machine without any I/O: cases that are awkward to reach over the wire.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeltaDiscoveryRequestSchema, DeltaDiscoveryResponseSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, type Snapshot } from "../src/snapshot/index.js";
import { DeltaStream, type PendingDeltaResponse, type StreamKind } from "../src/xds/index.js";
import { encodeDeltaResponse } from "../src/xds/response-encoding.js";
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

  it("should send the endpoints of a cluster changed while the client was away, although it lists them as held", () => {
    const before = fixtureSnapshot({ a: { endpoints: ["10.0.0.1:1"] }, b: { endpoints: ["10.0.0.2:1"] } });
    const after = fixtureSnapshot({ a: { endpoints: ["10.0.0.1:1"], connectTimeoutSeconds: 9 }, b: { endpoints: ["10.0.0.2:1"] } });
    const held = (typeUrl: typeof clusterType | typeof endpointType) =>
      Object.fromEntries([...before.get(typeUrl).resources.values()].map((r) => [r.name, r.hash]));
    const stream = streamOn(after);
    // Envoy reconnecting: clusters first with what it holds; the answer leaves before it asks for endpoints.
    stream.handleRequest(request({ typeUrl: clusterType, initialResourceVersions: held(clusterType) }));
    const clusters = stream.nextResponse()!;
    assert.deepEqual(upserts(clusters), ["a"], "only the changed cluster");
    stream.handleRequest(
      request({ typeUrl: endpointType, resourceNamesSubscribe: ["a", "b"], initialResourceVersions: held(endpointType) }),
    );
    stream.handleRequest(ack(clusters));
    const endpoints = stream.nextResponse();
    assert.equal(endpoints?.sent.typeUrl, endpointType, "Envoy keeps cluster a warming until a new assignment for it arrives");
    assert.deepEqual(upserts(endpoints), ["a"], "a's assignment again; b's, unchanged and held, not");
  });

  it("should report a missing subscribed name even when it is a key every object has", () => {
    const stream = streamOn(fixtureSnapshot({ a: {} }), endpointType);
    stream.handleRequest(request({ typeUrl: endpointType, resourceNamesSubscribe: ["constructor", "__proto__"] }));
    assert.deepEqual(stream.nextResponse()?.message.removedResources.slice().sort(), ["__proto__", "constructor"]);
  });
});

describe("encodeDeltaResponse()", () => {
  it("should keep an empty name in removed_resources (a repeated field keeps empty elements)", () => {
    const frame = Buffer.concat(
      encodeDeltaResponse({
        typeUrl: endpointType,
        systemVersionInfo: "v",
        nonce: "n",
        resources: [],
        removedResources: ["", "x"],
        controlPlane: new Uint8Array(),
      }),
    );
    assert.deepEqual(fromBinary(DeltaDiscoveryResponseSchema, frame.subarray(5)).removedResources, ["", "x"]);
  });
});
