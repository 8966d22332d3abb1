import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";

/** Options of {@link GrpcFrameReader}. */
export interface GrpcFrameReaderOptions {
  /** Largest message accepted, compressed or not, in bytes; a bigger one is RESOURCE_EXHAUSTED. */
  readMaxBytes: number;
  /** The request's grpc-encoding, or null for identity: how messages with the compressed flag are read. */
  compression: Compression | null;
}

/** One message as it arrived: its bytes and whether the compressed flag was set. */
interface RawFrame {
  readonly compressed: boolean;
  readonly bytes: Uint8Array;
}

/**
 * Splits a gRPC request body (HTTP/2 DATA, in whatever chunks it arrives) into messages: a flag byte,
 * a 4-byte big-endian length, the message. A message split over many chunks is copied once, when its
 * last byte arrives; several messages in one chunk are returned as views of it. The length prefix is
 * checked against the limit before anything is buffered, so an oversized message is refused without
 * being read. Written here rather than taken from Connect because Connect's envelope reader is the
 * per-message pipeline the fast path exists to avoid.
 */
export class GrpcFrameReader {
  private pending: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly options: GrpcFrameReaderOptions) {}

  /**
   * Adds a chunk and returns the messages it completed: an array when none was compressed (the usual
   * case, without a promise per chunk), else a promise of them decompressed. Throws (or rejects) with
   * a ConnectError for a message over the limit, a compressed message without grpc-encoding, or one
   * that does not inflate.
   */
  push(chunk: Uint8Array): Uint8Array[] | Promise<Uint8Array[]> {
    const frames = this.split(chunk);
    let compressed = false;
    for (const frame of frames) compressed ||= frame.compressed;
    if (!compressed) return frames.map((frame) => frame.bytes);
    return Promise.all(frames.map((frame) => this.open(frame)));
  }

  /** Throws when the body ended inside a message (a truncated request). */
  end(): void {
    if (this.buffered > 0) {
      throw new ConnectError(`the request ended inside a message (${this.buffered} bytes of an incomplete frame)`, Code.InvalidArgument);
    }
  }

  private split(chunk: Uint8Array): RawFrame[] {
    const frames: RawFrame[] = [];
    if (this.buffered === 0) {
      // The common case: whole messages in one chunk, read in place.
      let offset = 0;
      while (chunk.length - offset >= 5) {
        const length = this.checkedLength(chunk, offset);
        if (chunk.length - offset < 5 + length) break;
        frames.push({ compressed: chunk[offset] === 1, bytes: chunk.subarray(offset + 5, offset + 5 + length) });
        offset += 5 + length;
      }
      if (offset < chunk.length) this.keep(chunk.subarray(offset));
      return frames;
    }
    this.keep(chunk);
    for (;;) {
      if (this.buffered < 5) return frames;
      const head = this.pending[0]!.length >= 5 ? this.pending[0]! : this.flatten();
      const length = this.checkedLength(head, 0);
      if (this.buffered < 5 + length) return frames;
      const all = this.flatten();
      frames.push({ compressed: all[0] === 1, bytes: all.subarray(5, 5 + length) });
      const rest = all.subarray(5 + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  private checkedLength(bytes: Uint8Array, offset: number): number {
    const flag = bytes[offset]!;
    if (flag !== 0 && flag !== 1) {
      throw new ConnectError(`invalid gRPC frame: flag byte ${flag} (only 0 and 1 are defined)`, Code.InvalidArgument);
    }
    const length = ((bytes[offset + 1]! << 24) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 8) | bytes[offset + 4]!) >>> 0;
    if (length > this.options.readMaxBytes) {
      throw new ConnectError(
        `message size ${length} is larger than configured readMaxBytes ${this.options.readMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    return length;
  }

  private async open(frame: RawFrame): Promise<Uint8Array> {
    if (!frame.compressed) return frame.bytes;
    const compression = this.options.compression;
    if (!compression) {
      throw new ConnectError("protocol error: received a compressed message without grpc-encoding", Code.Internal);
    }
    return compression.decompress(frame.bytes, this.options.readMaxBytes);
  }

  private keep(bytes: Uint8Array): void {
    // A view into a chunk the HTTP/2 stack may reuse: copy what must outlive this call.
    this.pending.push(Uint8Array.prototype.slice.call(bytes));
    this.buffered += bytes.length;
  }

  private flatten(): Uint8Array {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.buffered)];
    return this.pending[0]!;
  }
}
