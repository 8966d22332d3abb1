import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { envoyRouteConfigurationName } from "../src/mapping/index.js";
import { clusterType, endpointType, listenerType, routeType } from "../src/snapshot/index.js";
import { frameGrpcMessage, GrpcDeframer } from "./grpc-framing.js";
import { monoMs } from "./mono-clock.js";

/** Which variant of ADS a bench Envoy speaks. */
export type EnvoyProtocol = "sotw" | "delta";

/** A response as a bench Envoy sees it: its type, nonce, version and the names it upserts or removes. */
interface SeenResponse {
  readonly typeUrl: string;
  readonly nonce: string;
  readonly version: string;
  readonly names: string[];
  readonly removed: string[];
}

const paths: Record<EnvoyProtocol, string> = {
  sotw: "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
  delta: "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
};

/**
 * An Envoy-like ADS client for the delta-vs-SotW scenario: every cluster (CDS wildcard), the
 * endpoints of every cluster it was sent (EDS, subscribed as clusters arrive), every listener and
 * the one route configuration Envoy proxies get — the subscriptions of an Envoy that uses all of the
 * catalog. It speaks SotW or delta ADS over node:http2 with hand-framed gRPC, acknowledges every
 * response at once, and counts the bytes it receives.
 */
export class BenchEnvoyClient {
  /** Bytes of response DATA received since the last {@link resetBytes}. */
  bytes = 0;
  /** Message bytes received per type since the last {@link resetBytes}. */
  bytesByType = new Map<string, number>();
  readonly errors: string[] = [];
  private session: http2.ClientHttp2Session | undefined;
  private stream: http2.ClientHttp2Stream | undefined;
  private sentNode = false;
  private readonly clusters = new Set<string>();
  private readonly synced = new Set<string>();
  private readonly waiters: Array<{ typeUrl: string; name: string; resolve: (at: number) => void }> = [];
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly protocol: EnvoyProtocol,
    private readonly nodeId: string,
  ) {}

  /** Connects and subscribes; resolves once clusters, all their endpoints, listeners and routes arrived. */
  connect(): Promise<void> {
    const session = http2.connect(this.url, { settings: { initialWindowSize: 64 * 1024 * 1024, enablePush: false } });
    this.session = session;
    session.on("error", (error) => this.fail(`connection: ${error.message}`));
    session.once("connect", () => session.setLocalWindowSize(64 * 1024 * 1024));
    const stream = session.request({
      ":method": "POST",
      ":path": paths[this.protocol],
      "content-type": "application/grpc",
      te: "trailers",
    });
    this.stream = stream;
    const deframer = new GrpcDeframer();
    stream.on("data", (chunk: Buffer) => {
      this.bytes += chunk.length;
      const at = monoMs();
      for (const message of deframer.push(chunk)) {
        const response = this.protocol === "sotw" ? decodeSotw(message) : decodeDelta(message);
        this.bytesByType.set(response.typeUrl, (this.bytesByType.get(response.typeUrl) ?? 0) + 5 + message.length);
        this.onMessage(response, at);
      }
    });
    stream.on("error", (error) => this.fail(`stream: ${error.message}`));
    stream.on("close", () => this.fail("stream closed by the server"));
    const synced = new Promise<void>((resolve) => {
      let left = 4;
      for (const typeUrl of [clusterType, endpointType, listenerType, routeType]) {
        this.waiters.push({
          typeUrl,
          name: typeUrl === routeType ? envoyRouteConfigurationName : "",
          resolve: () => {
            if (--left === 0) resolve();
          },
        });
      }
    });
    this.request(clusterType, { subscribe: [] });
    this.request(listenerType, { subscribe: [] });
    this.request(routeType, { subscribe: [envoyRouteConfigurationName] });
    return synced;
  }

  /** Resolves (with the arrival time) when a response of `typeUrl` naming `name` arrives. */
  nextNaming(typeUrl: string, name: string): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ typeUrl, name, resolve }));
  }

  resetBytes(): void {
    this.bytes = 0;
    this.bytesByType = new Map();
  }

  /** Closes the connection. */
  close(): Promise<void> {
    this.closing = true;
    const session = this.session;
    if (!session || session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      session.once("close", () => resolve());
      session.destroy();
    });
  }

  private onMessage(response: SeenResponse, at: number): void {
    // ACK first, as Envoy does, with whatever the response makes it subscribe to.
    if (response.typeUrl === clusterType) {
      const added = response.names.filter((name) => !this.clusters.has(name));
      for (const name of added) this.clusters.add(name);
      for (const name of response.removed) this.clusters.delete(name);
      this.ack(response);
      if (this.protocol === "sotw") {
        const now = new Set(response.names);
        for (const name of this.clusters) if (!now.has(name)) this.clusters.delete(name);
        if (added.length > 0 || now.size !== this.clusters.size)
          this.request(endpointType, { subscribe: [...this.clusters], version: this.version(endpointType) });
      } else if (added.length > 0 || response.removed.length > 0) {
        this.request(endpointType, { subscribe: added, unsubscribe: response.removed });
      }
    } else {
      this.ack(response);
    }
    for (let i = 0; i < this.waiters.length; i++) {
      const waiter = this.waiters[i]!;
      if (waiter.typeUrl !== response.typeUrl) continue;
      if (waiter.name !== "" && !response.names.includes(waiter.name)) continue;
      if (waiter.typeUrl === endpointType && waiter.name === "" && !this.endpointsComplete(response)) continue;
      this.waiters.splice(i--, 1);
      this.synced.add(waiter.typeUrl);
      waiter.resolve(at);
    }
  }

  private readonly endpointNames = new Set<string>();

  /** The first full set of endpoints (every cluster's) has arrived. */
  private endpointsComplete(response: SeenResponse): boolean {
    for (const name of response.names) this.endpointNames.add(name);
    for (const name of this.clusters) if (!this.endpointNames.has(name)) return false;
    return this.clusters.size > 0;
  }

  private readonly versions = new Map<string, string>();

  private version(typeUrl: string): string {
    return this.versions.get(typeUrl) ?? "";
  }

  private readonly nonces = new Map<string, string>();
  private readonly subscriptions = new Map<string, string[]>();

  private ack(response: SeenResponse): void {
    this.versions.set(response.typeUrl, response.version);
    this.nonces.set(response.typeUrl, response.nonce);
    if (this.protocol === "delta") this.request(response.typeUrl, { nonce: response.nonce });
    else
      this.request(response.typeUrl, {
        nonce: response.nonce,
        version: response.version,
        subscribe: this.subscriptions.get(response.typeUrl) ?? [],
      });
  }

  private request(typeUrl: string, fields: { subscribe?: string[]; unsubscribe?: string[]; nonce?: string; version?: string }): void {
    const stream = this.stream;
    if (!stream || stream.destroyed) return;
    const node = this.sentNode ? undefined : { id: this.nodeId, cluster: "bench", userAgentName: "envoy" };
    this.sentNode = true;
    let bytes: Uint8Array;
    if (this.protocol === "sotw") {
      if (fields.subscribe) this.subscriptions.set(typeUrl, fields.subscribe);
      const nonce = fields.nonce ?? this.nonces.get(typeUrl) ?? "";
      bytes = toBinary(
        DiscoveryRequestSchema,
        create(DiscoveryRequestSchema, {
          typeUrl,
          node,
          resourceNames: this.subscriptions.get(typeUrl) ?? [],
          versionInfo: fields.version ?? this.version(typeUrl),
          responseNonce: nonce,
        }),
      );
    } else {
      bytes = toBinary(
        DeltaDiscoveryRequestSchema,
        create(DeltaDiscoveryRequestSchema, {
          typeUrl,
          node,
          resourceNamesSubscribe: fields.subscribe ?? [],
          resourceNamesUnsubscribe: fields.unsubscribe ?? [],
          responseNonce: fields.nonce ?? "",
        }),
      );
    }
    stream.write(frameGrpcMessage(bytes));
  }

  private fail(message: string): void {
    if (!this.closing) this.errors.push(message);
  }
}

/** The `name` (field 1) of an encoded resource message (Cluster, ClusterLoadAssignment, Listener, RouteConfiguration). */
function messageName(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) return reader.string();
    reader.skip(wireType);
  }
  return "";
}

/** The value (field 2) of an encoded Any. */
function anyValue(bytes: Uint8Array): Uint8Array {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 2 && wireType === WireType.LengthDelimited) return reader.bytes();
    reader.skip(wireType);
  }
  return new Uint8Array();
}

function decodeSotw(bytes: Uint8Array): SeenResponse {
  const reader = new BinaryReader(bytes);
  const response = { typeUrl: "", nonce: "", version: "", names: [] as string[], removed: [] as string[] };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) response.version = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) response.names.push(messageName(anyValue(reader.bytes())));
    else if (field === 4 && wireType === WireType.LengthDelimited) response.typeUrl = reader.string();
    else if (field === 5 && wireType === WireType.LengthDelimited) response.nonce = reader.string();
    else reader.skip(wireType);
  }
  return response;
}

function decodeDelta(bytes: Uint8Array): SeenResponse {
  const reader = new BinaryReader(bytes);
  const response = { typeUrl: "", nonce: "", version: "", names: [] as string[], removed: [] as string[] };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) response.version = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) {
      // A Resource: its name is field 3.
      const resource = new BinaryReader(reader.bytes());
      while (resource.pos < resource.len) {
        const [inner, innerType] = resource.tag();
        if (inner === 3 && innerType === WireType.LengthDelimited) response.names.push(resource.string());
        else resource.skip(innerType);
      }
    } else if (field === 4 && wireType === WireType.LengthDelimited) response.typeUrl = reader.string();
    else if (field === 5 && wireType === WireType.LengthDelimited) response.nonce = reader.string();
    else if (field === 6 && wireType === WireType.LengthDelimited) response.removed.push(reader.string());
    else reader.skip(wireType);
  }
  return response;
}
