import type { ConnectError } from "@connectrpc/connect";
import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import type { EncodedResource, TypeSnapshot, XdsTypeUrl } from "../snapshot/index.js";

/** "ads" for an aggregated stream, or the type a per-type service (CDS, EDS…) serves. */
export type StreamKind = "ads" | XdsTypeUrl;

/** The two protocol variants: state of the world, and incremental (delta). */
export type XdsProtocol = "sotw" | "delta";

/** A request as a hook sees it: a DiscoveryRequest (SotW) or a DeltaDiscoveryRequest (delta). */
export type XdsRequest = DiscoveryRequest | DeltaDiscoveryRequest;

/** What the server made of one DiscoveryRequest or DeltaDiscoveryRequest. */
export type RequestKind =
  /** The first request of a type on this stream (a subscription). */
  | "subscribe"
  /** Acknowledges the last response of its type (may change the subscription too). */
  | "ack"
  /** Rejects the last response of its type (`error_detail` set). */
  | "nack"
  /** Carries the last nonce again after that response was answered: a subscription update only. */
  | "update"
  /**
   * Carries a nonce other than the last one sent for its type: ignored entirely (SotW); on a delta
   * stream it acknowledges nothing, but its subscription changes still apply.
   */
  | "stale"
  /** A type URL the bridge does not serve: ignored, the stream stays open. */
  | "unknown-type"
  /** No type URL on an ADS stream: ignored, the stream stays open. */
  | "empty-type";

/** What every hook learns about the stream it is called for. */
export interface StreamInfo {
  /** Unique per process, in opening order. */
  readonly id: number;
  readonly kind: StreamKind;
  readonly protocol: XdsProtocol;
  /** The client's address as seen by the server ("ip:port"), or "" if unknown. */
  readonly peer: string;
  readonly openedAt: number;
  /** The node from the stream's first request (later requests may omit it). */
  readonly node: Node | undefined;
  /** The snapshot group the node was assigned to, once the first request arrived. */
  readonly group: string | undefined;
}

/** A response as it leaves the server. */
export interface SentResponse {
  readonly typeUrl: XdsTypeUrl;
  /** SotW: version_info; delta: system_version_info (the type snapshot's version). */
  readonly version: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
  /** Delta responses: the names in removed_resources. */
  readonly removed?: readonly string[];
  /** The snapshot the response was planned from (its publish time gives change-to-ACK latency). */
  readonly snapshot: TypeSnapshot;
}

/**
 * Stream lifecycle callbacks for logging, metrics and status. They are called synchronously on the
 * stream's path: keep them cheap and never throw (a throwing hook is caught and ignored).
 */
export interface XdsServerHooks {
  onStreamOpen?(stream: StreamInfo): void;
  onStreamRequest?(stream: StreamInfo, request: XdsRequest, kind: RequestKind): void;
  onStreamResponse?(stream: StreamInfo, response: SentResponse): void;
  /** `version` is the version the client acknowledged. */
  onAck?(stream: StreamInfo, typeUrl: XdsTypeUrl, version: string): void;
  /** `rejectedVersion` is the version we sent; `message` the client's error_detail text. */
  onNack?(stream: StreamInfo, typeUrl: XdsTypeUrl, rejectedVersion: string, message: string): void;
  /** `error` is set when the stream ended with an error rather than cleanly. */
  onStreamClose?(stream: StreamInfo, error: ConnectError | undefined): void;
}

/**
 * Calls several hook sets in order, isolating each from the others' exceptions. The hooks of each
 * name are looked up once, here: these run for every request and response of every stream.
 */
export function combineHooks(...all: XdsServerHooks[]): Required<XdsServerHooks> {
  const each = <K extends keyof XdsServerHooks>(name: K): Required<XdsServerHooks>[K] => {
    const hooks = all.flatMap((set) => {
      const hook = set[name] as ((...args: unknown[]) => void) | undefined;
      return hook ? [hook.bind(set)] : [];
    });
    // Four parameters cover every hook; passing them on as they are allocates no argument array.
    const combined = (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
      for (const hook of hooks) {
        try {
          hook(a, b, c, d);
        } catch {
          // A hook must not break the stream it observes.
        }
      }
    };
    return combined as Required<XdsServerHooks>[K];
  };
  return {
    onStreamOpen: each("onStreamOpen"),
    onStreamRequest: each("onStreamRequest"),
    onStreamResponse: each("onStreamResponse"),
    onAck: each("onAck"),
    onNack: each("onNack"),
    onStreamClose: each("onStreamClose"),
  };
}
