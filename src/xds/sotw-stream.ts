import {
  type EncodedDiscoveryResponse,
  EncodedDiscoveryResponseSchema,
} from "../gen/consulxdsbridge/xds/v1/encoded_discovery_response_pb.js";
import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";
import type { DiscoveryRequest } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import type { Provenance } from "../model/provenance.js";
import { type AdsPhase, adsPhases } from "../resource-types/index.js";
import {
  clusterType,
  type EncodedResource,
  endpointType,
  isFullStateType,
  provenanceOf,
  type TypeSnapshot,
  type XdsTypeUrl,
} from "../snapshot/index.js";
import { type Plan, planFullState, planPerResource, type ResponsePlan, TypeState } from "./sotw-type-state.js";
import { StreamBase } from "./stream-base.js";
import type { RequestKind, SentResponse, StreamKind } from "./stream-hooks.js";

/** Where a stream stands for one type: what was sent, acknowledged and rejected. */
export interface TypeStatus {
  readonly typeUrl: XdsTypeUrl;
  /** "*" for a wildcard subscription, else the number of subscribed names. */
  readonly subscribed: "*" | number;
  readonly sentVersion: string | undefined;
  readonly sentAt: number | undefined;
  readonly ackedVersion: string | undefined;
  /** The last rejection, kept until a later response of the type is acknowledged. */
  readonly lastNack: { readonly version: string; readonly message: string; readonly at: number } | undefined;
  /** True while the last response has been neither acknowledged nor rejected. */
  readonly awaitingAck: boolean;
  /** What the version the client was last brought to was built from (Consul index, answer time). */
  readonly provenance: Provenance | undefined;
}

/** Options of {@link SotwStream}. */
export interface SotwStreamOptions {
  id: number;
  kind: StreamKind;
  peer: string;
  now: () => number;
  /** Assigns the stream to a snapshot group from its first node. */
  nodeGroup: (node: Node | undefined) => string;
  /** Refuse requests naming more resources than this (protects the process). */
  maxResourceNames: number;
  /**
   * How long an ADS stream holds back listeners and routes while it waits for the client to ask for
   * the endpoints of clusters it was just sent (make before break), before sending them anyway.
   */
  endpointWarmingTimeoutMs: number;
  /** An encoded envoy.config.core.v3.ControlPlane sent with every response (may be empty). */
  controlPlane: Uint8Array;
}

/** What one request was, and for which type. */
export interface RequestOutcome {
  readonly kind: RequestKind;
  /** The served type the request was about (absent for unknown and empty types). */
  readonly typeUrl?: XdsTypeUrl;
  /** For a NACK: the version the client rejected (the one we sent last). */
  readonly rejectedVersion?: string;
}

/** A response ready to be written, with what hooks and status need to know about it. */
export interface PendingResponse {
  readonly message: EncodedDiscoveryResponse;
  readonly sent: SentResponse;
}

/**
 * The state-of-the-world protocol for one xDS stream, without any I/O: requests go in through
 * {@link handleRequest}, the next response comes out of {@link nextResponse}, snapshots arrive through
 * {@link setSnapshot}. The rules it keeps are those of Envoy's xDS protocol (docs/root/api-docs/xds_protocol.rst):
 *
 * - One response of a type in flight at a time: the next is planned only after the client acknowledged
 *   or rejected the previous one, and it is planned from the latest snapshot. A slow client therefore
 *   holds at most one pending state per type, however fast the catalog changes.
 * - Respond only when subscribed content changed, the subscription grew, or it is the first response
 *   of the type. A NACK never brings a resend of the same content: the client gets new data when it
 *   exists. The first request of a type on a stream is a fresh subscription (reconnects get everything).
 * - LDS/CDS responses carry every subscribed resource; EDS/RDS responses carry what changed.
 * - On ADS: clusters, then endpoints, then listeners, then routes; a CDS/LDS response that removes
 *   resources while adding others first goes out with the removed ones still in it, and the removal
 *   follows once everything after it was sent. After a cluster is sent new or changed, its endpoints
 *   are sent again (Envoy keeps such a cluster warming until they arrive), and listeners and routes
 *   wait until they were sent, or until `endpointWarmingTimeoutMs`.
 */
export class SotwStream extends StreamBase {
  private readonly types = new Map<XdsTypeUrl, TypeState>();

  constructor(options: SotwStreamOptions) {
    super(options, "sotw");
  }

  /**
   * Applies one request to the stream's state and says what it was. Throws a ConnectError only for
   * requests the server refuses outright (over the configured limits).
   */
  handleRequest(request: DiscoveryRequest): RequestOutcome {
    const resolved = this.begin(request.node, request.typeUrl);
    if ("ignored" in resolved) return { kind: resolved.ignored };
    const { typeUrl } = resolved;
    this.checkNameLimit(request.resourceNames.length, "request names");
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = new TypeState(typeUrl)));

    let kind: RequestKind = "subscribe";
    if (state.lastNonce !== undefined) {
      if (request.responseNonce !== state.lastNonce) return { kind: "stale", typeUrl };
      if (!state.awaitingAck) {
        // The last response was answered already: this request only restates the subscription
        // (grpc-js repeats error_detail on such requests until a response is accepted).
        kind = "update";
      } else if (request.errorDetail) {
        kind = "nack";
        state.lastNack = {
          version: state.sentVersion ?? "",
          message: request.errorDetail.message,
          at: this.options.now(),
        };
        // A rejected make response keeps its removals for the next change (see planFullState).
        if (state.lingering.size > 0) state.breakAfterNack = state.sent;
      } else {
        kind = "ack";
        state.ackedVersion = request.versionInfo;
        if (request.versionInfo === state.sentVersion) state.lastNack = undefined;
      }
      state.awaitingAck = false;
    }
    const change = state.subscription.update(request.resourceNames);
    for (const name of change.removed) {
      state.newlySubscribed.delete(name);
      state.forceResend.delete(name);
    }
    for (const name of change.added) state.newlySubscribed.add(name);
    if (change.wildcardAdded) state.wildcardAdded = true;
    if (change.added.length > 0 || change.removed.length > 0 || change.wildcardAdded) state.breakAfterNack = undefined;
    if (
      kind === "update" &&
      typeUrl === endpointType &&
      this.options.kind === endpointType &&
      change.added.length === 0 &&
      change.removed.length === 0
    ) {
      // Per-type EDS: Envoy re-requests the same names when it rebuilds a changed cluster, and keeps
      // that cluster warming until a response arrives. On ADS the server resends on its own.
      for (const name of state.subscription.names) state.forceResend.add(name);
    }
    return kind === "nack" ? { kind, typeUrl, rejectedVersion: state.lastNack!.version } : { kind, typeUrl };
  }

  /**
   * Plans and commits the next response this stream should send now, or returns undefined when there
   * is nothing to send (no snapshot yet, everything up to date, or waiting for acknowledgements).
   */
  nextResponse(): PendingResponse | undefined {
    if (!this.snapshot) return undefined;
    if (this.options.kind !== "ads") {
      const state = this.types.get(this.options.kind);
      if (!state || state.awaitingAck) return undefined;
      return this.take(state, this.plan(state, "final"));
    }
    // Listeners and routes wait while clusters are still to come: the endpoints of clusters just
    // sent (warming), or a cluster response that is planned but waits for the previous one's ACK.
    let holding = this.holdingForEndpoints();
    let earlierPending = false;
    for (const { typeUrl, mode } of adsPhases) {
      const state = this.types.get(typeUrl);
      if (!state) continue;
      if (mode === "break" && earlierPending) continue;
      if (holding && typeUrl !== clusterType && typeUrl !== endpointType) {
        earlierPending = true;
        continue;
      }
      const plan = this.plan(state, mode);
      if (!plan) continue;
      if ("advanceTo" in plan) {
        this.advance(state, plan.advanceTo);
        continue;
      }
      if (state.awaitingAck) {
        earlierPending = true;
        if (typeUrl === clusterType) holding = true;
        continue;
      }
      return this.commit(state, plan.send);
    }
    return undefined;
  }

  /** Where the stream stands for each type it has asked for. */
  typeStatuses(): TypeStatus[] {
    return [...this.types.values()].map((state) => ({
      typeUrl: state.typeUrl,
      subscribed: state.subscription.wildcard ? "*" : state.subscription.names.size,
      sentVersion: state.sentVersion,
      sentAt: state.sentAt,
      ackedVersion: state.ackedVersion,
      lastNack: state.lastNack,
      awaitingAck: state.awaitingAck,
      provenance: provenanceOf(state.sent),
    }));
  }

  /**
   * The resources of `typeUrl` this client should hold now: every subscribed name with the resource
   * last sent for it (undefined: requested but not existing, or not sent yet).
   */
  delivered(typeUrl: XdsTypeUrl): Array<{ name: string; resource: EncodedResource | undefined }> {
    const state = this.types.get(typeUrl);
    if (!state) return [];
    const sent = state.sent?.resources ?? new Map<string, EncodedResource>();
    const names = new Set(state.subscription.names);
    if (state.subscription.wildcard) for (const name of sent.keys()) names.add(name);
    for (const name of state.lingering.keys()) names.add(name);
    return [...names].sort().map((name) => ({ name, resource: sent.get(name) ?? state.lingering.get(name) }));
  }

  private take(state: TypeState, plan: Plan): PendingResponse | undefined {
    if (!plan) return undefined;
    if ("advanceTo" in plan) {
      this.advance(state, plan.advanceTo);
      return undefined;
    }
    return this.commit(state, plan.send);
  }

  private plan(state: TypeState, mode: AdsPhase["mode"]): Plan {
    const target = this.snapshot!.get(state.typeUrl);
    // Settled: the client has this very snapshot and nothing was subscribed, forced or held back since.
    // Both planners return undefined then (an empty diff, nothing new); most wake-ups (every ACK, and
    // every publish for the types it did not touch) end here without planning anything.
    if (
      state.sent === target &&
      state.newlySubscribed.size === 0 &&
      !state.wildcardAdded &&
      state.forceResend.size === 0 &&
      state.lingering.size === 0
    ) {
      return undefined;
    }
    return isFullStateType(state.typeUrl) ? planFullState(state, target, mode) : planPerResource(state, target);
  }

  /** Records that the client is up to date at `target` although nothing needed sending. */
  private advance(state: TypeState, target: TypeSnapshot): void {
    state.sent = target;
    state.newlySubscribed.clear();
    state.wildcardAdded = false;
    state.forceResend.clear();
  }

  private commit(state: TypeState, plan: ResponsePlan): PendingResponse {
    // Unique across streams too, so a nonce sent on the wrong stream is recognised as stale.
    const nonce = this.nextNonce();
    state.lastNonce = nonce;
    state.awaitingAck = true;
    state.sent = plan.target;
    state.lingering = plan.lingering;
    state.newlySubscribed.clear();
    state.wildcardAdded = false;
    state.breakAfterNack = undefined;
    state.sentVersion = plan.version;
    state.sentAt = this.options.now();
    for (const resource of plan.resources) {
      state.forceResend.delete(resource.name);
      if (state.typeUrl === endpointType) this.warmingEndpoints.delete(resource.name);
    }
    for (const name of state.forceResend) if (!state.subscription.includes(name)) state.forceResend.delete(name);
    if (state.typeUrl === clusterType) this.afterClusters(plan.changed);
    // The message as create() would build it (every field set), without its reflection: one per response.
    const message: EncodedDiscoveryResponse = {
      $typeName: EncodedDiscoveryResponseSchema.typeName,
      versionInfo: plan.version,
      resources: anyBytesOf(plan.resources),
      canary: false,
      typeUrl: state.typeUrl,
      nonce,
      controlPlane: this.options.controlPlane,
    };
    const sent = { typeUrl: state.typeUrl, version: plan.version, nonce, resources: plan.resources, snapshot: plan.target };
    return { message, sent };
  }

  /** ADS only: new or changed clusters need their endpoints again before routes may use them. */
  private afterClusters(changed: readonly EncodedResource[]): void {
    const endpoints = this.types.get(endpointType);
    if (this.options.kind !== "ads" || !endpoints || changed.length === 0) return;
    const names = changed.flatMap((cluster) => cluster.references);
    this.holdFor(names);
    for (const name of names) endpoints.forceResend.add(name);
  }
}

const anyBytesCache = new WeakMap<readonly EncodedResource[], Uint8Array[]>();

/** The Any bytes of `resources`; shared when the array is (a wildcard response at one version). */
function anyBytesOf(resources: readonly EncodedResource[]): Uint8Array[] {
  // A short list is a per-stream one (EDS/RDS changes): mapping it costs less than caching it.
  if (resources.length <= 4) return resources.map((resource) => resource.any);
  const cached = anyBytesCache.get(resources);
  if (cached) return cached;
  const bytes = resources.map((resource) => resource.any);
  anyBytesCache.set(resources, bytes);
  return bytes;
}
