import { diffTypeSnapshots, type EncodedResource, isFullStateType, type TypeSnapshot, type XdsTypeUrl } from "../snapshot/index.js";
import type { TypeStatus } from "./sotw-stream.js";

/**
 * What the client holds, as the server knows it: the version (content hash) of every resource of
 * `synced` it is interested in, except the names in `exceptions`, which map to the hash it holds
 * instead (undefined: nothing). Keeping a snapshot plus exceptions, rather than a name → version map
 * per stream, costs a wildcard client of 10,000 clusters nothing beyond its exceptions.
 */
export interface HeldState {
  readonly synced: TypeSnapshot | undefined;
  readonly exceptions: ReadonlyMap<string, string | undefined>;
}

/** Which part of a change a response may carry: upserts, removals, or (per-type streams) both. */
export type DeltaPhaseMode = "make" | "break" | "final";

/** A planned delta response for one type. */
export interface DeltaPlan {
  readonly target: TypeSnapshot;
  readonly upserts: readonly EncodedResource[];
  readonly removals: readonly string[];
  /** What the client will hold once it accepts the response: `target`, except these. */
  readonly exceptions: Map<string, string | undefined>;
}

/** The outcome of planning: a response, or "the client is up to date with target" (nothing to send). */
export type DeltaPlanOutcome = { readonly send: DeltaPlan } | { readonly advance: HeldState } | undefined;

/** A response in flight: what the client will hold if it accepts it, and what it carried. */
interface InFlight extends HeldState {
  readonly plan: DeltaPlan;
}

/**
 * Per-stream, per-type state of the incremental protocol: the subscription (explicit names, the
 * wildcard for LDS/CDS), what the client holds, what must be sent whatever it holds, the versions it
 * rejected, and the response in flight. Pure data and decisions; DeltaStream drives it.
 */
export class DeltaTypeState {
  /** True for LDS/CDS: the only types with a wildcard subscription. */
  readonly wildcardAllowed: boolean;
  wildcard = false;
  readonly names = new Set<string>();
  held: HeldState = { synced: undefined, exceptions: new Map() };
  /** Names to send (or report removed) in the next response whatever the client holds: every subscribe. */
  readonly forced = new Set<string>();
  /** name → content hash the client rejected: never sent again unless named in a subscribe. */
  readonly rejected = new Map<string, string>();
  /** After a NACK, the snapshot it was planned from: nothing is planned again until content or subscription changes. */
  nackedAt: TypeSnapshot | undefined;
  /** The wildcard was added: on the next chance, the client's holdings are re-read name by name. */
  resyncPending = false;
  inFlight: InFlight | undefined;
  /** A response of this type was sent on the stream (the first one goes out even when empty). */
  responded = false;
  requests = 0;
  lastNonce: string | undefined;
  sentVersion: string | undefined;
  sentAt: number | undefined;
  ackedVersion: string | undefined;
  lastNack: TypeStatus["lastNack"];

  constructor(readonly typeUrl: XdsTypeUrl) {
    this.wildcardAllowed = isFullStateType(typeUrl);
  }

  /** True when `name` is subscribed, explicitly or through the wildcard. */
  interested(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /** The hash of `name` the client holds in `state` (undefined: nothing). */
  holding(name: string, state: HeldState = this.held): string | undefined {
    if (state.exceptions.has(name)) return state.exceptions.get(name);
    if (!state.synced || !this.interested(name)) return undefined;
    return state.synced.resources.get(name)?.hash;
  }

  /** The client accepted the response in flight. */
  accept(): void {
    const flight = this.inFlight!;
    this.inFlight = undefined;
    const exceptions = new Map(flight.exceptions);
    for (const name of exceptions.keys()) if (!this.interested(name)) exceptions.delete(name);
    this.held = { synced: flight.synced, exceptions };
    for (const resource of flight.plan.upserts) this.rejected.delete(resource.name);
    this.lastNack = undefined;
    this.ackedVersion = this.sentVersion;
    this.nackedAt = undefined;
    this.resyncIfPending();
  }

  /** The client rejected the response in flight: it still holds what it held before. */
  reject(message: string, at: number): void {
    const flight = this.inFlight!;
    this.inFlight = undefined;
    for (const resource of flight.plan.upserts) this.rejected.set(resource.name, resource.hash);
    this.lastNack = { version: this.sentVersion ?? "", message, at };
    this.nackedAt = flight.plan.target;
    this.resyncIfPending();
  }

  /** Records that the wildcard was added (see resyncPending). */
  wildcardAdded(): void {
    this.resyncPending = true;
    if (!this.inFlight) this.resyncIfPending();
  }

  /** Records that the client holds `target` now although nothing needed sending. */
  advance(state: HeldState): void {
    this.held = state;
  }

  /** Records a response committed to the stream. */
  commit(plan: DeltaPlan): void {
    this.inFlight = { synced: plan.target, exceptions: plan.exceptions, plan };
    this.responded = true;
    for (const resource of plan.upserts) this.forced.delete(resource.name);
    for (const name of plan.removals) this.forced.delete(name);
  }

  /**
   * Plans the next response from `target` in `mode`, against what the client holds (or will hold once
   * the response in flight is accepted). Returns undefined when nothing is new.
   */
  plan(target: TypeSnapshot, mode: DeltaPhaseMode): DeltaPlanOutcome {
    const base: HeldState = this.inFlight ?? this.held;
    if (this.nackedAt === target && this.forced.size === 0) return undefined;
    const firstEmpty = !this.responded && this.wildcard && mode !== "break";
    if (base.synced === target && this.forced.size === 0 && base.exceptions.size === 0 && !firstEmpty) return undefined;

    const upserts: EncodedResource[] = [];
    const removals: string[] = [];
    const exceptions = new Map<string, string | undefined>();
    const consider = (name: string) => {
      const resource = target.resources.get(name);
      const held = this.holding(name, base);
      if (!this.interested(name)) {
        // A resource the client listed in initial_resource_versions without subscribing to it.
        if (!resource && held !== undefined) {
          if (mode === "make") exceptions.set(name, held);
          else removals.push(name);
        }
        return;
      }
      const forced = this.forced.has(name);
      if (resource) {
        if (!forced && held === resource.hash) return;
        if ((!forced && this.rejected.get(name) === resource.hash) || mode === "break") exceptions.set(name, held);
        else upserts.push(resource);
      } else if (held !== undefined || forced) {
        if (mode === "make") exceptions.set(name, held);
        else removals.push(name);
      }
    };
    for (const name of this.candidates(base, target)) consider(name);
    if (upserts.length === 0 && removals.length === 0 && !firstEmpty) {
      return base.synced === target && sameEntries(base.exceptions, exceptions) ? undefined : { advance: { synced: target, exceptions } };
    }
    return { send: { target, upserts, removals, exceptions } };
  }

  /** Names that may differ between what the client holds in `base` and `target`. */
  private candidates(base: HeldState, target: TypeSnapshot): Set<string> {
    const names = new Set<string>(this.forced);
    for (const name of base.exceptions.keys()) names.add(name);
    if (!base.synced) {
      if (this.wildcard) for (const name of target.resources.keys()) names.add(name);
      for (const name of this.names) names.add(name);
      return names;
    }
    if (base.synced === target) return names;
    const diff = diffTypeSnapshots(base.synced, target);
    if (this.wildcard || diff.changed.size + diff.removed.size <= this.names.size) {
      for (const name of diff.changed) if (this.interested(name)) names.add(name);
      for (const name of diff.removed) if (this.interested(name)) names.add(name);
    } else {
      for (const name of this.names) if (diff.changed.has(name) || diff.removed.has(name)) names.add(name);
    }
    return names;
  }

  /** Once no response is in flight: re-reads the explicit names' holdings and forgets `synced`. */
  private resyncIfPending(): void {
    if (!this.resyncPending) return;
    this.resyncPending = false;
    // Holdings as they were before the wildcard: only the explicit names were sent.
    const wildcard = this.wildcard;
    const exceptions = new Map<string, string | undefined>(this.held.exceptions);
    this.wildcard = false;
    for (const name of this.names) exceptions.set(name, this.holding(name));
    this.wildcard = wildcard;
    this.held = { synced: undefined, exceptions };
  }
}

function sameEntries(a: ReadonlyMap<string, string | undefined>, b: ReadonlyMap<string, string | undefined>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, hash] of a) if (!b.has(name) || b.get(name) !== hash) return false;
  return true;
}
