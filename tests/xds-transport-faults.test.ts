// Faults a review of the xDS transport found, each with the test that showed it: closing the port
// with a connection that never said which HTTP version it speaks, a delta reconnect over ADS whose
// changed cluster never got its endpoints, and timers beyond setTimeout's range (a long grpc-timeout,
// a long --max-connection-age) that fired at once.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  DiscoveryRequestSchema,
  type DiscoveryResponse,
  DiscoveryResponseSchema,
} from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, endpointType, SnapshotCache } from "../src/snapshot/index.js";
import { ConnectionAge } from "../src/xds/connection-age.js";
import { listenXds, XdsServer } from "../src/xds/index.js";
import { runCli } from "./support/cli-process.js";
import { upserted, versionsOf } from "./support/raw-delta-client.js";
import { grpcFrame, openRawAdsStream } from "./support/raw-grpc-request.js";
import { useXdsHarness } from "./support/xds-harness.js";

describe("closing the xDS port", () => {
  it("should end although a cleartext connection has not yet shown which HTTP version it speaks", async () => {
    const cache = new SnapshotCache();
    const server = new XdsServer({ cache });
    const listener = await listenXds({
      host: "127.0.0.1",
      port: 0,
      routes: (router) => server.registerRoutes(router),
      endStreams: () => server.endStreams(),
    });
    const idle = net.connect(listener.port, "127.0.0.1");
    idle.on("error", () => {}); // the server resets it: expected
    await once(idle, "connect");
    // A prefix of the HTTP/2 preface, then silence: neither server owns the socket yet.
    await new Promise<void>((resolve) => idle.write("PRI * HTTP", () => resolve()));
    const closedByServer = new Promise<void>((resolve) => idle.once("close", () => resolve()));
    const closing = listener.close(200);
    // A guard for the fault this test is about (close waiting forever), not a timing assertion.
    const guard = new Promise<"stuck">((resolve) => setTimeout(() => resolve("stuck"), 5_000).unref());
    assert.notEqual(
      await Promise.race([closing.then(() => "closed" as const), guard]),
      "stuck",
      "close(200) waited on the undecided socket",
    );
    await closedByServer;
  });
});

describe("a delta client reconnecting over ADS", () => {
  it("should get the endpoints of a cluster that changed while it was away, so that cluster can warm", async () => {
    const h = await useXdsHarness();
    const v1 = { a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] } };
    h.publish(v1);
    const first = h.deltaClient();
    first.subscribe(clusterType);
    const clusters = await first.next();
    first.ack(clusters);
    first.subscribe(endpointType, ["a", "b"]);
    const endpoints = await first.next();
    first.ack(endpoints);
    await first.close();

    h.publish({ a: { ...v1.a, connectTimeoutSeconds: 9 }, b: v1.b });
    const again = h.deltaClient();
    // What Envoy sends on a new stream: every type, with what it holds.
    again.send({ typeUrl: clusterType, initialResourceVersions: versionsOf(clusters) });
    again.send({ typeUrl: endpointType, resourceNamesSubscribe: ["a", "b"], initialResourceVersions: versionsOf(endpoints) });
    const changed = await again.next();
    assert.equal(changed.typeUrl, clusterType);
    assert.deepEqual(upserted(changed), ["a"]);
    again.ack(changed);
    const warming = await again.next();
    assert.equal(warming.typeUrl, endpointType);
    assert.deepEqual(upserted(warming), ["a"], "a's assignment again (b's, unchanged, not)");
  });
});

describe("timers beyond setTimeout's range", () => {
  it("should keep a stream with a 30-day grpc-timeout open", async () => {
    const h = await useXdsHarness();
    h.publish({ a: { endpoints: ["10.0.0.1:8080"] } });
    const session = http2.connect(h.baseUrl);
    try {
      const stream = openRawAdsStream(session, { "grpc-timeout": "720H" });
      const chunks: Buffer[] = [];
      const responses: DiscoveryResponse[] = [];
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        let all = Buffer.concat(chunks);
        while (all.length >= 5 && all.length >= 5 + all.readUInt32BE(1)) {
          const length = all.readUInt32BE(1);
          responses.push(fromBinary(DiscoveryResponseSchema, all.subarray(5, 5 + length)));
          all = all.subarray(5 + length);
        }
        chunks.length = 0;
        if (all.length > 0) chunks.push(all);
      });
      let status: string | undefined;
      stream.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
      const request = (init: Parameters<typeof create<typeof DiscoveryRequestSchema>>[1]) =>
        stream.write(grpcFrame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, init))));
      const nextResponse = async (count: number) => {
        while (responses.length < count) {
          if (status !== undefined) assert.fail(`the stream ended with grpc-status ${status}`);
          await once(stream, "data");
        }
        return responses[count - 1]!;
      };
      request({ typeUrl: clusterType, node: { id: "n" } });
      const first = await nextResponse(1);
      request({ typeUrl: clusterType, versionInfo: first.versionInfo, responseNonce: first.nonce });
      // A later change still reaches it: the deadline did not end the stream after 1 ms.
      h.publish({ a: { endpoints: ["10.0.0.1:8080"] }, b: {} });
      await nextResponse(2);
      assert.equal(status, undefined);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    } finally {
      session.destroy();
    }
  });

  it("should refuse a connection age timers cannot wait for, in the code and on the command line", async () => {
    assert.throws(() => new ConnectionAge({ maxAgeMs: 720 * 3_600_000, graceMs: 30_000 }), RangeError);
    assert.doesNotThrow(() => new ConnectionAge({ maxAgeMs: 480 * 3_600_000, graceMs: 30_000 }));
    const refused = await runCli(["serve", "--max-connection-age", "720h"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--max-connection-age must be at most 480h/);
  });
});
