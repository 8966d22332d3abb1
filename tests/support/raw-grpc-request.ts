import type * as http2 from "node:http2";

/** Frames one message as gRPC does: a compressed flag (0), a 4-byte length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

/**
 * Opens an ADS stream by hand on `session`, for tests that need what a gRPC library would not do
 * (send garbage, stop reading, inspect frames).
 */
export function openRawAdsStream(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders = {}): http2.ClientHttp2Stream {
  return session.request({
    ":method": "POST",
    ":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
    "content-type": "application/grpc",
    te: "trailers",
    ...headers,
  });
}
