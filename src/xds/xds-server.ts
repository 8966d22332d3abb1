import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { ControlPlaneSchema } from "../gen/envoy/config/core/v3/base_pb.js";
import type { SnapshotCache } from "../snapshot/index.js";
import { fetchMethods, streamingMethods } from "./discovery-methods.js";
import { createGrpcStreamHandler, type GrpcCall } from "./grpc-stream-handler.js";
import { createProtocolStream, type ProtocolStream } from "./protocol-variants.js";
import type { TypeStatus } from "./sotw-stream.js";
import { combineHooks, type StreamInfo, type StreamKind, type XdsProtocol, type XdsServerHooks } from "./stream-hooks.js";
import { StreamSession } from "./stream-session.js";

/** Options of {@link XdsServer}. */
export interface XdsServerOptions {
  /** Where snapshots come from; the server serves nothing to a group that has none yet. */
  cache: SnapshotCache;
  /** Lifecycle callbacks (logging, metrics, status). */
  hooks?: XdsServerHooks | XdsServerHooks[];
  /** Streams open at once before new ones are refused with RESOURCE_EXHAUSTED (default 20,000). */
  maxStreams?: number;
  /**
   * Resource names one request may carry (and a delta stream subscribe to, per type) before the
   * stream is ended with RESOURCE_EXHAUSTED (default 100,000).
   */
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
  /** What the client should hold now for one type (see SotwStream.delivered, DeltaStream.delivered). */
  readonly delivered: ProtocolStream["delivered"];
}

const fetchMessage = "gRPC Fetch is not implemented by consul-xds-bridge: use a streaming variant, or REST-JSON polling";

/**
 * The xDS server: answers ADS and the per-type streams, state of the world and delta, from the
 * snapshot cache. It owns no sockets (see listenXds): it registers handlers on a Connect router,
 * tracks live streams for status, and ends them cleanly on shutdown. The streaming methods are served
 * by fast-path handlers (createGrpcStreamHandler) that write the pre-encoded responses as gRPC frames.
 */
export class XdsServer {
  private readonly hooks: Required<XdsServerHooks>;
  private readonly live = new Map<number, { readonly stream: ProtocolStream; readonly done: Promise<void>; wake: () => void }>();
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

  /** Registers ADS, CDS, EDS, LDS and RDS, SotW and delta, and UNIMPLEMENTED answers for gRPC Fetch. */
  registerRoutes(router: ConnectRouter): void {
    for (const method of fetchMethods) {
      router.rpc(method, () => {
        throw new ConnectError(fetchMessage, Code.Unimplemented);
      });
    }
    // Pushed after anything registered by router.rpc: the node adapter keeps the last handler per path.
    for (const { kind, protocol, method } of streamingMethods) {
      router.handlers.push(createGrpcStreamHandler({ method, serve: (call) => this.serve(protocol, kind, call) }));
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
    for (const entry of this.live.values()) entry.wake();
    await Promise.all([...this.live.values()].map((entry) => entry.done));
  }

  /**
   * Opens one stream: the session it returns gives the transport batches of encoded responses until
   * the client goes away, the requests end, or the server shuts down. Throws a ConnectError for a
   * stream refused at once (shutting down, too many streams).
   */
  private serve(protocol: XdsProtocol, kind: StreamKind, call: GrpcCall): StreamSession {
    if (this.shuttingDown) throw new ConnectError("the xDS server is shutting down", Code.Unavailable);
    const maxStreams = this.options.maxStreams ?? 20_000;
    if (this.live.size >= maxStreams) {
      throw new ConnectError(`too many xDS streams: the limit is ${maxStreams}`, Code.ResourceExhausted);
    }
    const { cache } = this.options;
    const stream = createProtocolStream(protocol, {
      id: this.nextId++,
      kind,
      peer: call.peer,
      now: this.now,
      nodeGroup: cache.nodeGroup,
      maxResourceNames: this.options.maxResourceNamesPerRequest ?? 100_000,
      endpointWarmingTimeoutMs: this.options.endpointWarmingTimeoutMs ?? 2_000,
      controlPlane: this.controlPlane,
    });
    const id = stream.info.id;
    let finished!: () => void;
    const entry = { stream, done: new Promise<void>((resolve) => (finished = resolve)), wake: () => {} };
    this.live.set(id, entry);
    const session = new StreamSession(stream, call, {
      cache,
      hooks: this.hooks,
      now: this.now,
      shuttingDown: () => this.shuttingDown,
      closed: () => {
        this.live.delete(id);
        finished();
      },
    });
    entry.wake = () => session.wake();
    return session;
  }
}
