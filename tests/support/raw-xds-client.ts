import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ClusterSchema } from "../../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { NodeSchema } from "../../src/gen/envoy/config/core/v3/base_pb.js";
import { ClusterLoadAssignmentSchema } from "../../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../../src/gen/envoy/config/listener/v3/listener_pb.js";
import { RouteConfigurationSchema } from "../../src/gen/envoy/config/route/v3/route_pb.js";
import { ClusterDiscoveryService } from "../../src/gen/envoy/service/cluster/v3/cds_pb.js";
import { AggregatedDiscoveryService } from "../../src/gen/envoy/service/discovery/v3/ads_pb.js";
import { DiscoveryRequestSchema, type DiscoveryResponse } from "../../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { EndpointDiscoveryService } from "../../src/gen/envoy/service/endpoint/v3/eds_pb.js";
import { ListenerDiscoveryService } from "../../src/gen/envoy/service/listener/v3/lds_pb.js";
import { RouteDiscoveryService } from "../../src/gen/envoy/service/route/v3/rds_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../../src/snapshot/index.js";
import { AsyncQueue, pipeInto } from "./async-queue.js";

/** Which discovery service a raw client opens its stream on. */
export type RawStreamService = "ads" | "cds" | "eds" | "lds" | "rds";

/** Options of {@link RawXdsClient.open}. */
export interface RawXdsClientOptions {
  /** e.g. "http://127.0.0.1:18000" */
  baseUrl: string;
  service?: RawStreamService;
  /** Sent on the first request only, as Envoy and grpc-js do. */
  node?: MessageInitShape<typeof NodeSchema>;
  /** TLS for an https:// baseUrl: the CA to trust, and a client certificate for mutual TLS. */
  tls?: { ca: string; cert?: string; key?: string };
}

/**
 * A bare xDS client for protocol tests: it sends exactly the DiscoveryRequests a test writes and
 * records every DiscoveryResponse, decoded with the generated Envoy types, over a real HTTP/2
 * connection of its own.
 */
export class RawXdsClient {
  /** Responses in arrival order. */
  readonly responses = new AsyncQueue<DiscoveryResponse>();
  /** Resolves when the server ends the stream: undefined for OK, else the error. */
  readonly ended: Promise<ConnectError | undefined>;
  private readonly requests = new AsyncQueue<MessageInitShape<typeof DiscoveryRequestSchema>>();
  private readonly sessions: Http2SessionManager;
  private readonly abort = new AbortController();
  private sentFirst = false;
  /** Last acknowledged version per type (what a NACK reports as the good version). */
  private readonly acked = new Map<string, string>();

  private constructor(private readonly options: RawXdsClientOptions) {
    this.sessions = new Http2SessionManager(options.baseUrl, undefined, options.tls ? { ...options.tls } : undefined);
    const transport = createGrpcTransport({ baseUrl: options.baseUrl, sessionManager: this.sessions });
    const calls = {
      ads: () =>
        createClient(AggregatedDiscoveryService, transport).streamAggregatedResources(this.requests, { signal: this.abort.signal }),
      cds: () => createClient(ClusterDiscoveryService, transport).streamClusters(this.requests, { signal: this.abort.signal }),
      eds: () => createClient(EndpointDiscoveryService, transport).streamEndpoints(this.requests, { signal: this.abort.signal }),
      lds: () => createClient(ListenerDiscoveryService, transport).streamListeners(this.requests, { signal: this.abort.signal }),
      rds: () => createClient(RouteDiscoveryService, transport).streamRoutes(this.requests, { signal: this.abort.signal }),
    };
    const responses = calls[options.service ?? "ads"]();
    this.ended = pipeInto(responses, this.responses, (error) => ConnectError.from(error));
  }

  /** Opens a stream (the connection is made when the first request is sent). */
  static open(options: RawXdsClientOptions): RawXdsClient {
    return new RawXdsClient(options);
  }

  /** Sends a request as is (the node is added to the first one). */
  send(request: MessageInitShape<typeof DiscoveryRequestSchema>): void {
    const message = create(DiscoveryRequestSchema, request);
    if (!this.sentFirst && !message.node) message.node = create(NodeSchema, this.options.node ?? { id: "test-node" });
    this.sentFirst = true;
    this.requests.push(message);
  }

  /** Sends a subscription request for `typeUrl` with no nonce (a first request). */
  subscribe(typeUrl: string, resourceNames: string[] = []): void {
    this.send({ typeUrl, resourceNames });
  }

  /** Acknowledges `response`, stating the subscription `resourceNames`. */
  ack(response: DiscoveryResponse, resourceNames: string[] = []): void {
    this.acked.set(response.typeUrl, response.versionInfo);
    this.send({ typeUrl: response.typeUrl, versionInfo: response.versionInfo, responseNonce: response.nonce, resourceNames });
  }

  /** Rejects `response` with `message`, reporting the last acknowledged version as good. */
  nack(response: DiscoveryResponse, message: string, resourceNames: string[] = []): void {
    this.send({
      typeUrl: response.typeUrl,
      versionInfo: this.acked.get(response.typeUrl) ?? "",
      responseNonce: response.nonce,
      resourceNames,
      errorDetail: { code: Code.InvalidArgument, message },
    });
  }

  /** The next response (rejects if none arrives within `timeoutMs`). */
  next(timeoutMs?: number): Promise<DiscoveryResponse> {
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
}

/** The names of the resources a response carries, decoded with the generated types. */
export function responseNames(response: DiscoveryResponse): string[] {
  return response.resources.map((any) => {
    if (any.typeUrl !== response.typeUrl) throw new Error(`Any of ${any.typeUrl} in a ${response.typeUrl} response`);
    switch (any.typeUrl) {
      case clusterType:
        return fromBinary(ClusterSchema, any.value).name;
      case endpointType:
        return fromBinary(ClusterLoadAssignmentSchema, any.value).clusterName;
      case listenerType:
        return fromBinary(ListenerSchema, any.value).name;
      case routeType:
        return fromBinary(RouteConfigurationSchema, any.value).name;
      default:
        throw new Error(`unexpected type ${any.typeUrl}`);
    }
  });
}

/** Decodes the ClusterLoadAssignments of an EDS response. */
export function responseAssignments(response: DiscoveryResponse) {
  return response.resources.map((any) => fromBinary(ClusterLoadAssignmentSchema, any.value));
}
