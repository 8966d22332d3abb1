import type { DeltaDiscoveryRequest } from "../gen/envoy/service/discovery/v3/discovery_pb.js";
import { deltaAdsPhases } from "../resource-types/index.js";
import {
  clusterType,
  type EncodedResource,
  endpointType,
  listenerType,
  provenanceOf,
  routeType,
  type XdsTypeUrl,
} from "../snapshot/index.js";
import { type DeltaPlan, DeltaTypeState } from "./delta-type-state.js";
import type { DeltaResponseMessage } from "./response-encoding.js";
import type { RequestOutcome, SotwStreamOptions, TypeStatus } from "./sotw-stream.js";
import { StreamBase } from "./stream-base.js";
import type { RequestKind, SentResponse } from "./stream-hooks.js";

/** Options of {@link DeltaStream}: the same as a SotW stream's. */
export type DeltaStreamOptions = SotwStreamOptions;

/** A delta response ready to be written, with what hooks and status need to know about it. */
export interface PendingDeltaResponse {
  readonly message: DeltaResponseMessage;
  readonly sent: SentResponse;
}

/**
 * The incremental (delta) xDS protocol for one stream, without any I/O, in the shape of SotwStream:
 * requests go in through {@link handleRequest}, the next response comes out of {@link nextResponse},
 * snapshots arrive through {@link setSnapshot}. It keeps the rules of Envoy's xds_protocol.rst
 * ("Incremental xDS") and avoids the faults other control planes shipped:
 *
 * - Versions are per resource, the content hash of the snapshot (the same digests as SotW), so any
 *   replica agrees; `system_version_info` is the type snapshot's version, for debugging only.
 * - Subscriptions change by `resource_names_subscribe` / `_unsubscribe`, even on a request with a
 *   stale nonce; `*` is the explicit wildcard, a first request with both lists empty the legacy one
 *   (LDS and CDS only). Every name in a subscribe is sent again, whatever the server thinks the client
 *   holds (go-control-plane #431, #1002); one that does not exist goes in `removed_resources`.
 * - A reconnecting client's `initial_resource_versions` is what it holds: only what differs is sent,
 *   and what vanished is removed (Istio #41494 leaked it).
 * - One response per type in flight; the next is planned from the latest snapshot once it is
 *   answered. A NACK keeps the client's previous state, and the rejected versions are not sent again
 *   until their content changes or a subscribe names them (no resend loop, go-control-plane #962).
 * - On ADS: upserts clusters → endpoints → listeners → routes, removals last; a changed cluster's
 *   ClusterLoadAssignment is sent again (Envoy keeps the cluster warming until it arrives; Consul
 *   #19866), and listeners and routes wait for it or for `endpointWarmingTimeoutMs`.
 */
export class DeltaStream extends StreamBase {
  private readonly types = new Map<XdsTypeUrl, DeltaTypeState>();
  /** ADS: endpoints of clusters sent before the client asked for endpoints; sent when it does, held or not. */
  private readonly endpointsOwed = new Set<string>();

  constructor(options: DeltaStreamOptions) {
    super(options, "delta");
  }

  /**
   * Applies one request and says what it was. Throws a ConnectError (RESOURCE_EXHAUSTED) for a
   * request, or a subscription, naming more resources than the configured limit.
   */
  handleRequest(request: DeltaDiscoveryRequest): RequestOutcome {
    const resolved = this.begin(request.node, request.typeUrl);
    if ("ignored" in resolved) return { kind: resolved.ignored };
    const { typeUrl } = resolved;
    const initial = Object.entries(request.initialResourceVersions);
    this.checkNameLimit(request.resourceNamesSubscribe.length + request.resourceNamesUnsubscribe.length + initial.length, "request names");
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = new DeltaTypeState(typeUrl)));
    const first = state.requests++ === 0;

    let kind: RequestKind = first ? "subscribe" : "update";
    let rejectedVersion: string | undefined;
    if (request.responseNonce !== "" && !first) {
      if (request.responseNonce !== state.lastNonce) kind = "stale";
      else if (state.inFlight) {
        if (request.errorDetail) {
          kind = "nack";
          rejectedVersion = state.sentVersion ?? "";
          state.reject(request.errorDetail.message, this.options.now());
        } else {
          kind = "ack";
          state.accept();
        }
      }
    }
    // Subscription changes apply whatever the nonce says (xds_protocol.rst).
    this.updateSubscription(state, request, first, initial);
    return rejectedVersion !== undefined ? { kind, typeUrl, rejectedVersion } : { kind, typeUrl };
  }

  /**
   * Plans and commits the next response to send now, or returns undefined when there is nothing to
   * send (no snapshot yet, everything up to date, or waiting for acknowledgements).
   */
  nextResponse(): PendingDeltaResponse | undefined {
    const snapshot = this.snapshot;
    if (!snapshot) return undefined;
    if (this.options.kind !== "ads") {
      const state = this.types.get(this.options.kind);
      if (!state || state.inFlight) return undefined;
      const outcome = state.plan(snapshot.get(state.typeUrl), "final");
      if (!outcome) return undefined;
      if ("advance" in outcome) {
        state.advance(outcome.advance);
        return undefined;
      }
      return this.commit(state, outcome.send);
    }
    let holding = this.holdingForEndpoints();
    let earlierPending = false;
    for (const { typeUrl, mode } of deltaAdsPhases) {
      const state = this.types.get(typeUrl);
      if (!state) continue;
      if (mode === "break" && earlierPending) continue;
      if (holding && (typeUrl === listenerType || typeUrl === routeType)) {
        earlierPending = true;
        continue;
      }
      const outcome = state.plan(snapshot.get(typeUrl), mode);
      if (!outcome) continue;
      if (state.inFlight) {
        if ("send" in outcome) {
          earlierPending = true;
          if (typeUrl === clusterType) holding = true;
        }
        continue;
      }
      if ("advance" in outcome) {
        state.advance(outcome.advance);
        continue;
      }
      return this.commit(state, outcome.send);
    }
    return undefined;
  }

  /** Where the stream stands for each type it has asked for. */
  typeStatuses(): TypeStatus[] {
    return [...this.types.values()].map((state) => ({
      typeUrl: state.typeUrl,
      subscribed: state.wildcard ? "*" : state.names.size,
      sentVersion: state.sentVersion,
      sentAt: state.sentAt,
      ackedVersion: state.ackedVersion,
      lastNack: state.lastNack,
      awaitingAck: state.inFlight !== undefined,
      // What the client was last brought to: the response in flight, else what it holds.
      provenance: provenanceOf(state.inFlight?.plan.target ?? state.held.synced),
    }));
  }

  /**
   * The resources of `typeUrl` this client holds, as far as the server knows: every subscribed name
   * with the resource it holds (undefined: requested but not existing, or not sent yet).
   */
  delivered(typeUrl: XdsTypeUrl): Array<{ name: string; resource: EncodedResource | undefined }> {
    const state = this.types.get(typeUrl);
    if (!state) return [];
    const { synced, exceptions } = state.held;
    const names = new Set<string>(state.names);
    for (const name of exceptions.keys()) names.add(name);
    if (state.wildcard && synced) for (const name of synced.resources.keys()) names.add(name);
    const current = this.snapshot?.get(typeUrl);
    const entries: Array<{ name: string; resource: EncodedResource | undefined }> = [];
    for (const name of [...names].sort()) {
      const hash = state.holding(name);
      const known = [synced?.resources.get(name), current?.resources.get(name)].find((r) => r !== undefined && r.hash === hash);
      if (known || state.interested(name)) entries.push({ name, resource: known });
    }
    return entries;
  }

  private updateSubscription(
    state: DeltaTypeState,
    request: DeltaDiscoveryRequest,
    first: boolean,
    initial: ReadonlyArray<[string, string]>,
  ): void {
    if (first && initial.length > 0) {
      // What a reconnecting client holds; planned against the snapshot like anything else.
      const exceptions = new Map<string, string | undefined>(initial);
      state.advance({ synced: undefined, exceptions });
    }
    const subscribe = request.resourceNamesSubscribe;
    const unsubscribe = request.resourceNamesUnsubscribe;
    let changed = false;
    if (first && subscribe.length === 0 && unsubscribe.length === 0 && state.wildcardAllowed) {
      state.wildcard = true; // the legacy wildcard
      changed = true;
    }
    for (const name of subscribe) {
      changed = true;
      if (name === "*" && state.wildcardAllowed) {
        if (!state.wildcard) {
          state.wildcard = true;
          if (!first) state.wildcardAdded();
        }
        continue;
      }
      state.names.add(name);
      // Sent whatever the client is believed to hold, except on the first request when the client
      // said which version it holds (that is what initial_resource_versions is for) — unless this
      // stream has sent the cluster it belongs to since: Envoy keeps such a cluster warming until
      // its endpoints arrive, whatever version of them it holds (Consul #19866).
      const held = first && Object.hasOwn(request.initialResourceVersions, name);
      if (!held || (state.typeUrl === endpointType && this.endpointsOwed.delete(name))) state.forced.add(name);
    }
    for (const name of unsubscribe) {
      changed = true;
      if (name === "*" && state.wildcardAllowed) {
        state.wildcard = false;
        continue;
      }
      state.names.delete(name);
      state.forced.delete(name);
      state.rejected.delete(name);
      // Still covered by the wildcard: the client cannot tell whether to keep it, so say (xds_protocol.rst).
      if (state.wildcard) state.forced.add(name);
    }
    if (changed) state.nackedAt = undefined;
    this.checkNameLimit(state.names.size, `the stream subscribes to ${state.typeUrl}:`);
  }

  private commit(state: DeltaTypeState, plan: DeltaPlan): PendingDeltaResponse {
    // Unique across streams too, so a nonce sent on the wrong stream is recognised as stale.
    const nonce = this.nextNonce();
    state.commit(plan);
    state.lastNonce = nonce;
    state.sentVersion = plan.target.version;
    state.sentAt = this.options.now();
    if (state.typeUrl === endpointType) for (const resource of plan.upserts) this.warmingEndpoints.delete(resource.name);
    if (state.typeUrl === clusterType && this.options.kind === "ads") this.afterClusters(plan.upserts);
    const message: DeltaResponseMessage = {
      typeUrl: state.typeUrl,
      systemVersionInfo: plan.target.version,
      nonce,
      resources: plan.upserts,
      removedResources: plan.removals,
      controlPlane: this.options.controlPlane,
    };
    const sent: SentResponse = {
      typeUrl: state.typeUrl,
      version: plan.target.version,
      nonce,
      resources: plan.upserts,
      removed: plan.removals,
      snapshot: plan.target,
    };
    return { message, sent };
  }

  /** ADS only: clusters sent new or changed need their endpoints again before routes may use them. */
  private afterClusters(clusters: readonly EncodedResource[]): void {
    const endpoints = this.types.get(endpointType);
    if (clusters.length === 0) return;
    if (!endpoints) {
      // Endpoints not asked for yet (a reconnecting Envoy asks for clusters first): owe them, so the
      // first endpoints request gets them even for names it lists as held.
      for (const cluster of clusters) for (const name of cluster.references) this.endpointsOwed.add(name);
      return;
    }
    const names = clusters.flatMap((cluster) => cluster.references);
    this.holdFor(names);
    for (const name of names) if (endpoints.interested(name)) endpoints.forced.add(name);
  }
}
