import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { EncodedDiscoveryResponse } from "../gen/consulxdsbridge/xds/v1/encoded_discovery_response_pb.js";
import { ControlPlaneSchema } from "../gen/envoy/config/core/v3/base_pb.js";
import type { DiscoveryRequest } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import type { SnapshotCache } from "../snapshot/index.js";
import { deltaMethods, fetchMethods, sotwMethods } from "./discovery-methods.js";
import { peerAddressKey } from "./peer-address.js";
import { SotwStream, type TypeStatus } from "./sotw-stream.js";
import { combineHooks, type StreamInfo, type StreamKind, type XdsServerHooks } from "./stream-hooks.js";
import { Wakeup } from "./wakeup.js";

/** Options of {@link XdsServer}. */
export interface XdsServerOptions {
  /** Where snapshots come from; the server serves nothing to a group that has none yet. */
  cache: SnapshotCache;
  /** Lifecycle callbacks (logging, metrics, status). */
  hooks?: XdsServerHooks | XdsServerHooks[];
  /** Streams open at once before new ones are refused with RESOURCE_EXHAUSTED (default 20,000). */
  maxStreams?: number;
  /** Resource names one request may carry before the stream is ended with RESOURCE_EXHAUSTED (default 100,000). */
  maxResourceNamesPerRequest?: number;
  /** How long ADS holds listeners and routes for the endpoints of new clusters (default 2,000 ms). */
  endpointWarmingTimeoutMs?: number;
  /** Sent as `control_plane.identifier` in every response (default "consul-xds-bridge"). */
  controlPlaneId?: string;
  /** Clock, for tests (default Date.now). */
  now?: () => number;
}

/** A live stream as status and admin endpoints see it. */
export interface StreamStatus {
  readonly info: StreamInfo;
  readonly types: TypeStatus[];
  /** What the client should hold now for one type (see SotwStream.delivered). */
  readonly delivered: SotwStream["delivered"];
}

const deltaMessage =
  "incremental (delta) xDS is not implemented by consul-xds-bridge: use the state-of-the-world variant " +
  "(ads_config.api_type GRPC rather than DELTA_GRPC)";
const fetchMessage = "REST-style Fetch is not implemented by consul-xds-bridge: use the streaming variant";

/**
 * The xDS server: answers ADS and the per-type SotW streams from the snapshot cache, with Connect.
 * It owns no sockets (see createXdsHttp2Server for that): it registers routes on a Connect router,
 * tracks live streams for status, and ends them cleanly on shutdown.
 */
export class XdsServer {
  private readonly hooks: Required<XdsServerHooks>;
  private readonly live = new Map<number, { stream: SotwStream; done: Promise<void> }>();
  private readonly shutdown = new AbortController();
  /** `shutdown.signal.aborted`, as a plain field: the stream loop reads it on every turn. */
  private shuttingDown = false;
  private readonly controlPlane: Uint8Array;
  private readonly now: () => number;
  private nextId = 1;

  constructor(private readonly options: XdsServerOptions) {
    const hooks = options.hooks ?? [];
    this.hooks = combineHooks(...(Array.isArray(hooks) ? hooks : [hooks]));
    this.now = options.now ?? Date.now;
    this.controlPlane = toBinary(
      ControlPlaneSchema,
      create(ControlPlaneSchema, { identifier: options.controlPlaneId ?? "consul-xds-bridge" }),
    );
  }

  /** Registers ADS, CDS, EDS, LDS and RDS (SotW), and UNIMPLEMENTED answers for Delta and Fetch. */
  registerRoutes(router: ConnectRouter): void {
    for (const { kind, method } of sotwMethods) {
      router.rpc(method, (requests, context) => this.serve(kind, requests, context));
    }
    for (const method of deltaMethods) {
      router.rpc(method, async function* () {
        yield* [];
        throw new ConnectError(deltaMessage, Code.Unimplemented);
      });
    }
    for (const method of fetchMethods) {
      router.rpc(method, () => {
        throw new ConnectError(fetchMessage, Code.Unimplemented);
      });
    }
  }

  /** Every live stream with its per-type state. */
  streams(): StreamStatus[] {
    return [...this.live.values()].map(({ stream }) => ({
      info: stream.info,
      types: stream.typeStatuses(),
      delivered: (typeUrl) => stream.delivered(typeUrl),
    }));
  }

  /** Number of live streams. */
  get streamCount(): number {
    return this.live.size;
  }

  /**
   * Ends every stream cleanly (status OK) and refuses new ones; resolves when all have ended.
   * HTTP/2 sessions can close after this without waiting on open streams.
   */
  async endStreams(): Promise<void> {
    this.shuttingDown = true;
    this.shutdown.abort();
    await Promise.all([...this.live.values()].map((entry) => entry.done));
  }

  private serve(
    kind: StreamKind,
    requests: AsyncIterable<DiscoveryRequest>,
    context: HandlerContext,
  ): AsyncGenerator<EncodedDiscoveryResponse> {
    return this.streamResponses(kind, requests, context.signal, context.values.get(peerAddressKey));
  }

  /**
   * One SotW stream: yields the responses to write, reading `requests` in a task of its own, until
   * `signal` aborts (the client went away), the requests end, or the server shuts down. Throws a
   * ConnectError for a stream that must end with an error status.
   */
  private async *streamResponses(
    kind: StreamKind,
    requests: AsyncIterable<DiscoveryRequest>,
    signal: AbortSignal,
    peer: string,
  ): AsyncGenerator<EncodedDiscoveryResponse> {
    if (this.shutdown.signal.aborted) throw new ConnectError("the xDS server is shutting down", Code.Unavailable);
    const maxStreams = this.options.maxStreams ?? 20_000;
    if (this.live.size >= maxStreams) {
      throw new ConnectError(`too many xDS streams: the limit is ${maxStreams}`, Code.ResourceExhausted);
    }
    const { cache } = this.options;
    const stream = new SotwStream({
      id: this.nextId++,
      kind,
      peer,
      now: this.now,
      nodeGroup: cache.nodeGroup,
      maxResourceNames: this.options.maxResourceNamesPerRequest ?? 100_000,
      endpointWarmingTimeoutMs: this.options.endpointWarmingTimeoutMs ?? 2_000,
      controlPlane: this.controlPlane,
    });
    let finished!: () => void;
    this.live.set(stream.info.id, { stream, done: new Promise<void>((resolve) => (finished = resolve)) });
    this.hooks.onStreamOpen(stream.info);

    const wakeup = new Wakeup();
    const wake = () => wakeup.wake();
    let unwatch: (() => void) | undefined;
    let readFailure: unknown;
    let inputEnded = false;
    let closed = false;
    /**
     * Releases everything the stream holds, once. It runs when the generator finishes, and also
     * when the client goes away: a writer parked in HTTP/2 flow control (a reader that stopped
     * reading, a partition) is never resumed by Connect, so its `finally` alone could leak it.
     */
    const teardown = (error: ConnectError | undefined) => {
      if (closed) return;
      closed = true;
      unwatch?.();
      signal.removeEventListener("abort", onAbort);
      this.shutdown.signal.removeEventListener("abort", wake);
      this.live.delete(stream.info.id);
      this.hooks.onStreamClose(stream.info, error);
      finished();
    };
    // The client went away (cancel, reset, deadline): a normal end of its stream, not an error.
    const onAbort = () => {
      wake();
      teardown(undefined);
    };
    // Requests are read in their own task so the stream can push whenever a snapshot changes.
    void (async () => {
      try {
        for await (const request of requests) {
          if (closed) break;
          const outcome = stream.handleRequest(request);
          this.hooks.onStreamRequest(stream.info, request, outcome.kind);
          if (outcome.kind === "ack") this.hooks.onAck(stream.info, outcome.typeUrl!, request.versionInfo);
          if (outcome.kind === "nack") {
            this.hooks.onNack(stream.info, outcome.typeUrl!, outcome.rejectedVersion!, request.errorDetail!.message);
          }
          if (!unwatch && stream.group !== undefined) {
            unwatch = cache.watch(stream.group, (snapshot) => {
              stream.setSnapshot(snapshot);
              wake();
            });
          }
          wake();
        }
      } catch (error) {
        readFailure = error;
      } finally {
        inputEnded = true;
        wake();
      }
    })();
    signal.addEventListener("abort", onAbort);
    this.shutdown.signal.addEventListener("abort", wake);
    // (A signal that aborted before its listener was added never calls it.)
    if (signal.aborted) onAbort();

    let closeError: ConnectError | undefined;
    try {
      for (;;) {
        if (closed || this.shuttingDown) break;
        if (readFailure !== undefined) throw ConnectError.from(readFailure, Code.InvalidArgument);
        const next = stream.nextResponse();
        if (next) {
          this.hooks.onStreamResponse(stream.info, next.sent);
          yield next.message;
          continue;
        }
        if (inputEnded) break;
        await wakeup.wait(stream.nextDeadline(), this.now);
      }
    } catch (error) {
      closeError = ConnectError.from(error);
      throw closeError;
    } finally {
      teardown(closeError);
    }
  }
}
