import * as http2 from "node:http2";
import { type BenchNode, type DecodedResponse, decodeDiscoveryResponse, encodeDiscoveryRequest } from "./discovery-codec.js";
import { frameGrpcMessage, GrpcDeframer } from "./grpc-framing.js";
import { monoMs } from "./mono-clock.js";

/** gRPC path of ADS (state of the world). */
export const adsPath = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

/** One type a client subscribes to; `names: []` on CDS/LDS is the wildcard. */
export interface BenchSubscription {
  readonly typeUrl: string;
  readonly names: readonly string[];
}

/** Options of {@link BenchAdsClient}. */
export interface BenchAdsClientOptions {
  /** e.g. http://127.0.0.1:18000 */
  readonly url: string;
  readonly node: BenchNode;
  /** Sent together when the stream opens, as a client resubscribing after a reconnect does. */
  readonly subscriptions: readonly BenchSubscription[];
  /** HTTP/2 stream and connection receive windows (Envoy's defaults are 256 MiB; default 16 MiB). */
  readonly windowBytes?: number;
  /** Called for every response after its ACK was written; `at` is when its last byte arrived (monoMs). */
  readonly onResponse?: (client: BenchAdsClient, response: DecodedResponse, at: number) => void;
}

/**
 * A minimal ADS client on node:http2 with hand-framed gRPC: one connection and one stream, every
 * response acknowledged at once with the same subscription, every response timestamped on arrival.
 * It knows when it is synced: every subscribed name (or, for a wildcard, one response) received.
 */
export class BenchAdsClient {
  /** Errors seen since the last connect (connection, stream, gRPC status). */
  readonly errors: string[] = [];
  /** monoMs when connect() was called. */
  connectedAt = 0;
  /** monoMs when the client became synced; undefined before. */
  syncedAt: number | undefined;
  /** Responses received since the last connect. */
  responses = 0;
  private session: http2.ClientHttp2Session | undefined;
  private stream: http2.ClientHttp2Stream | undefined;
  private readonly names = new Map<string, readonly string[]>();
  private readonly missing = new Map<string, Set<string> | "any">();
  /** Last response per type: the version and nonce every later request of that type carries. */
  private readonly last = new Map<string, DecodedResponse>();
  private syncWaiters: Array<() => void> = [];
  private closing = false;
  private sentNode = false;

  constructor(private readonly options: BenchAdsClientOptions) {}

  /** Opens a connection and a stream, and subscribes to every type in the options. */
  connect(): void {
    this.closing = false;
    this.sentNode = false;
    this.errors.length = 0;
    this.responses = 0;
    this.syncedAt = undefined;
    this.connectedAt = monoMs();
    this.names.clear();
    this.missing.clear();
    this.last.clear();
    const window = this.options.windowBytes ?? 16 * 1024 * 1024;
    const session = http2.connect(this.options.url, { settings: { initialWindowSize: window, enablePush: false }, maxSessionMemory: 64 });
    this.session = session;
    session.on("error", (error) => this.fail(`connection: ${error.message}`));
    session.once("connect", () => session.setLocalWindowSize(window));
    const stream = session.request({
      ":method": "POST",
      ":path": adsPath,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "identity,deflate,gzip",
    });
    this.stream = stream;
    const deframer = new GrpcDeframer();
    stream.on("response", (headers) => {
      const status = headers[":status"];
      if (status !== 200) this.fail(`HTTP status ${status}`);
      const grpcStatus = headers["grpc-status"];
      if (grpcStatus !== undefined && grpcStatus !== "0") this.fail(`grpc-status ${grpcStatus}: ${String(headers["grpc-message"] ?? "")}`);
    });
    stream.on("trailers", (trailers) => {
      const grpcStatus = trailers["grpc-status"];
      if (!this.closing && grpcStatus !== "0") this.fail(`grpc-status ${String(grpcStatus)}: ${String(trailers["grpc-message"] ?? "")}`);
    });
    stream.on("data", (chunk: Buffer) => {
      const at = monoMs();
      for (const message of deframer.push(chunk)) this.onMessage(message, at);
    });
    stream.on("error", (error) => this.fail(`stream: ${error.message}`));
    stream.on("close", () => {
      if (!this.closing) this.fail("stream closed by the server");
    });
    for (const { typeUrl, names } of this.options.subscriptions) this.subscribe(typeUrl, names);
  }

  /** Replaces the subscription of `typeUrl`; names not subscribed before count as missing until received. */
  subscribe(typeUrl: string, names: readonly string[]): void {
    const previous = this.names.get(typeUrl);
    this.names.set(typeUrl, names);
    if (previous === undefined && names.length === 0) this.missing.set(typeUrl, "any");
    else {
      const before = new Set(previous ?? []);
      const added = names.filter((name) => !before.has(name));
      if (added.length > 0) {
        const missing = this.missing.get(typeUrl);
        if (missing instanceof Set) for (const name of added) missing.add(name);
        else this.missing.set(typeUrl, new Set(added));
      }
    }
    const last = this.last.get(typeUrl);
    this.send({ typeUrl, resourceNames: names, ...(last ? { versionInfo: last.versionInfo, responseNonce: last.nonce } : {}) });
  }

  /** Resolves when synced (at once if already). */
  whenSynced(): Promise<void> {
    if (this.syncedAt !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Drops the connection at once (as a proxy whose network blipped); resolves when it is closed. */
  destroy(): Promise<void> {
    this.closing = true;
    const session = this.session;
    this.session = undefined;
    this.stream = undefined;
    if (!session || session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      session.once("close", () => resolve());
      session.destroy();
    });
  }

  private send(request: Parameters<typeof encodeDiscoveryRequest>[0]): void {
    const stream = this.stream;
    if (!stream || stream.destroyed) return;
    const node = this.sentNode ? undefined : this.options.node;
    this.sentNode = true;
    stream.write(frameGrpcMessage(encodeDiscoveryRequest({ ...request, ...(node ? { node } : {}) })));
  }

  private onMessage(message: Buffer, at: number): void {
    const response = decodeDiscoveryResponse(message);
    this.responses += 1;
    this.last.set(response.typeUrl, response);
    const names = this.names.get(response.typeUrl) ?? [];
    this.send({ typeUrl: response.typeUrl, resourceNames: names, versionInfo: response.versionInfo, responseNonce: response.nonce });
    const missing = this.missing.get(response.typeUrl);
    if (missing === "any") this.missing.delete(response.typeUrl);
    else if (missing) {
      for (const name of response.names) missing.delete(name);
      if (missing.size === 0) this.missing.delete(response.typeUrl);
    }
    // The callback may subscribe to more (names learnt from this response) before sync is judged.
    this.options.onResponse?.(this, response, at);
    if (this.syncedAt === undefined && this.missing.size === 0) {
      this.syncedAt = at;
      for (const wake of this.syncWaiters.splice(0)) wake();
    }
  }

  private fail(message: string): void {
    if (this.closing) return;
    this.errors.push(message);
  }
}
