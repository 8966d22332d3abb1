import type { Http2ServerResponse } from "node:http2";
import type { Readable } from "node:stream";
import type { DescMethodBiDiStreaming } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  assertByteStreamRequest,
  type Compression,
  compressionNegotiate,
  contentTypeMatcher,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
  uResponseMethodNotAllowed,
  uResponseUnsupportedMediaType,
  uResponseVersionNotSupported,
} from "@connectrpc/connect/protocol";
import {
  contentTypeRegExp,
  headerAcceptEncoding,
  headerContentType,
  headerEncoding,
  headerTimeout,
  parseContentType,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { writeBatchesDirectly } from "./direct-response-writer.js";
import { GrpcFrameReader } from "./grpc-frame-reader.js";
import { type FramedMessage, joinFrames } from "./grpc-frame-writer.js";
import { nodeRequestKey, nodeResponseKey, peerAddressKey, readMaxBytesKey } from "./request-context.js";

/** Where a call's request messages go, in order, as they arrive. */
export interface RequestSink {
  /** One request message, deframed and decompressed. A throw ends reading (the rest is drained). */
  message(bytes: Uint8Array): void;
  /**
   * The requests ended: undefined when the client half-closed (or went away), else a ConnectError
   * for a frame over the size limit, a body that ended inside a frame, a message that does not
   * decompress, or whatever `message` threw. Called once; nothing follows it.
   */
  end(error: ConnectError | undefined): void;
}

/** One call of a streaming method, as the fast-path handler hands it to the code that serves it. */
export interface GrpcCall {
  /** Starts delivering the request messages to `sink` (call once). */
  readRequests(sink: RequestSink): void;
  /** Aborts when the client goes away (cancel, reset, closed connection) or the call's deadline passes. */
  readonly signal: AbortSignal;
  /** The client's "address:port" ("" if unknown). */
  readonly peer: string;
}

/** Options of {@link createGrpcStreamHandler}. */
export interface GrpcStreamHandlerOptions {
  /** The bidi method served; its path is the handler's path. */
  method: DescMethodBiDiStreaming;
  /**
   * Serves one call: its iterator gives batches of encoded response messages, each batch written as
   * one chunk where it is small. Ending returns status OK; rejecting with a ConnectError ends the call
   * with that status, and so does throwing at once (a call refused before it starts).
   */
  serve(call: GrpcCall): AsyncIterator<readonly FramedMessage[]>;
}

/** Request compressions accepted (responses are never compressed; see listenXds). */
const acceptCompression: Compression[] = [compressionGzip, compressionBrotli];
const acceptEncodingValue = acceptCompression.map((c) => c.name).join(",");
/** The longest delay setTimeout honours (2³¹−1 ms, ~24.8 days); longer ones fire at once. */
const maxTimerMs = 2_147_483_647;

/**
 * A Connect UniversalHandler for one hot streaming method that writes pre-encoded response messages
 * as gRPC frames itself. It replaces Connect's per-message pipeline (serialize, envelope, join, one
 * async-iterable stage each) for the xDS streams, which fan the same bytes out to thousands of
 * clients; Connect still routes to it and serves every other method. Because the adapter calls it
 * directly, it does what Connect's gRPC handler would: checks the HTTP version, method and content
 * type, negotiates request compression, honours grpc-timeout, enforces the request size limit, and
 * turns every failure into grpc-status / grpc-message trailers (the body never throws).
 */
export function createGrpcStreamHandler(options: GrpcStreamHandlerOptions): UniversalHandler {
  const { method } = options;
  const requestPath = `/${method.parent.typeName}/${method.name}`;
  const handle = async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
    if (!request.httpVersion.startsWith("2")) return uResponseVersionNotSupported;
    if (request.method !== "POST") return uResponseMethodNotAllowed;
    const type = parseContentType(request.header.get(headerContentType));
    if (!type?.binary) return uResponseUnsupportedMediaType;
    assertByteStreamRequest(request);

    const header = new Headers({ [headerContentType]: "application/grpc", [headerAcceptEncoding]: acceptEncodingValue });
    const negotiated = compressionNegotiate(acceptCompression, request.header.get(headerEncoding), null, headerAcceptEncoding);
    const timeout = parseTimeout(request.header.get(headerTimeout), Number.MAX_SAFE_INTEGER);
    const nodeRequest = request.contextValues?.get(nodeRequestKey);
    const reader = new GrpcFrameReader({
      readMaxBytes: request.contextValues?.get(readMaxBytesKey) ?? readMaxBytesKey.defaultValue,
      compression: negotiated.request,
    });
    let reading = false;
    const read = (sink: RequestSink) => {
      reading = true;
      if (nodeRequest) readNodeRequest(nodeRequest, reader, sink);
      else readBody(request.body, reader, sink);
    };
    // A call refused before it read anything still drains its body (see readNodeRequest).
    const drainUnread = () => {
      if (!reading) read({ message: () => {}, end: () => {} });
    };
    const refusal = negotiated.error ?? timeout.error;
    if (refusal) {
      drainUnread();
      return { status: 200, header: setTrailerStatus(header, refusal) };
    }
    const trailer = new Headers();
    const callSignal = new CallSignal(request.signal, timeout.timeoutMs);
    let iterator: AsyncIterator<readonly FramedMessage[]>;
    try {
      iterator = options.serve({
        readRequests: read,
        signal: callSignal.signal,
        peer: request.contextValues?.get(peerAddressKey) ?? "",
      });
    } catch (error) {
      callSignal.dispose();
      drainUnread();
      return { status: 200, header: setTrailerStatus(header, ConnectError.from(error)) };
    }
    const nodeResponse = request.contextValues?.get(nodeResponseKey);
    return { status: 200, header, body: new ResponseBody(iterator, trailer, callSignal, drainUnread, nodeResponse), trailer };
  };
  return Object.assign(handle, {
    protocolNames: ["grpc"],
    service: method.parent,
    method,
    requestPath,
    allowedMethods: ["POST"],
    supportedContentType: contentTypeMatcher(contentTypeRegExp),
  });
}

/** Delivers `sink`'s end once, turning whatever was thrown into a ConnectError. */
function ending(sink: RequestSink): (error?: unknown) => void {
  let ended = false;
  return (error) => {
    if (ended) return;
    ended = true;
    sink.end(error === undefined ? undefined : ConnectError.from(error, Code.InvalidArgument));
  };
}

/**
 * Reads the request from the Node.js request by events: each DATA chunk is split into messages and
 * handed over synchronously, with no promise per chunk. Compressed messages inflate asynchronously;
 * the request is paused meanwhile so that messages keep their order. After a failure the rest of the
 * body is still read and dropped: the HTTP/2 stream closes only once the client's side has ended too.
 */
function readNodeRequest(nodeRequest: Readable, reader: GrpcFrameReader, sink: RequestSink): void {
  const end = ending(sink);
  let failed = false;
  let inflating: Promise<void> | undefined;
  const fail = (error: unknown) => {
    failed = true;
    end(error);
  };
  const deliver = (messages: readonly Uint8Array[]) => {
    for (const message of messages) if (!failed) sink.message(message);
  };
  nodeRequest.on("data", (chunk: Uint8Array) => {
    if (failed) return;
    try {
      const messages = reader.push(chunk);
      if (Array.isArray(messages) && !inflating) return deliver(messages);
      nodeRequest.pause();
      const current: Promise<void> = (inflating ?? Promise.resolve())
        .then(() => messages)
        .then(deliver)
        .catch(fail)
        .finally(() => {
          if (inflating !== current) return;
          inflating = undefined;
          nodeRequest.resume();
        });
      inflating = current;
    } catch (error) {
      fail(error);
    }
  });
  const finish = () => {
    if (failed) return;
    try {
      reader.end();
      end();
    } catch (error) {
      fail(error);
    }
  };
  nodeRequest.once("end", () => void (inflating ?? Promise.resolve()).then(finish));
  // A reset or a closed connection: the call's signal tells the server; the input simply stops.
  nodeRequest.once("close", () => void (inflating ?? Promise.resolve()).then(() => end()));
  nodeRequest.on("error", () => end());
}

/**
 * The same from the universal request body (when the adapter passes no Node.js request). However
 * reading stops, the rest of the body is drained in the background, for the same reason.
 */
function readBody(body: AsyncIterable<Uint8Array>, reader: GrpcFrameReader, sink: RequestSink): void {
  const end = ending(sink);
  const chunks = body[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        const messages = reader.push(next.value);
        for (const message of Array.isArray(messages) ? messages : await messages) sink.message(message);
      }
      reader.end();
      end();
    } catch (error) {
      end(error);
      await drain(chunks);
    }
  })();
}

/** Reads and drops what is left of a request body, until it ends or fails. */
async function drain(chunks: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    while (!(await chunks.next()).done) {
      // dropped
    }
  } catch {
    // The stream was reset or the connection closed: nothing left to read.
  }
}

/**
 * The response body: the served batches as chunks to write, then the status in the trailer. It never
 * throws (the node adapter would log and leave the response open): failures become the trailer. An
 * iterator object rather than a generator, to add no async-generator layer per written chunk. Given
 * the Node.js response, the adapter writes only the first batch (and with it the head); the rest is
 * written to that response directly (writeBatchesDirectly) while the adapter awaits the end.
 */
class ResponseBody implements AsyncIterableIterator<Uint8Array> {
  private queued: Uint8Array[] = [];
  private finished = false;

  constructor(
    private readonly batches: AsyncIterator<readonly FramedMessage[]>,
    private readonly trailer: Headers,
    private readonly call: CallSignal,
    private readonly onFinished: () => void,
    private readonly direct: Http2ServerResponse | undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    const queued = this.queued.shift();
    if (queued) return { value: queued, done: false };
    if (this.finished) return { value: undefined, done: true };
    try {
      if (this.direct?.headersSent) {
        await writeBatchesDirectly(this.batches, this.direct, this.call.signal);
        this.finish(this.call.deadlineError);
        return { value: undefined, done: true };
      }
      const next = await this.batches.next();
      if (!next.done) {
        const [first, ...rest] = joinFrames(next.value);
        this.queued = rest;
        if (first) return { value: first, done: false };
        return this.next();
      }
      this.finish(this.call.deadlineError);
    } catch (thrown) {
      this.finish(this.call.deadlineError ?? ConnectError.from(thrown));
    }
    return { value: undefined, done: true };
  }

  /** The adapter stopped writing (the client went away, a write failed): ends the served iterator. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    this.finish(undefined);
    return { value: undefined, done: true };
  }

  async throw(): Promise<IteratorResult<Uint8Array>> {
    return this.return();
  }

  private finish(error: ConnectError | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.queued = [];
    this.call.dispose();
    this.onFinished();
    setTrailerStatus(this.trailer, error);
    // However the body ends, the served iterator ends with it (a no-op when it ended itself). Nothing
    // else would: the call's signal no longer reaches it after dispose(), and the adapter calls
    // return() only on some paths (a direct writer stops on a stream that closed, a next() throws).
    this.batches.return?.().catch(() => {});
  }
}

/** The call's lifetime: the request's own signal, plus the grpc-timeout deadline if there is one. */
class CallSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  /** Set when the deadline passed. */
  deadlineError: ConnectError | undefined;

  constructor(
    private readonly requestSignal: AbortSignal,
    timeoutMs: number | undefined,
  ) {
    if (requestSignal.aborted) this.controller.abort(requestSignal.reason);
    else requestSignal.addEventListener("abort", this.onAbort);
    // setTimeout fires after 1 ms for anything beyond ~24.8 days: such a deadline is none in practice.
    if (timeoutMs !== undefined && timeoutMs <= maxTimerMs) {
      this.timer = setTimeout(() => {
        this.deadlineError = new ConnectError("the call's deadline (grpc-timeout) passed", Code.DeadlineExceeded);
        this.controller.abort(this.deadlineError);
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.requestSignal.removeEventListener("abort", this.onAbort);
  }

  private readonly onAbort = () => this.controller.abort(this.requestSignal.reason);
}
