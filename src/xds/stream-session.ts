import type { ConnectError } from "@connectrpc/connect";
import type { SnapshotCache } from "../snapshot/index.js";
import type { FramedMessage } from "./grpc-frame-writer.js";
import type { GrpcCall } from "./grpc-stream-handler.js";
import type { ProtocolStream } from "./protocol-variants.js";
import type { XdsRequest, XdsServerHooks } from "./stream-hooks.js";
import { Wakeup } from "./wakeup.js";

/** At most this many responses are written in one batch (one chunk when they are small). */
const maxBatch = 16;

/** What a session needs of the server that opened it. */
export interface StreamSessionContext {
  readonly cache: SnapshotCache;
  readonly hooks: Required<XdsServerHooks>;
  readonly now: () => number;
  /** True once the server shuts down: the session then ends with status OK. */
  shuttingDown(): boolean;
  /** Called once when the session ends, however it ends. */
  closed(error: ConnectError | undefined): void;
}

/**
 * One live xDS stream between the transport and its protocol state machine: it feeds requests in as
 * they arrive, watches the stream's snapshot group, and hands the transport batches of encoded
 * responses. It is the transport's async iterator itself (no generator layer), and while the
 * transport waits for more, a request or snapshot is planned at once: an ACK that releases nothing
 * (the usual case on a fan-out) then costs no wake-up at all. When the transport is busy writing (or
 * stuck in flow control), planning waits until it asks again, so a slow client gets the latest
 * state in one go and never more than one response per type.
 */
export class StreamSession implements AsyncIterator<readonly FramedMessage[]> {
  private readonly wakeup = new Wakeup();
  private prepared: FramedMessage[] = [];
  /** True while the transport waits in next() for something to write. */
  private idle = false;
  private inputEnded = false;
  private failure: ConnectError | undefined;
  private ended = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly stream: ProtocolStream,
    private readonly call: GrpcCall,
    private readonly context: StreamSessionContext,
  ) {
    context.hooks.onStreamOpen(stream.info);
    call.signal.addEventListener("abort", this.onAbort);
    call.readRequests({ message: (bytes) => this.receive(bytes), end: (error) => this.inputEnd(error) });
    // (A signal that aborted before its listener was added never calls it.)
    if (call.signal.aborted) this.onAbort();
  }

  /** Wakes the session (the server is shutting down). */
  wake(): void {
    this.wakeup.wake();
  }

  next(): Promise<IteratorResult<readonly FramedMessage[]>> {
    for (;;) {
      if (this.ended || this.context.shuttingDown()) return this.finish(undefined);
      if (this.failure) return this.finish(this.failure);
      const batch = this.take();
      if (batch) return Promise.resolve({ value: batch, done: false });
      if (this.inputEnded) return this.finish(undefined);
      this.idle = true;
      return this.wakeup.wait(this.stream.nextDeadline(), this.context.now).then(() => {
        this.idle = false;
        return this.next();
      });
    }
  }

  /** The transport stopped (the client went away or a write failed). */
  return(): Promise<IteratorResult<readonly FramedMessage[]>> {
    this.close(undefined);
    return Promise.resolve({ value: undefined, done: true });
  }

  private receive(bytes: Uint8Array): void {
    if (this.ended) return;
    const { stream, context } = this;
    const { hooks } = context;
    const { request, outcome } = stream.receive(bytes);
    hooks.onStreamRequest(stream.info, request, outcome.kind);
    if (outcome.kind === "ack") hooks.onAck(stream.info, outcome.typeUrl!, this.ackedVersion(outcome.typeUrl!, request));
    if (outcome.kind === "nack") hooks.onNack(stream.info, outcome.typeUrl!, outcome.rejectedVersion!, request.errorDetail?.message ?? "");
    if (!this.unwatch && stream.group !== undefined) {
      this.unwatch = context.cache.watch(stream.group, (snapshot) => {
        stream.setSnapshot(snapshot);
        this.poke();
      });
    }
    this.poke();
  }

  private inputEnd(error: ConnectError | undefined): void {
    this.failure = error;
    this.inputEnded = true;
    this.wakeup.wake();
  }

  /** Something changed: plan now if the transport is idle (waking it only when there is a response). */
  private poke(): void {
    if (!this.idle) {
      this.wakeup.wake();
      return;
    }
    const before = this.prepared.length;
    this.collect();
    if (this.prepared.length > before) this.wakeup.wake();
  }

  /**
   * The responses prepared so far, or else whatever can be sent now, up to a batch. Prepared ones
   * were collected when the last change arrived, until nothing more could go (or a batch was full):
   * planning again before they are written would find nothing new.
   */
  private take(): FramedMessage[] | undefined {
    if (this.prepared.length === 0) this.collect();
    if (this.prepared.length === 0) return undefined;
    const batch = this.prepared;
    this.prepared = [];
    return batch;
  }

  private collect(): void {
    const { stream } = this;
    while (this.prepared.length < maxBatch) {
      const next = stream.next();
      if (!next) return;
      this.context.hooks.onStreamResponse(stream.info, next.sent);
      this.prepared.push(next.frame);
    }
  }

  /** The client went away (cancel, reset, deadline): a normal end of its stream, not an error. */
  private readonly onAbort = () => {
    this.close(undefined);
    this.wakeup.wake();
  };

  private finish(error: ConnectError | undefined): Promise<IteratorResult<readonly FramedMessage[]>> {
    this.close(error);
    return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
  }

  /**
   * Releases everything the stream holds, once. It runs when the stream ends, and also when the
   * client goes away: a writer parked in HTTP/2 flow control (a reader that stopped reading, a
   * partition) is never resumed, so an end seen only by the writer could leak it.
   */
  private close(error: ConnectError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.unwatch?.();
    this.call.signal.removeEventListener("abort", this.onAbort);
    this.prepared = [];
    this.context.hooks.onStreamClose(this.stream.info, error);
    this.context.closed(error);
  }

  /** The version an ACK accepted: version_info for SotW; for delta, what the acknowledged response said. */
  private ackedVersion(typeUrl: string, request: XdsRequest): string {
    if ("versionInfo" in request) return request.versionInfo;
    return this.stream.typeStatuses().find((type) => type.typeUrl === typeUrl)?.ackedVersion ?? "";
  }
}
