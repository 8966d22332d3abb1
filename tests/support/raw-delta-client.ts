import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { NodeSchema } from "../../src/gen/envoy/config/core/v3/base_pb.js";
import { ClusterDiscoveryService } from "../../src/gen/envoy/service/cluster/v3/cds_pb.js";
import { AggregatedDiscoveryService } from "../../src/gen/envoy/service/discovery/v3/ads_pb.js";
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
  type DeltaDiscoveryResponse,
} from "../../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { EndpointDiscoveryService } from "../../src/gen/envoy/service/endpoint/v3/eds_pb.js";
import { ListenerDiscoveryService } from "../../src/gen/envoy/service/listener/v3/lds_pb.js";
import { RouteDiscoveryService } from "../../src/gen/envoy/service/route/v3/rds_pb.js";
import { RawStreamClient } from "./raw-stream-client.js";
import type { RawStreamService } from "./raw-xds-client.js";

/** Options of {@link RawDeltaClient.open}. */
export interface RawDeltaClientOptions {
  /** e.g. "http://127.0.0.1:18000" */
  baseUrl: string;
  service?: RawStreamService;
  /** Sent on the first request only, as Envoy does. */
  node?: MessageInitShape<typeof NodeSchema>;
}

/**
 * A bare incremental xDS client for protocol tests: it sends exactly the DeltaDiscoveryRequests a
 * test writes and records every DeltaDiscoveryResponse, over a real HTTP/2 connection of its own.
 */
export class RawDeltaClient extends RawStreamClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  private constructor(private readonly options: RawDeltaClientOptions) {
    super(options.baseUrl, undefined, (transport, requests, signal) => {
      const calls = {
        ads: () => createClient(AggregatedDiscoveryService, transport).deltaAggregatedResources(requests, { signal }),
        cds: () => createClient(ClusterDiscoveryService, transport).deltaClusters(requests, { signal }),
        eds: () => createClient(EndpointDiscoveryService, transport).deltaEndpoints(requests, { signal }),
        lds: () => createClient(ListenerDiscoveryService, transport).deltaListeners(requests, { signal }),
        rds: () => createClient(RouteDiscoveryService, transport).deltaRoutes(requests, { signal }),
      };
      return calls[options.service ?? "ads"]();
    });
  }

  /** Opens a stream (the connection is made when the first request is sent). */
  static open(options: RawDeltaClientOptions): RawDeltaClient {
    return new RawDeltaClient(options);
  }

  /** Sends a request as is (the node is added to the first one). */
  send(request: MessageInitShape<typeof DeltaDiscoveryRequestSchema>): void {
    this.push(create(DeltaDiscoveryRequestSchema, request), () => create(NodeSchema, this.options.node ?? { id: "delta-node" }));
  }

  /** Subscribes to (and unsubscribes from) names of `typeUrl`, with no nonce (a spontaneous request). */
  subscribe(typeUrl: string, subscribe: string[] = [], unsubscribe: string[] = []): void {
    this.send({ typeUrl, resourceNamesSubscribe: subscribe, resourceNamesUnsubscribe: unsubscribe });
  }

  /** Acknowledges `response`, optionally changing the subscription in the same request. */
  ack(response: DeltaDiscoveryResponse, subscribe: string[] = [], unsubscribe: string[] = []): void {
    this.send({
      typeUrl: response.typeUrl,
      responseNonce: response.nonce,
      resourceNamesSubscribe: subscribe,
      resourceNamesUnsubscribe: unsubscribe,
    });
  }

  /** Rejects `response` with `message`. */
  nack(response: DeltaDiscoveryResponse, message: string): void {
    this.send({ typeUrl: response.typeUrl, responseNonce: response.nonce, errorDetail: { code: Code.InvalidArgument, message } });
  }
}

/** The upserted names of a delta response, in order. */
export function upserted(response: DeltaDiscoveryResponse): string[] {
  return response.resources.map((resource) => {
    if (resource.resource?.typeUrl !== response.typeUrl)
      throw new Error(`Any of ${resource.resource?.typeUrl} in a ${response.typeUrl} response`);
    return resource.name;
  });
}

/** name → version of the upserted resources of a delta response. */
export function versionsOf(response: DeltaDiscoveryResponse): Record<string, string> {
  return Object.fromEntries(response.resources.map((resource) => [resource.name, resource.version]));
}
