import { gunzipSync } from "node:zlib";

/** Prefixes `message` with gRPC's 5-byte length header (uncompressed). */
export function frameGrpcMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/**
 * Splits a gRPC byte stream (HTTP/2 DATA, in whatever chunks it arrives) into messages. A message
 * split over many chunks is copied once, when its last byte arrives. A compressed message (flag 1) is
 * gunzipped: the only encoding a bench client accepts besides identity, as grpc-js does.
 */
export class GrpcDeframer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds a chunk; returns the messages it completed (usually none or one). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      if (this.buffered < 5) break;
      const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : this.flatten();
      const compressed = head[0] === 1;
      const length = head.readUInt32BE(1);
      if (this.buffered < 5 + length) break;
      const all = this.flatten();
      const message = all.subarray(5, 5 + length);
      messages.push(compressed ? gunzipSync(message) : message);
      const rest = all.subarray(5 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return messages;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }
}
