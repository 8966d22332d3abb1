// The gRPC framing the streaming fast path does itself: request frames read from whatever chunks
// HTTP/2 delivers, responses written as frames whose shared resource bytes are never copied, and
// every failure turned into grpc-status / grpc-message, both in isolation and over real HTTP/2.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { AggregatedDiscoveryService } from "../src/gen/envoy/service/discovery/v3/ads_pb.js";
import {
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType } from "../src/snapshot/index.js";
import { GrpcFrameReader } from "../src/xds/grpc-frame-reader.js";
import { type FramedMessage, joinFrames } from "../src/xds/grpc-frame-writer.js";
import { createGrpcStreamHandler } from "../src/xds/grpc-stream-handler.js";
import { nodeResponseKey } from "../src/xds/request-context.js";
import { encodeDeltaResponse, encodeSotwResponse } from "../src/xds/response-encoding.js";
import { fixtureSnapshot } from "./support/fixtures.js";
import { grpcFrame, openRawAdsStream } from "./support/raw-grpc-request.js";
import { type RecordingHooks, recordingHooks } from "./support/recording-hooks.js";
import { useXdsHarness, type XdsHarness } from "./support/xds-harness.js";

const bytes = (...values: number[]) => new Uint8Array(values);
/** Messages as plain byte lists, to compare them whatever their array class. */
const plain = (messages: readonly Uint8Array[]) => messages.map((message) => [...message]);
const concat = (chunks: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

/** Reads every message out of `chunks` pushed one after another. */
async function readAll(reader: GrpcFrameReader, chunks: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const messages: Uint8Array[] = [];
  for (const chunk of chunks) messages.push(...(await reader.push(chunk)));
  reader.end();
  return messages;
}

const rejectsWith = (code: Code) => (error: unknown) => error instanceof ConnectError && error.code === code;

describe("GrpcFrameReader", () => {
  const limit = { readMaxBytes: 1024, compression: null };

  it("should reassemble a frame delivered one byte per chunk", async () => {
    const frame = grpcFrame(bytes(1, 2, 3, 4, 5, 6, 7));
    const chunks = [...frame].map((byte) => bytes(byte));
    assert.deepEqual(plain(await readAll(new GrpcFrameReader(limit), chunks)), [[1, 2, 3, 4, 5, 6, 7]]);
  });

  it("should return every frame of a chunk that holds several, and keep a partial one for later", async () => {
    const all = Buffer.concat([grpcFrame(bytes(1)), grpcFrame(bytes()), grpcFrame(bytes(2, 3)), grpcFrame(bytes(4, 5, 6))]);
    const reader = new GrpcFrameReader(limit);
    const first = await reader.push(all.subarray(0, all.length - 2));
    assert.deepEqual(plain(first), [[1], [], [2, 3]]);
    assert.deepEqual(plain(await reader.push(all.subarray(all.length - 2))), [[4, 5, 6]]);
    reader.end();
  });

  it("should read a message of several megabytes split into HTTP/2-sized chunks", async () => {
    const message = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    const frame = grpcFrame(message);
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < frame.length; offset += 16_384) chunks.push(frame.subarray(offset, offset + 16_384));
    const [read] = await readAll(new GrpcFrameReader({ readMaxBytes: 4 * 1024 * 1024, compression: null }), chunks);
    assert.equal(read!.length, message.length);
    assert.ok(Buffer.from(read!).equals(Buffer.from(message)));
  });

  it("should refuse a frame over the limit from its prefix alone, before the body arrives", () => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(1025, 1);
    assert.throws(() => new GrpcFrameReader(limit).push(prefix), rejectsWith(Code.ResourceExhausted));
    prefix.writeUInt32BE(1024, 1);
    assert.deepEqual(new GrpcFrameReader(limit).push(prefix), [], "a frame at the limit is accepted (and awaited)");
  });

  it("should inflate a compressed frame with the request's encoding, and refuse one without", async () => {
    const message = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: clusterType }));
    const frame = grpcFrame(gzipSync(message));
    frame[0] = 1;
    const [read] = await readAll(new GrpcFrameReader({ readMaxBytes: 1024, compression: compressionGzip }), [frame]);
    assert.equal(fromBinary(DiscoveryRequestSchema, read!).typeUrl, clusterType);
    await assert.rejects(Promise.resolve(new GrpcFrameReader(limit).push(frame)), rejectsWith(Code.Internal));
  });

  it("should refuse a compressed frame that inflates beyond the limit or is not gzip", async () => {
    const big = grpcFrame(gzipSync(new Uint8Array(10_000)));
    big[0] = 1;
    await assert.rejects(
      Promise.resolve(new GrpcFrameReader({ readMaxBytes: 1024, compression: compressionGzip }).push(big)),
      rejectsWith(Code.ResourceExhausted),
    );
    const garbage = grpcFrame(bytes(1, 2, 3, 4, 5));
    garbage[0] = 1;
    await assert.rejects(
      Promise.resolve(new GrpcFrameReader({ readMaxBytes: 1024, compression: compressionGzip }).push(garbage)),
      rejectsWith(Code.InvalidArgument),
    );
  });

  it("should refuse an undefined flag byte and a body that ends inside a frame", () => {
    assert.throws(() => new GrpcFrameReader(limit).push(bytes(7, 0, 0, 0, 0)), rejectsWith(Code.InvalidArgument));
    const reader = new GrpcFrameReader(limit);
    reader.push(grpcFrame(bytes(1, 2, 3)).subarray(0, 6));
    assert.throws(() => reader.end(), rejectsWith(Code.InvalidArgument));
  });
});

describe("encodeSotwResponse() and encodeDeltaResponse()", () => {
  const snapshot = fixtureSnapshot(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`service-${i}`, {}])));
  const clusters = [...snapshot.get(clusterType).resources.values()];
  const controlPlane = new Uint8Array([0x0a, 0x01, 0x78]);

  it("should write a frame that decodes as the DiscoveryResponse it stands for", () => {
    const frame = concat(
      encodeSotwResponse({
        $typeName: "consulxdsbridge.xds.v1.EncodedDiscoveryResponse",
        versionInfo: "v1",
        resources: clusters.map((c) => c.any),
        canary: false,
        typeUrl: clusterType,
        nonce: "n-1",
        controlPlane,
      }),
    );
    assert.equal(frame[0], 0, "not compressed");
    assert.equal(Buffer.from(frame).readUInt32BE(1), frame.length - 5, "the prefix gives the message length");
    const response = fromBinary(DiscoveryResponseSchema, frame.subarray(5));
    assert.equal(response.versionInfo, "v1");
    assert.equal(response.typeUrl, clusterType);
    assert.equal(response.nonce, "n-1");
    assert.equal(response.controlPlane?.identifier, "x");
    assert.deepEqual(
      response.resources.map((any) => fromBinary(ClusterSchema, any.value).name),
      clusters.map((c) => c.name),
    );
  });

  it("should pass the resources of a large shared list by reference, the same bytes for every stream", () => {
    const anys = clusters.map((c) => c.any);
    const message = (nonce: string) =>
      encodeSotwResponse({
        $typeName: "consulxdsbridge.xds.v1.EncodedDiscoveryResponse",
        versionInfo: "v1",
        resources: anys,
        canary: false,
        typeUrl: clusterType,
        nonce,
        controlPlane,
      });
    const [headA, blockA] = message("a");
    const [headB, blockB] = message("b");
    assert.ok(blockA && blockA.length > 16 * 1024, "the resource block is a chunk of its own");
    assert.equal(blockA, blockB, "one block shared by both responses");
    assert.notDeepEqual(headA, headB, "each response has its own nonce");
  });

  it("should write a delta frame with per-resource versions and removals", () => {
    const [first, second] = clusters;
    const frame = concat(
      encodeDeltaResponse({
        typeUrl: clusterType,
        systemVersionInfo: "sys",
        nonce: "n-2",
        resources: [first!, second!],
        removedResources: ["gone-1", "gone-2"],
        controlPlane,
      }),
    );
    const response = fromBinary(DeltaDiscoveryResponseSchema, frame.subarray(5));
    assert.equal(response.systemVersionInfo, "sys");
    assert.equal(response.nonce, "n-2");
    assert.deepEqual(response.removedResources, ["gone-1", "gone-2"]);
    assert.deepEqual(
      response.resources.map((r) => [r.name, r.version, r.resource?.typeUrl]),
      [first!, second!].map((c) => [c.name, c.hash, clusterType]),
    );
    assert.equal(fromBinary(ClusterSchema, response.resources[1]!.resource!.value).name, second!.name);
  });

  it("should join small frames of a batch into one chunk and keep large ones apart", () => {
    const small = [bytes(0, 0, 0, 0, 1, 9)];
    const large = [bytes(0, 0, 0, 0x40, 0), new Uint8Array(0x4000)];
    const chunks = joinFrames([small, small, large, small]);
    assert.deepEqual(
      chunks.map((c) => c.length),
      [6 + 6 + 5, 0x4000, 6],
    );
    assert.equal(chunks[1], large[1], "the large part is not copied");
  });
});

/** Writes `chunks` as separate DATA frames on a raw ADS stream and collects what comes back. */
async function rawExchange(
  baseUrl: string,
  options: { headers?: http2.OutgoingHttpHeaders; chunks: readonly Uint8Array[]; responses?: number; end?: boolean },
) {
  const session = http2.connect(baseUrl);
  try {
    const stream = openRawAdsStream(session, options.headers ?? {});
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const data: Buffer[] = [];
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    // The status: in the trailers, or in the headers of a trailers-only response.
    const finished = new Promise<void>((resolve) => {
      stream.on("trailers", () => resolve());
      stream.on("response", (h) => h["grpc-status"] !== undefined && resolve());
      stream.on("close", () => resolve());
    });
    const wanted = options.responses ?? 0;
    const enough = new Promise<void>((resolve) => {
      if (wanted === 0) resolve();
      stream.on("data", (chunk: Buffer) => {
        data.push(chunk);
        if (countFrames(Buffer.concat(data)) >= wanted) resolve();
      });
    });
    for (const chunk of options.chunks) {
      stream.write(chunk);
      await new Promise<void>((resolve) => setImmediate(resolve)); // a DATA frame each
    }
    if (options.end) stream.end();
    await (wanted > 0 ? enough : finished);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const status = trailers["grpc-status"] ?? headers["grpc-status"];
    const message = trailers["grpc-message"] ?? headers["grpc-message"];
    return { headers, status, message: message === undefined ? undefined : decodeURIComponent(String(message)), body: Buffer.concat(data) };
  } finally {
    session.destroy();
  }
}

function countFrames(body: Buffer): number {
  let count = 0;
  for (let offset = 0; offset + 5 <= body.length; count++) {
    const next = offset + 5 + body.readUInt32BE(offset + 1);
    if (next > body.length) break;
    offset = next;
  }
  return count;
}

/** The DiscoveryResponses in a response body. */
function responsesIn(body: Buffer) {
  const responses = [];
  for (let offset = 0; offset + 5 <= body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    responses.push(fromBinary(DiscoveryResponseSchema, body.subarray(offset + 5, offset + 5 + length)));
    offset += 5 + length;
  }
  return responses;
}

/** The ACK of `response`: its version and nonce, for the same type. */
const ack = (response: { typeUrl: string; versionInfo: string; nonce: string }) =>
  toBinary(
    DiscoveryRequestSchema,
    create(DiscoveryRequestSchema, { typeUrl: response.typeUrl, versionInfo: response.versionInfo, responseNonce: response.nonce }),
  );

/** Collects a raw stream's response body; `until(n)` resolves with it once it holds n whole frames (or fails after 5 s). */
function frameCollector(stream: http2.ClientHttp2Stream) {
  const data: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => data.push(chunk));
  return {
    async until(frames: number): Promise<Buffer> {
      const signal = AbortSignal.timeout(5_000);
      while (countFrames(Buffer.concat(data)) < frames) await once(stream, "data", { signal });
      return Buffer.concat(data);
    },
  };
}

const request = (typeUrl: string, resourceNames: string[] = []) =>
  toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl, resourceNames, node: { id: "framing" } }));

describe("the streaming fast path over HTTP/2", () => {
  const services = { a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] } };

  it("should answer a request that arrives one byte per DATA frame", async () => {
    const h = await useXdsHarness();
    h.publish(services);
    const frame = grpcFrame(request(clusterType));
    const result = await rawExchange(h.baseUrl, { chunks: [...frame].map((byte) => bytes(byte)), responses: 1 });
    const [response] = responsesIn(result.body);
    assert.equal(response!.typeUrl, clusterType);
    assert.equal(response!.resources.length, 2);
  });

  it("should answer every request of a chunk holding several", async () => {
    const h = await useXdsHarness();
    h.publish(services);
    const both = Buffer.concat([grpcFrame(request(clusterType)), grpcFrame(request(endpointType, ["a", "b"]))]);
    const result = await rawExchange(h.baseUrl, { chunks: [both], responses: 2 });
    assert.deepEqual(
      responsesIn(result.body).map((r) => r.typeUrl),
      [clusterType, endpointType],
    );
  });

  it("should write a response of several hundred kilobytes as one well-formed frame", async () => {
    const h = await useXdsHarness();
    h.publish(Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`service-${i}`, {}])));
    const result = await rawExchange(h.baseUrl, { chunks: [grpcFrame(request(clusterType))], responses: 1 });
    assert.ok(result.body.length > 200_000, `a large response (${result.body.length} bytes)`);
    const [response] = responsesIn(result.body);
    assert.equal(response!.resources.length, 3_000);
    assert.equal(fromBinary(ClusterSchema, response!.resources[2_999]!.value).name.startsWith("service-"), true);
  });

  it("should read a gzip-compressed request", async () => {
    const h = await useXdsHarness();
    h.publish(services);
    const frame = grpcFrame(gzipSync(request(clusterType)));
    frame[0] = 1;
    const result = await rawExchange(h.baseUrl, { headers: { "grpc-encoding": "gzip" }, chunks: [frame], responses: 1 });
    assert.equal(responsesIn(result.body)[0]!.typeUrl, clusterType);
  });

  it("should refuse a request encoding it cannot read with UNIMPLEMENTED, naming the ones it can", async () => {
    const h = await useXdsHarness();
    const result = await rawExchange(h.baseUrl, { headers: { "grpc-encoding": "snappy" }, chunks: [], end: true });
    assert.equal(result.status, String(Code.Unimplemented));
    assert.match(String(result.headers["grpc-accept-encoding"]), /gzip/);
  });

  it("should end a stream whose frame is over the limit with RESOURCE_EXHAUSTED in the trailers", async () => {
    const h = await useXdsHarness({ listener: { readMaxBytes: 64 } });
    h.publish(services);
    const result = await rawExchange(h.baseUrl, { chunks: [grpcFrame(new Uint8Array(65))] });
    assert.equal(result.status, String(Code.ResourceExhausted));
    assert.match(result.message ?? "", /larger than configured readMaxBytes 64/);
  });

  it("should end a stream whose request ends inside a frame with INVALID_ARGUMENT", async () => {
    const h = await useXdsHarness();
    const result = await rawExchange(h.baseUrl, { chunks: [grpcFrame(request(clusterType)).subarray(0, 8)], end: true });
    assert.equal(result.status, String(Code.InvalidArgument));
    assert.match(result.message ?? "", /ended inside a message/);
  });

  it("should end a stream with DEADLINE_EXCEEDED when its grpc-timeout passes", async () => {
    const h = await useXdsHarness();
    h.publish(services);
    const result = await rawExchange(h.baseUrl, { headers: { "grpc-timeout": "50m" }, chunks: [grpcFrame(request(clusterType))] });
    assert.equal(result.status, String(Code.DeadlineExceeded));
    assert.equal(responsesIn(result.body).length, 1, "the response sent before the deadline arrived");
  });

  // After the first response (written by Connect's adapter, with the head), responses are written to
  // the HTTP/2 response directly; these cover that writer in flow control.
  /** Services a and b plus `count` more (only ever added: a removal would come in a "break" response of its own). */
  const grown = (count: number) => ({ ...services, ...Object.fromEntries(Array.from({ length: count }, (_, i) => [`service-${i}`, {}])) });

  /**
   * Opens a raw ADS stream, reads the first CDS response, stops reading, ACKs it and publishes
   * 3,000 more clusters: the second response (~300 kB) then outgrows the 64 kB stream window.
   */
  async function withSecondResponseStuck(h: XdsHarness, rec: RecordingHooks, headers: http2.OutgoingHttpHeaders = {}) {
    h.publish(services);
    const session = http2.connect(h.baseUrl);
    const stream = openRawAdsStream(session, headers);
    const frames = frameCollector(stream);
    stream.write(grpcFrame(request(clusterType)));
    const [first] = responsesIn(await frames.until(1));
    assert.equal(first!.resources.length, 2);
    stream.pause();
    stream.write(grpcFrame(ack(first!)));
    await rec.until(() => rec.requests.some((r) => r.kind === "ack"));
    h.publish(grown(3_000));
    await rec.until(() => rec.responses.length === 2);
    return { session, stream, frames, first: first! };
  }

  it("should deliver a later response held up by flow control whole, in order, and keep writing after it", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    const { session, stream, frames, first } = await withSecondResponseStuck(h, rec);
    try {
      stream.resume();
      const second = responsesIn(await frames.until(2))[1]!;
      assert.equal(second.resources.length, 3_002);
      assert.notEqual(second.versionInfo, first.versionInfo);
      stream.write(grpcFrame(ack(second)));
      h.publish(grown(3_001));
      const third = responsesIn(await frames.until(3))[2]!;
      assert.equal(third.resources.length, 3_003, "the writer went on after the drain");
      stream.close(http2.constants.NGHTTP2_CANCEL);
    } finally {
      session.destroy();
    }
  });

  it("should release a stream reset while a later response is stuck in flow control", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    const { session, stream } = await withSecondResponseStuck(h, rec);
    try {
      assert.equal(h.cache.watchCount(), 1);
      stream.close(http2.constants.NGHTTP2_CANCEL); // the session stays open
      await rec.until(() => rec.closes.length === 1);
      assert.equal(h.server.streamCount, 0, "the stream is released");
      assert.equal(h.cache.watchCount(), 0, "and its watch removed");
    } finally {
      session.destroy();
    }
  });

  it("should reset a stream whose deadline passes while a response is stuck in flow control, and release it", async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks });
    const { session, stream } = await withSecondResponseStuck(h, rec, { "grpc-timeout": "2S" });
    try {
      let reset = false;
      stream.on("close", () => (reset = true));
      // Neither the rest of the response nor the trailers could reach a client that does not read.
      await rec.until(() => reset && rec.closes.length === 1);
      assert.equal(stream.rstCode, http2.constants.NGHTTP2_CANCEL);
      assert.equal(h.server.streamCount, 0);
      assert.equal(h.cache.watchCount(), 0);
    } finally {
      session.destroy();
    }
  });

  it("should answer a GET with 405 and a non-gRPC content type with 415", async () => {
    const h = await useXdsHarness();
    const session = http2.connect(h.baseUrl);
    try {
      const statusOf = async (headers: http2.OutgoingHttpHeaders) => {
        const stream = session.request({
          ":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
          ...headers,
        });
        const [response] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
        stream.close();
        return response[":status"];
      };
      assert.equal(await statusOf({ ":method": "GET", "content-type": "application/grpc" }), 405);
      assert.equal(await statusOf({ ":method": "POST", "content-type": "application/json" }), 415);
    } finally {
      session.destroy();
    }
  });
});

describe("createGrpcStreamHandler() writing later batches directly", () => {
  it("should end the served iterator when the stream closed under the writer", async () => {
    let returned = 0;
    const batch: FramedMessage[] = [[grpcFrame(bytes(1, 2, 3))]];
    const batches: AsyncIterator<readonly FramedMessage[]> = {
      next: async () => ({ value: batch, done: false }),
      return: async () => {
        returned++;
        return { value: undefined, done: true };
      },
    };
    const handler = createGrpcStreamHandler({ method: AggregatedDiscoveryService.method.streamAggregatedResources, serve: () => batches });
    let headersSent = false;
    const writes: unknown[] = [];
    // What the writer reads of an Http2ServerResponse whose stream has just closed ('close' still to come).
    const response = {
      get headersSent() {
        return headersSent;
      },
      stream: { closed: true, destroyed: false, writableLength: 0 },
      write: (chunk: unknown) => writes.push(chunk) > 0,
      once: () => response,
      off: () => response,
    };
    const answer = await handler({
      httpVersion: "2.0",
      method: "POST",
      url: "http://xds.invalid/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
      header: new Headers({ "content-type": "application/grpc" }),
      body: (async function* () {})(),
      signal: new AbortController().signal,
      contextValues: createContextValues().set(nodeResponseKey, response as unknown as http2.Http2ServerResponse),
    });
    const body = answer.body![Symbol.asyncIterator]();
    assert.equal((await body.next()).done, false, "the first batch goes through the adapter");
    headersSent = true; // which writes the head with it
    assert.equal((await body.next()).done, true, "the body ends once the writer finds the stream closed");
    assert.equal(writes.length, 0, "nothing is written to a closed stream");
    assert.equal(returned, 1, "and the served iterator (the session, with its watch) is ended");
  });
});
