import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { ControlPlaneSchema } from "../gen/envoy/config/core/v3/base_pb.js";
import type { DiscoveryRequest } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import type { Snapshot, SnapshotCache } from "../snapshot/index.js";
import { fetchMethods, streamingMethods } from "./discovery-methods.js";
import { createGrpcStreamHandler, type GrpcCall } from "./grpc-stream-handler.js";
import { createProtocolStream, type ProtocolStream } from "./protocol-variants.js";
import { createRestDiscoveryHandler } from "./rest-discovery-handler.js";
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
  /** How often REST pollers are told to poll the endpoints of their clusters (default 5,000 ms). */
  restEdsRefreshDelayMs?: number;
  /** How long a REST poller's node group stays open after its last poll (default 5 minutes). */
  restLeaseMs?: number;
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
  /** REST pollers' groups, kept watched for a while after each poll (scoped groups close when unwatched). */
  private readonly restLeases = new Map<string, { renew(): void; end(): void }>();

  constructor(private readonly options: XdsServerOptions) {
    const hooks = options.hooks ?? [];
    this.hooks = combineHooks(...(Array.isArray(hooks) ? hooks : [hooks]));
    this.now = options.now ?? Date.now;
    this.controlPlane = toBinary(
      ControlPlaneSchema,
      create(ControlPlaneSchema, { identifier: options.controlPlaneId ?? "consul-xds-bridge" }),
    );
  }

  /**
   * Registers ADS, CDS, EDS, LDS and RDS, SotW and delta; REST-JSON polling on the Fetch methods'
   * HTTP paths (POST /v3/discovery:clusters, …); and UNIMPLEMENTED answers for gRPC Fetch.
   */
  registerRoutes(router: ConnectRouter): void {
    for (const { typeUrl, method } of fetchMethods) {
      router.rpc(method, () => {
        throw new ConnectError(fetchMessage, Code.Unimplemented);
      });
      router.handlers.push(
        createRestDiscoveryHandler({
          method,
          typeUrl,
          source: { snapshotFor: (request) => this.restSnapshot(request) },
          ...(this.options.restEdsRefreshDelayMs !== undefined ? { edsRefreshDelayMs: this.options.restEdsRefreshDelayMs } : {}),
        }),
      );
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
    for (const lease of this.restLeases.values()) lease.end();
    this.restLeases.clear();
    for (const entry of this.live.values()) entry.wake();
    await Promise.all([...this.live.values()].map((entry) => entry.done));
  }

  /**
   * The snapshot a REST poll is answered from: its node's group, kept open (watched) for
   * `restLeaseMs` after the poll so that a poller every few seconds does not rebuild a scoped group
   * each time.
   */
  private restSnapshot(request: DiscoveryRequest): Snapshot | undefined {
    if (this.shuttingDown) return undefined;
    const { cache } = this.options;
    const group = cache.nodeGroup(request.node);
    let lease = this.restLeases.get(group);
    if (!lease) {
      const unwatch = cache.watch(group, () => {});
      let timer: NodeJS.Timeout | undefined;
      const end = () => {
        clearTimeout(timer);
        unwatch();
        if (this.restLeases.get(group) === lease) this.restLeases.delete(group);
      };
      lease = {
        renew: () => {
          clearTimeout(timer);
          timer = setTimeout(end, this.options.restLeaseMs ?? 5 * 60_000).unref();
        },
        end,
      };
      this.restLeases.set(group, lease);
    }
    lease.renew();
    return cache.getSnapshot(group);
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
