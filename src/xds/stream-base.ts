import { Code, ConnectError } from "@connectrpc/connect";
import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";
import { isXdsTypeUrl, type Snapshot, type XdsTypeUrl } from "../snapshot/index.js";
import type { SotwStreamOptions } from "./sotw-stream.js";
import type { StreamInfo, XdsProtocol } from "./stream-hooks.js";

/** Which type a request is about, once the stream's kind and the protocol's rules have been applied. */
export type ResolvedRequestType = { readonly typeUrl: XdsTypeUrl } | { readonly ignored: "unknown-type" | "empty-type" };

/**
 * What the SotW and delta state machines keep the same way, without any I/O: who the client is
 * (the node of its first request, its snapshot group), the latest snapshot, unique nonces, which
 * type a request is about, and on ADS the hold of listeners and routes while the endpoints of
 * clusters just sent are still to come (make before break; Envoy warms such clusters).
 */
export abstract class StreamBase {
  /** What hooks and status see of this stream (a new object whenever node or group change). */
  info: StreamInfo;
  protected snapshot: Snapshot | undefined;
  /** ADS: endpoint names the client must receive before listeners and routes may follow. */
  protected readonly warmingEndpoints = new Set<string>();
  private warmingSince = 0;
  private groupName: string | undefined;
  private requestCount = 0;
  private nonceCounter = 0;

  constructor(
    protected readonly options: SotwStreamOptions,
    protocol: XdsProtocol,
  ) {
    this.info = Object.freeze({
      id: options.id,
      kind: options.kind,
      protocol,
      peer: options.peer,
      openedAt: options.now(),
      node: undefined,
      group: undefined,
    });
  }

  /** The snapshot group, known after the first request. */
  get group(): string | undefined {
    return this.groupName;
  }

  /** Gives the stream the latest snapshot of its group. */
  setSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
  }

  /** When the stream must be woken to stop holding for endpoints (undefined: no deadline). */
  nextDeadline(): number | undefined {
    return this.warmingEndpoints.size > 0 ? this.warmingSince + this.options.endpointWarmingTimeoutMs : undefined;
  }

  /**
   * Takes the node from the stream's first request (later ones may omit it) and assigns the group,
   * then resolves the type the request is about: a per-type service serves its own type (an empty
   * type URL there means that type); an unknown or empty type is ignored, the stream stays open.
   */
  protected begin(node: Node | undefined, requestTypeUrl: string): ResolvedRequestType {
    if (this.requestCount++ === 0) {
      this.groupName = this.options.nodeGroup(node);
      this.info = Object.freeze({ ...this.info, node, group: this.groupName });
    }
    let typeUrl = requestTypeUrl;
    if (this.options.kind !== "ads") {
      if (typeUrl === "") typeUrl = this.options.kind;
      else if (typeUrl !== this.options.kind) return { ignored: "unknown-type" };
    }
    if (typeUrl === "") return { ignored: "empty-type" };
    if (!isXdsTypeUrl(typeUrl)) return { ignored: "unknown-type" };
    return { typeUrl };
  }

  /** Refuses (RESOURCE_EXHAUSTED, ending only this stream) a request or subscription naming more than the limit. */
  protected checkNameLimit(count: number, what: string): void {
    if (count > this.options.maxResourceNames) {
      throw new ConnectError(`${what} ${count} resources, more than the limit of ${this.options.maxResourceNames}`, Code.ResourceExhausted);
    }
  }

  /** A nonce unique across streams too, so a nonce sent on the wrong stream is recognised as stale. */
  protected nextNonce(): string {
    return `${this.options.id.toString(36)}-${(++this.nonceCounter).toString(36)}`;
  }

  /** ADS: listeners and routes wait for the endpoints of clusters just sent, up to the warming timeout. */
  protected holdingForEndpoints(): boolean {
    if (this.warmingEndpoints.size === 0) return false;
    if (this.options.now() - this.warmingSince < this.options.endpointWarmingTimeoutMs) return true;
    this.warmingEndpoints.clear();
    return false;
  }

  /** ADS: the client must receive the endpoints `names` (of clusters just sent) before listeners and routes follow. */
  protected holdFor(names: Iterable<string>): void {
    if (this.warmingEndpoints.size === 0) this.warmingSince = this.options.now();
    for (const name of names) this.warmingEndpoints.add(name);
  }
}
