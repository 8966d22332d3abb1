// REST-JSON polling (Envoy's `api_type: REST`) on the xDS port: POST /v3/discovery:<type> with a
// proto3-JSON DiscoveryRequest, over HTTP/1.1 and HTTP/2, clear text and TLS, next to the gRPC
// streams on the same port.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import * as net from "node:net";
import { Duplex } from "node:stream";
import { describe, it } from "node:test";
import { create, fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { ApiConfigSource_ApiType, ApiVersion } from "../src/gen/envoy/config/core/v3/config_source_pb.js";
import { ClusterLoadAssignmentSchema } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { clusterType, contentVersion, endpointType, listenerType } from "../src/snapshot/index.js";
import { envoyTypeRegistry } from "../src/validate/index.js";
import { grpcFrame } from "./support/raw-grpc-request.js";
import { responseNames } from "./support/raw-xds-client.js";
import { createTestPki } from "./support/test-pki.js";
import { useXdsHarness } from "./support/xds-harness.js";

const twoServices = { a: { endpoints: ["10.0.0.1:8080"] }, b: { endpoints: ["10.0.0.2:8080"] } };

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly httpVersion: string;
}

/** POSTs `body` over HTTP/1.1 (node:http or node:https), on a fresh connection. */
function post1(url: string, path: string, body: string, headers: Record<string, string> = {}, ca?: string): Promise<Answer> {
  const target = new URL(path, url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      { method: "POST", headers: { "content-type": "application/json", ...headers }, agent: false, ...(ca ? { ca } : {}) },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: text, httpVersion: response.httpVersion }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** POSTs `body` over HTTP/2 (h2c, or TLS with ALPN h2). */
async function post2(
  url: string,
  path: string,
  body: string,
  ca?: string,
  createConnection?: () => Duplex,
  authority?: string,
): Promise<Answer> {
  const session = http2.connect(url, { ...(ca ? { ca } : {}), ...(createConnection ? { createConnection } : {}) });
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/json",
      ...(authority ? { ":authority": authority } : {}),
    });
    let headers: http2.IncomingHttpHeaders = {};
    let text = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => (headers = h));
    stream.on("data", (chunk: string) => (text += chunk));
    stream.end(body);
    await new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    return { status: Number(headers[":status"]), headers, body: text, httpVersion: "2.0" };
  } finally {
    session.close();
  }
}

/** Parses a REST answer strictly, as Envoy does (every Any must name a type it knows). */
function discoveryResponse(answer: Answer) {
  assert.equal(answer.status, 200, answer.body);
  assert.match(String(answer.headers["content-type"]), /^application\/json/);
  return fromJson(DiscoveryResponseSchema, JSON.parse(answer.body) as JsonValue, { registry: envoyTypeRegistry() });
}

const request = (fields: Record<string, unknown>) => JSON.stringify({ node: { id: "rest-envoy", cluster: "edge" }, ...fields });

describe("REST-JSON polling on the xDS port", () => {
  it("should answer a CDS poll over HTTP/1.1 with every cluster, then 304 while nothing changes", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const first = await post1(h.baseUrl, "/v3/discovery:clusters", request({ typeUrl: clusterType }));
    assert.equal(first.httpVersion, "1.1");
    const response = discoveryResponse(first);
    assert.equal(response.typeUrl, clusterType);
    assert.deepEqual(responseNames(response).sort(), ["a", "b"]);
    assert.equal(response.versionInfo, h.cache.getSnapshot("default")!.get(clusterType).version);
    assert.equal(fromBinary(ClusterSchema, response.resources[0]!.value).connectTimeout?.seconds, 5n);

    const again = await post1(h.baseUrl, "/v3/discovery:clusters", request({ versionInfo: response.versionInfo }));
    assert.deepEqual([again.status, again.body], [304, ""], "Envoy's RestApiFetcher takes 304 as 'nothing changed'");

    h.publish({ ...twoServices, c: {} });
    const changed = discoveryResponse(await post1(h.baseUrl, "/v3/discovery:clusters", request({ versionInfo: response.versionInfo })));
    assert.notEqual(changed.versionInfo, response.versionInfo);
    assert.deepEqual(responseNames(changed).sort(), ["a", "b", "c"]);
  });

  it("should answer the same poll over HTTP/2 on the same port as the gRPC streams", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const over2 = discoveryResponse(await post2(h.baseUrl, "/v3/discovery:listeners", request({})));
    const over1 = discoveryResponse(await post1(h.baseUrl, "/v3/discovery:listeners", request({})));
    assert.deepEqual(responseNames(over2).sort(), ["a", "b"]);
    assert.deepEqual(over2, over1, "both HTTP versions get the same answer");
    const stream = h.client();
    stream.subscribe(listenerType);
    assert.equal((await stream.next()).versionInfo, over2.versionInfo, "and the stream the same version");
  });

  it("should serve only the named assignments, versioned by their own content", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const answer = discoveryResponse(await post1(h.baseUrl, "/v3/discovery:endpoints", request({ resourceNames: ["a", "missing"] })));
    const assignments = answer.resources.map((any) => fromBinary(ClusterLoadAssignmentSchema, any.value).clusterName);
    assert.deepEqual(assignments, ["a"], "a name that does not exist is left out");
    const own = h.cache.getSnapshot("default")!.get(endpointType).resources.get("a")!;
    assert.equal(answer.versionInfo, contentVersion([own]));
    h.publish({ a: twoServices.a, b: { endpoints: ["10.0.0.9:8080"] } });
    const unchanged = await post1(h.baseUrl, "/v3/discovery:endpoints", request({ resourceNames: ["a"], versionInfo: answer.versionInfo }));
    assert.equal(unchanged.status, 304, "a change to b is no change to a poller of a");
  });

  it("should answer over TLS with HTTP/1.1 and HTTP/2 (ALPN)", async () => {
    const pki = await createTestPki();
    const server = await pki.issue("bridge");
    const h = await useXdsHarness({ listener: { tls: server } });
    h.publish(twoServices);
    const url = `https://localhost:${h.port}`;
    const over1 = await post1(url, "/v3/discovery:clusters", request({}), {}, pki.ca.cert);
    assert.equal(over1.httpVersion, "1.1");
    assert.deepEqual(responseNames(discoveryResponse(over1)).sort(), ["a", "b"]);
    const over2 = await post2(url, "/v3/discovery:clusters", request({}), pki.ca.cert);
    assert.deepEqual(responseNames(discoveryResponse(over2)).sort(), ["a", "b"]);
  });

  it("should point clusters polled over REST at REST for their endpoints, on the cluster Envoy came through", async () => {
    const h = await useXdsHarness({ server: { restEdsRefreshDelayMs: 2_500 } });
    h.publish(twoServices);
    // Envoy's REST client sends its cluster for the bridge as the authority; the deploy bootstraps
    // name it "consul-xds-bridge:xds", which is no URL authority (it once crashed the process).
    const answer = discoveryResponse(await post1(h.baseUrl, "/v3/discovery:clusters", request({}), { host: "consul-xds-bridge:xds" }));
    for (const any of answer.resources) {
      const source = fromBinary(ClusterSchema, any.value).edsClusterConfig?.edsConfig;
      assert.equal(source?.configSourceSpecifier.case, "apiConfigSource");
      const api = source.configSourceSpecifier.value;
      assert.deepEqual(
        [api.apiType, api.clusterNames, api.refreshDelay?.seconds, api.refreshDelay?.nanos, api.transportApiVersion],
        [ApiConfigSource_ApiType.REST, ["consul-xds-bridge:xds"], 2n, 500_000_000, ApiVersion.V3],
      );
    }
    const overStream = h.client();
    overStream.subscribe(clusterType);
    const streamed = fromBinary(ClusterSchema, (await overStream.next()).resources[0]!.value);
    assert.equal(streamed.edsClusterConfig?.edsConfig?.configSourceSpecifier.case, "ads", "streams keep ADS");
  });

  it("should serve gRPC streams and polls whose authority is no URL authority, and refuse none without one", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const session = http2.connect(h.baseUrl);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
        ":authority": "consul-xds-bridge:xds",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.write(
        grpcFrame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: clusterType, node: { id: "x" } }))),
      );
      const [chunk] = (await once(stream, "data")) as [Buffer];
      assert.equal(fromBinary(DiscoveryResponseSchema, chunk.subarray(5)).resources.length, 2);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    } finally {
      session.destroy();
    }
    const over2 = await post2(h.baseUrl, "/v3/discovery:clusters", request({}), undefined, undefined, "consul-xds-bridge:xds");
    assert.equal(discoveryResponse(over2).resources.length, 2);
  });

  it("should group REST nodes with the cache's node-group function", async () => {
    const h = await useXdsHarness({ cache: { nodeGroup: (node) => (node?.id === "edge-1" ? "edge" : "other") } });
    h.cache.setSnapshot("edge", (await import("./support/fixtures.js")).fixtureSnapshot({ edge: {} }));
    const edge = discoveryResponse(await post1(h.baseUrl, "/v3/discovery:clusters", JSON.stringify({ node: { id: "edge-1" } })));
    assert.deepEqual(responseNames(edge), ["edge"]);
    const other = await post1(h.baseUrl, "/v3/discovery:clusters", JSON.stringify({ node: { id: "someone" } }));
    assert.equal(other.status, 503, "nothing is published for that group yet");
    assert.match(JSON.parse(other.body).message, /no configuration has been published/);
  });

  it("should answer bad requests with a clear error and keep serving", async () => {
    const h = await useXdsHarness({ listener: { readMaxBytes: 512 } });
    h.publish(twoServices);
    const malformed = await post1(h.baseUrl, "/v3/discovery:clusters", "{ not json");
    assert.equal(malformed.status, 400);
    assert.deepEqual(Object.keys(JSON.parse(malformed.body)), ["code", "message"]);
    assert.match(JSON.parse(malformed.body).message, /malformed DiscoveryRequest JSON/);
    const wrongField = await post1(h.baseUrl, "/v3/discovery:clusters", JSON.stringify({ resourceNames: 7 }));
    assert.equal(wrongField.status, 400);
    const otherType = await post1(h.baseUrl, "/v3/discovery:clusters", request({ typeUrl: endpointType }));
    assert.equal(otherType.status, 400);
    assert.match(JSON.parse(otherType.body).message, /serves type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster/);
    const tooBig = await post1(
      h.baseUrl,
      "/v3/discovery:clusters",
      request({ resourceNames: Array.from({ length: 100 }, (_, i) => `name-${i}`) }),
    );
    assert.equal(tooBig.status, 413);
    const notJson = await post1(h.baseUrl, "/v3/discovery:clusters", request({}), { "content-type": "text/plain" });
    assert.equal(notJson.status, 415);
    const get = await new Promise<number>((resolve, reject) =>
      http.get(new URL("/v3/discovery:clusters", h.baseUrl), { agent: false }, (r) => resolve(r.statusCode!)).on("error", reject),
    );
    assert.equal(get, 405);
    const unknownPath = await post1(h.baseUrl, "/v3/discovery:secrets", request({}));
    assert.equal(unknownPath.status, 404);
    // The server is unaffected: streams and polls still work.
    assert.equal(discoveryResponse(await post1(h.baseUrl, "/v3/discovery:clusters", request({}))).resources.length, 2);
    const stream = h.client();
    stream.subscribe(clusterType);
    assert.equal((await stream.next()).resources.length, 2);
  });

  it("should route a connection by its first bytes even when they arrive one at a time", async () => {
    const h = await useXdsHarness();
    h.publish(twoServices);
    const body = request({});
    const raw = `POST /v3/discovery:clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(h.port, "127.0.0.1", async () => {
        for (const char of raw.slice(0, 30)) {
          socket.write(char);
          await new Promise((r) => setImmediate(r));
        }
        socket.write(raw.slice(30));
      });
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (text += chunk));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    // And HTTP/2 whose connection preface arrives byte by byte.
    const socket = net.connect(h.port, "127.0.0.1");
    let written = 0;
    const slow = new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        void (async () => {
          for (const byte of chunk) {
            socket.write(Buffer.from([byte]));
            if (++written <= 24) await new Promise((r) => setImmediate(r));
          }
          callback();
        })();
      },
      read() {},
    });
    socket.on("data", (data) => slow.push(data));
    socket.on("end", () => slow.push(null));
    const over2 = await post2(h.baseUrl, "/v3/discovery:clusters", body, undefined, () => slow);
    assert.equal(discoveryResponse(over2).resources.length, 2);
    socket.destroy();
  });
});
