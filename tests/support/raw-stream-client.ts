import type { Message } from "@bufbuild/protobuf";
import { ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Node } from "../../src/gen/envoy/config/core/v3/base_pb.js";
import { AsyncQueue, pipeInto } from "./async-queue.js";

/** What the SotW and delta raw clients share: the requests a test writes, the responses recorded. */
export abstract class RawStreamClient<Request extends Message & { node?: Node }, Response> {
  /** Responses in arrival order. */
  readonly responses = new AsyncQueue<Response>();
  /** Resolves when the server ends the stream: undefined for OK, else the error. */
  readonly ended: Promise<ConnectError | undefined>;
  private readonly requests = new AsyncQueue<Request>();
  private readonly sessions: Http2SessionManager;
  private readonly abort = new AbortController();
  private sentFirst = false;

  /**
   * Opens the stream `call` makes on a connection of its own (made when the first request is sent);
   * `tls` is for an https:// `baseUrl`.
   */
  protected constructor(
    baseUrl: string,
    tls: { ca: string; cert?: string; key?: string } | undefined,
    call: (transport: Transport, requests: AsyncIterable<Request>, signal: AbortSignal) => AsyncIterable<Response>,
  ) {
    this.sessions = new Http2SessionManager(baseUrl, undefined, tls ? { ...tls } : undefined);
    const transport = createGrpcTransport({ baseUrl, sessionManager: this.sessions });
    this.ended = pipeInto(call(transport, this.requests, this.abort.signal), this.responses, (error) => ConnectError.from(error));
  }

  /** The next response (rejects if none arrives within `timeoutMs`). */
  next(timeoutMs?: number): Promise<Response> {
    return this.responses.shift(timeoutMs);
  }

  /** Half-closes the request side (as a client does when it is done) without cancelling. */
  endRequests(): void {
    this.requests.end();
  }

  /** Cancels the stream and closes the client's HTTP/2 connection. */
  async close(): Promise<void> {
    this.requests.end();
    this.abort.abort();
    await this.ended;
    this.sessions.abort();
  }

  /** Sends `message` as is, with `node()` added to the first one if it has none (as Envoy does). */
  protected push(message: Request, node: () => Node): void {
    if (!this.sentFirst && !message.node) message.node = node();
    this.sentFirst = true;
    this.requests.push(message);
  }
}
