// Fuzzing the xDS streams (issue 14, xDS half): generated and mutated DiscoveryRequests and
// DeltaDiscoveryRequests — valid ones with fields changed, corrupted bytes, truncated frames, wrong
// length prefixes, random bytes — written to a live server, each on a stream of its own. Every stream
// must end with a gRPC status, the process must keep serving, and two witness streams opened before
// the run (one SotW, one delta) must keep their state and receive the next change.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../src/snapshot/index.js";
import { upserted } from "./support/raw-delta-client.js";
import { grpcFrame } from "./support/raw-grpc-request.js";
import { responseNames } from "./support/raw-xds-client.js";
import { recordingHooks } from "./support/recording-hooks.js";
import { useXdsHarness } from "./support/xds-harness.js";

const sotwPaths = [
  "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
  "/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters",
  "/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints",
];
const deltaPaths = [
  "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
  "/envoy.service.listener.v3.ListenerDiscoveryService/DeltaListeners",
  "/envoy.service.route.v3.RouteDiscoveryService/DeltaRoutes",
];

const typeUrl = fc.oneof(
  fc.constantFrom(clusterType, endpointType, listenerType, routeType, "", "type.googleapis.com/envoy.api.v2.Cluster"),
  fc.string({ maxLength: 40 }),
);
const names = fc.array(fc.oneof(fc.constantFrom("a", "b", "*", "missing"), fc.string({ maxLength: 12 })), { maxLength: 12 });
const node = fc.option(
  fc.record({
    id: fc.string({ maxLength: 20 }),
    cluster: fc.string({ maxLength: 10 }),
    userAgentName: fc.constantFrom("envoy", "gRPC Node", ""),
  }),
  { nil: undefined },
);
const errorDetail = fc.option(fc.record({ code: fc.integer({ min: 0, max: 16 }), message: fc.string({ maxLength: 30 }) }), {
  nil: undefined,
});

const sotwRequest = fc
  .record({
    typeUrl,
    resourceNames: names,
    versionInfo: fc.string({ maxLength: 20 }),
    responseNonce: fc.string({ maxLength: 8 }),
    node,
    errorDetail,
  })
  .map((fields) => toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, fields)));
const deltaRequest = fc
  .record({
    typeUrl,
    resourceNamesSubscribe: names,
    resourceNamesUnsubscribe: names,
    initialResourceVersions: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 32 }), { maxKeys: 6 }),
    responseNonce: fc.string({ maxLength: 8 }),
    node,
    errorDetail,
  })
  .map((fields) => toBinary(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, fields)));

/** A valid encoding with bytes flipped, inserted or removed. */
const mutated = (valid: fc.Arbitrary<Uint8Array>) =>
  fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("flip", "insert", "delete")), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([bytes, edits]) => {
      const out = [...bytes];
      for (const [at, value, edit] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (edit === "flip") out[i] = value;
        else if (edit === "insert") out.splice(i, 0, value);
        else out.splice(i, 1);
      }
      return Uint8Array.from(out);
    });

type Input = { kind: string; path: string; body: Buffer };

/** One stream's body: some frames of one protocol, in one of the shapes a broken client sends. */
function streamInput(paths: readonly string[], valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Input> {
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    fc.record({
      kind: fc.constant("valid"),
      path,
      body: fc.array(valid, { minLength: 1, maxLength: 3 }).map((ms) => Buffer.concat(ms.map(grpcFrame))),
    }),
    fc.record({
      kind: fc.constant("mutated"),
      path,
      body: fc.array(mutated(valid), { minLength: 1, maxLength: 3 }).map((ms) => Buffer.concat(ms.map(grpcFrame))),
    }),
    fc.record({
      kind: fc.constant("truncated"),
      path,
      body: fc.tuple(valid, fc.nat()).map(([m, cut]) => {
        const frame = grpcFrame(m);
        return frame.subarray(0, 1 + (cut % Math.max(1, frame.length - 1)));
      }),
    }),
    fc.record({
      kind: fc.constant("bad-length"),
      path,
      body: fc.tuple(valid, fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 255 })).map(([m, length, flag]) => {
        const frame = grpcFrame(m);
        frame.writeUInt32BE(length, 1);
        frame[0] = flag;
        return frame;
      }),
    }),
    fc.record({ kind: fc.constant("random"), path, body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }),
  );
}

/** Writes one input on a stream of its own, half-closes, and returns the gRPC status it ended with. */
function exchange(session: http2.ClientHttp2Session, input: Input): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": input.path, "content-type": "application/grpc", te: "trailers" });
    let status: string | undefined;
    const timer = setTimeout(() => reject(new Error(`no end within 10 s for a ${input.kind} input on ${input.path}`)), 10_000);
    stream.on("response", (headers) => (status ??= headers["grpc-status"] as string | undefined));
    stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
    stream.on("error", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      resolve(status);
    });
    stream.resume();
    stream.end(input.body);
  });
}

describe("fuzzing the xDS streams", () => {
  it("should end every generated or mutated stream with a gRPC status, and keep serving the others", { timeout: 300_000 }, async () => {
    const rec = recordingHooks();
    const h = await useXdsHarness({ hooks: rec.hooks, listener: { readMaxBytes: 64 * 1024 } });
    h.publish({ a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] } });
    const sotw = h.client();
    sotw.subscribe(clusterType);
    const sotwFirst = await sotw.next();
    sotw.ack(sotwFirst);
    const delta = h.deltaClient();
    delta.subscribe(clusterType);
    delta.ack(await delta.next());

    const seed = Number(process.env.FUZZ_SEED ?? 20_261_201);
    const perRun = 20;
    const runs = 500;
    const outcomes = new Map<string, number>();
    const session = http2.connect(h.baseUrl, { settings: { enablePush: false } });
    session.on("error", () => {});
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(streamInput(sotwPaths, sotwRequest), streamInput(deltaPaths, deltaRequest)), {
            minLength: perRun,
            maxLength: perRun,
          }),
          async (inputs) => {
            const statuses = await Promise.all(inputs.map((input) => exchange(session, input)));
            for (const [i, status] of statuses.entries()) {
              const kind = inputs[i]!.kind;
              const key = `${kind} → ${status === undefined ? "no status" : `status ${status}`}`;
              outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
              if (status === undefined) return false;
              if (kind === "valid" && status !== "0") return false;
            }
            return true;
          },
        ),
        { numRuns: runs, seed },
      );
    } finally {
      session.destroy();
    }
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    console.log(
      `fuzzed ${total} streams (seed ${seed}):\n${[...outcomes]
        .sort()
        .map(([k, n]) => `  ${k}: ${n}`)
        .join("\n")}`,
    );
    assert.ok(total >= 10_000, `at least 10,000 inputs (${total})`);

    // The witnesses kept their state: the next change reaches them as an update, nothing else queued.
    h.publish({ a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] }, c: {} });
    const sotwNext = await sotw.next();
    assert.deepEqual(responseNames(sotwNext).sort(), ["a", "b", "c"]);
    assert.notEqual(sotwNext.versionInfo, sotwFirst.versionInfo);
    assert.deepEqual(upserted(await delta.next()), ["c"], "the delta witness gets only what changed");
    await rec.until(() => h.server.streamCount === 2);
    assert.equal(h.cache.watchCount(), 2, "every fuzzed stream released its watch");
  });
});
