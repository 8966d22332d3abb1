// A method nobody serves, on the xDS port and on the demo greeter, must answer as a gRPC server does:
// HTTP 200 with grpc-status 12 (UNIMPLEMENTED) in trailers. Connect's default, HTTP 404, reaches gRPC
// clients as an opaque transport error.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { startGrpcDemo } from "../src/dev/demo-backends.js";
import { useXdsHarness } from "./support/xds-harness.js";

const identity = (value: Buffer) => value;

/** One unary call through grpc-js; resolves with the status code it ended with. */
function callStatus(address: string, path: string): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (error) => {
      client.close();
      resolve({ code: error?.code ?? grpc.status.OK, details: error?.details ?? "" });
    });
  });
}

/** A raw HTTP/2 request: the response's status, headers and trailers. */
async function raw(baseUrl: string, path: string, contentType: string) {
  const session = http2.connect(baseUrl);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": contentType, te: "trailers" });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    const [headers, trailers] = await Promise.all([
      new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve)),
      new Promise<http2.IncomingHttpHeaders>((resolve) => {
        let seen: http2.IncomingHttpHeaders = {};
        stream.once("trailers", (t) => (seen = t));
        stream.once("close", () => resolve(seen));
        stream.resume();
      }),
    ]);
    return { status: headers[":status"], headers, trailers };
  } finally {
    session.close();
  }
}

describe("answerUnimplemented()", () => {
  it("should answer an unknown method on the xDS port with grpc-status 12 in trailers", async () => {
    const harness = await useXdsHarness();
    const answer = await raw(harness.baseUrl, "/envoy.service.discovery.v3.NoSuchService/Stream", "application/grpc");
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["content-type"], "application/grpc");
    assert.equal(answer.trailers["grpc-status"], "12");
    assert.equal(answer.trailers["grpc-message"], "unknown method Stream for service envoy.service.discovery.v3.NoSuchService");
    const viaClient = await callStatus(`127.0.0.1:${harness.port}`, "/envoy.service.discovery.v3.NoSuchService/Stream");
    assert.equal(viaClient.code, grpc.status.UNIMPLEMENTED, viaClient.details);
  });

  it("should keep HTTP 404 for a request that is not gRPC", async () => {
    const harness = await useXdsHarness();
    const answer = await raw(harness.baseUrl, "/no.Such/Method", "application/json");
    assert.equal(answer.status, 404);
    assert.equal(answer.trailers["grpc-status"], undefined);
  });

  it("should answer an unknown method on the demo greeter with UNIMPLEMENTED, while SayHello still works", async (t) => {
    const greeter = await startGrpcDemo("greeter-test");
    t.after(() => greeter.close());
    const unknown = await callStatus(`127.0.0.1:${greeter.port}`, "/consulxdsbridge.demo.v1.Greeter/NoSuchMethod");
    assert.equal(unknown.code, grpc.status.UNIMPLEMENTED, unknown.details);
    assert.match(unknown.details, /unknown method NoSuchMethod for service consulxdsbridge\.demo\.v1\.Greeter/);
    const known = await callStatus(`127.0.0.1:${greeter.port}`, "/consulxdsbridge.demo.v1.Greeter/SayHello");
    assert.equal(known.code, grpc.status.OK, known.details);
  });
});
