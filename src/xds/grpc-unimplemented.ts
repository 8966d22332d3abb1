import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Percent-encodes a grpc-message value as the gRPC HTTP/2 spec asks (bytes outside 0x20–0x7E, and `%`). */
function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The `fallback` of a Connect node adapter serving gRPC: a gRPC request for a method nobody serves
 * gets HTTP 200 with `grpc-status: 12` (UNIMPLEMENTED) in trailers, which is what gRPC clients
 * expect (Connect's default, HTTP 404, surfaces in them as a confusing transport error). Other
 * requests keep the 404, as Connect and the Connect protocol expect.
 */
export const answerUnimplemented: NodeHandler = (request, response) => {
  request.resume();
  const contentType = String(request.headers["content-type"] ?? "");
  const path = (request.url ?? "").split("?")[0] ?? "";
  if (!/^application\/grpc(?:[+;]|$)/i.test(contentType)) {
    response.writeHead(404);
    response.end();
    return;
  }
  const [, service = "", method = ""] = /^\/([^/]*)\/([^/]*)$/.exec(path) ?? [];
  const message = service === "" ? `malformed method name: ${JSON.stringify(path)}` : `unknown method ${method} for service ${service}`;
  response.writeHead(200, { "content-type": "application/grpc" });
  response.addTrailers({ "grpc-status": "12", "grpc-message": encodeGrpcMessage(message) });
  response.end();
};
