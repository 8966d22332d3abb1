import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { ClusterSchema } from "../../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { NodeSchema } from "../../src/gen/envoy/config/core/v3/base_pb.js";
import { ClusterLoadAssignmentSchema } from "../../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../../src/gen/envoy/config/listener/v3/listener_pb.js";
import { RouteConfigurationSchema } from "../../src/gen/envoy/config/route/v3/route_pb.js";
import { ClusterDiscoveryService } from "../../src/gen/envoy/service/cluster/v3/cds_pb.js";
import { AggregatedDiscoveryService } from "../../src/gen/envoy/service/discovery/v3/ads_pb.js";
import {
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  type DiscoveryResponse,
} from "../../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { EndpointDiscoveryService } from "../../src/gen/envoy/service/endpoint/v3/eds_pb.js";
import { ListenerDiscoveryService } from "../../src/gen/envoy/service/listener/v3/lds_pb.js";
import { RouteDiscoveryService } from "../../src/gen/envoy/service/route/v3/rds_pb.js";
import { clusterType, endpointType, listenerType, routeType } from "../../src/snapshot/index.js";
import { RawStreamClient } from "./raw-stream-client.js";

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
export class RawXdsClient extends RawStreamClient<DiscoveryRequest, DiscoveryResponse> {
  /** Last acknowledged version per type (what a NACK reports as the good version). */
  private readonly acked = new Map<string, string>();

  private constructor(private readonly options: RawXdsClientOptions) {
    super(options.baseUrl, options.tls, (transport, requests, signal) => {
      const calls = {
        ads: () => createClient(AggregatedDiscoveryService, transport).streamAggregatedResources(requests, { signal }),
        cds: () => createClient(ClusterDiscoveryService, transport).streamClusters(requests, { signal }),
        eds: () => createClient(EndpointDiscoveryService, transport).streamEndpoints(requests, { signal }),
        lds: () => createClient(ListenerDiscoveryService, transport).streamListeners(requests, { signal }),
        rds: () => createClient(RouteDiscoveryService, transport).streamRoutes(requests, { signal }),
      };
      return calls[options.service ?? "ads"]();
    });
  }

  /** Opens a stream (the connection is made when the first request is sent). */
  static open(options: RawXdsClientOptions): RawXdsClient {
    return new RawXdsClient(options);
  }

  /** Sends a request as is (the node is added to the first one). */
  send(request: MessageInitShape<typeof DiscoveryRequestSchema>): void {
    this.push(create(DiscoveryRequestSchema, request), () => create(NodeSchema, this.options.node ?? { id: "test-node" }));
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
