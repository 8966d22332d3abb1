import { type Clock, systemClock } from "./clock.js";
import { type HealthPolicy, routability } from "./health-policy.js";
import type { ModelWriter } from "./model-writer.js";
import type { ReadOrigin } from "./provenance.js";
import { sameContent } from "./same-content.js";
import type { ServiceInstance, ServiceState } from "./service-instance.js";
import type { ServiceModel } from "./service-model.js";

/** How far back withdrawals count together ("at once"): see {@link WithdrawalGuard}. */
export const defaultWithdrawalWindowMs = 30_000;

/** One service (in one datacenter) whose withdrawal is held. */
export interface HeldService {
  readonly service: string;
  readonly datacenter: string;
  /** Endpoints it serves now: the last good state, kept. */
  readonly served: number;
  /** Endpoints Consul's latest answer leaves it (0: none, or the service is gone). */
  readonly remaining: number;
  /** That answer was filtered by Consul's ACLs (`X-Consul-Results-Filtered-By-ACLs`). */
  readonly filteredByAcls: boolean;
}

/** A mass withdrawal held back: what is kept, since when, and until when. */
export interface WithdrawalHold {
  /** Names this hold (1, 2, …), so a confirmation cannot apply a hold the operator did not see. */
  readonly id: number;
  /** When the hold began (clock ms). */
  readonly since: number;
  /** When it is applied unless Consul recovers first or an operator confirms it sooner (clock ms). */
  readonly appliesAt: number;
  /** Sorted by service, then datacenter. */
  readonly services: readonly HeldService[];
  /** Endpoints the held answers would withdraw. */
  readonly endpointsHeld: number;
  /** Endpoints served now, held ones included (the denominator of the threshold). */
  readonly endpointsServed: number;
  /** Some held answer was filtered by Consul's ACLs: a token or policy change is the likely cause. */
  readonly filteredByAcls: boolean;
}

/** Why a hold ended: its hold time passed, an operator confirmed it, or Consul gave the endpoints back. */
export type HoldEnd = "hold-time" | "confirmed" | "recovered";

/** Options of {@link WithdrawalGuard}. */
export interface WithdrawalGuardOptions {
  /** The model the guard writes through to. */
  readonly model: ServiceModel;
  /** Decides which instances are served endpoints (the mapping's policy). */
  readonly healthPolicy: HealthPolicy;
  /** The largest share of served endpoints, in percent, withdrawn at once without a hold; 0 = never hold. */
  readonly maxWithdrawalPercent: number;
  /** How long a held withdrawal waits before it is applied anyway, in ms. */
  readonly holdMs: number;
  /** How far back withdrawals count together, in ms (default {@link defaultWithdrawalWindowMs}). */
  readonly windowMs?: number | undefined;
  /** Default the system clock; tests pass a virtual one. */
  readonly clock?: Clock | undefined;
  /** A hold began (called at once; more services may join it in the same turn of the event loop). */
  readonly onHeld?: ((hold: WithdrawalHold) => void) | undefined;
  /** A hold ended, and its withdrawals were applied (or were no longer needed: `recovered`). */
  readonly onReleased?: ((hold: WithdrawalHold, reason: HoldEnd) => void) | undefined;
}

/** Why a confirmation was refused. */
export class ConfirmWithdrawalError extends Error {
  override readonly name = "ConfirmWithdrawalError";
}

/** What a source last wrote for one service: its instances, or undefined for a removal. */
interface Write {
  readonly datacenter: string;
  readonly name: string;
  readonly instances: readonly ServiceInstance[] | undefined;
  readonly origin: ReadOrigin | undefined;
  readonly served: number;
}

/** A service that withdrew endpoints within the window: its state before, and its latest write. */
interface Recent {
  readonly before: ServiceState;
  readonly servedBefore: number;
  readonly at: number;
  latest: Write;
}

const keyOf = (datacenter: string, name: string): string => `${datacenter}\u0000${name}`;

/**
 * Stands between the Consul watcher and the model, so that one bad answer cannot take most
 * traffic away (a broken deploy script, an ACL policy change that makes Consul filter its answers,
 * a Consul that lost its catalog). It holds a withdrawal when, within the window, served endpoints
 * would fall by more than `maxWithdrawalPercent` of what was served before, across two services or
 * more; it keeps serving the last good state until the withdrawal has persisted for `holdMs`, an
 * operator confirms it ({@link confirm}), or Consul gives the endpoints back.
 *
 * - Served endpoints: the instances the health policy routes to ({@link routability}), counted per
 *   service and datacenter, every watched datacenter included — what clients are sent.
 * - At once: the net loss of served endpoints over the last `windowMs` (default 30 s), whatever
 *   answers it came in: one catalog answer, one check-feed answer and the service reads it
 *   triggered (paced at 500 reads/s, 10,000 services take 20 s), or a script deregistering one
 *   instance after another. Counting per answer would miss the last two; net loss lets a rolling
 *   deploy (deregistrations offset by registrations) pass. A withdrawal is applied the moment it
 *   arrives unless it takes the window over the limit: then the window's earlier withdrawals are
 *   put back and held with it, so the hold keeps the state from before the mass event, not half of it.
 * - Two services or more: one service losing its instances is that service's own event, decided
 *   by its Service Meta (fail-closed, or fail-open), and never held; this also keeps a bridge of a
 *   few endpoints from holding ordinary check failures.
 * - While a hold lasts, every further withdrawal joins it (the rest of a mass event cannot be told
 *   apart from an unrelated one) and is applied with it; anything that adds or restores endpoints
 *   is applied at once, and a held service whose answer recovers leaves the hold.
 */
export class WithdrawalGuard implements ModelWriter {
  private readonly model: ServiceModel;
  private readonly clock: Clock;
  private readonly windowMs: number;
  /** Served endpoints per service and datacenter as applied to the model (absent: 0). */
  private readonly served = new Map<string, number>();
  private total = 0;
  /** Services that withdrew endpoints within the window, oldest first. */
  private readonly recent = new Map<string, Recent>();
  /** Σ over {@link recent}: endpoints served before − served now. */
  private recentLoss = 0;
  /** Service name → how many of its datacenters are in {@link recent}. */
  private readonly recentNames = new Map<string, number>();
  /** Held writes, by service and datacenter. */
  private readonly held = new Map<string, Write>();
  private current:
    | { readonly id: number; readonly since: number; readonly appliesAt: number; readonly cancel: AbortController }
    | undefined;
  private lastId = 0;
  private readonly closed = new AbortController();

  constructor(private readonly options: WithdrawalGuardOptions) {
    this.model = options.model;
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.windowMs ?? defaultWithdrawalWindowMs;
  }

  /** The hold in force, or undefined. */
  get hold(): WithdrawalHold | undefined {
    const current = this.current;
    if (!current) return undefined;
    const services: HeldService[] = [];
    let endpointsHeld = 0;
    for (const [key, write] of this.held) {
      const served = this.served.get(key) ?? 0;
      endpointsHeld += served - write.served;
      services.push({
        service: write.name,
        datacenter: write.datacenter,
        served,
        remaining: write.served,
        filteredByAcls: write.origin?.filteredByAcls === true,
      });
    }
    services.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.datacenter < b.datacenter ? -1 : 1));
    return {
      id: current.id,
      since: current.since,
      appliesAt: current.appliesAt,
      services,
      endpointsHeld,
      endpointsServed: this.total,
      filteredByAcls: services.some((s) => s.filteredByAcls),
    };
  }

  setService(datacenter: string, name: string, instances: readonly ServiceInstance[], origin?: ReadOrigin): boolean {
    return this.write({ datacenter, name, instances, origin, served: this.count(instances) });
  }

  removeService(datacenter: string, name: string, origin?: ReadOrigin): boolean {
    return this.write({ datacenter, name, instances: undefined, origin, served: 0 });
  }

  instancesIn(datacenter: string, name: string): readonly ServiceInstance[] | undefined {
    const held = this.held.get(keyOf(datacenter, name));
    return held ? held.instances : this.model.instancesIn(datacenter, name);
  }

  /**
   * Applies the hold in force now (an operator confirmed it) and returns it. `id`, when given, must
   * name that hold: a confirmation never applies a hold the operator has not seen.
   */
  confirm(id?: number): WithdrawalHold {
    const hold = this.hold;
    if (!hold) throw new ConfirmWithdrawalError("no withdrawal is held");
    if (id !== undefined && id !== 0 && id !== hold.id) {
      throw new ConfirmWithdrawalError(`hold ${id} is not the one in force (hold ${hold.id} is): read the status again`);
    }
    this.release("confirmed");
    return hold;
  }

  /** Stops the hold timer; the held state stays as it is (the bridge is stopping). */
  close(): void {
    this.closed.abort();
  }

  private write(write: Write): boolean {
    const key = keyOf(write.datacenter, write.name);
    if (this.options.maxWithdrawalPercent <= 0 || !this.model.synced) return this.apply(key, write);
    this.expire();
    const applied = this.served.get(key) ?? 0;
    if (this.current) {
      if (write.served < applied) return this.holdWrite(key, write);
      this.held.delete(key);
      const changed = this.apply(key, write);
      if (this.held.size === 0) this.release("recovered");
      return changed;
    }
    const recent = this.recent.get(key);
    const loss = (recent?.servedBefore ?? applied) - write.served;
    if (loss <= 0) {
      const changed = this.apply(key, write);
      if (recent) this.dropRecent(key, recent);
      return changed;
    }
    const windowLoss = this.recentLoss - (recent ? recent.servedBefore - applied : 0) + loss;
    const before = this.total + this.recentLoss;
    const names = this.recentNames.size + (this.recentNames.has(write.name) ? 0 : 1);
    if (names >= 2 && windowLoss * 100 > this.options.maxWithdrawalPercent * before) {
      this.trip(key, write);
      return true;
    }
    if (recent) recent.latest = write;
    else {
      const state = this.model.stateOf(write.datacenter, write.name);
      if (state) this.addRecent(key, { before: state, servedBefore: applied, at: this.clock.now(), latest: write });
    }
    return this.apply(key, write);
  }

  /** The window's withdrawals and this one go over the limit: put the earlier ones back, hold them all. */
  private trip(key: string, write: Write): void {
    const recent = this.recent.get(key);
    if (recent) recent.latest = write;
    else this.held.set(key, write);
    for (const [recentKey, entry] of this.recent) {
      const { before } = entry;
      this.held.set(recentKey, entry.latest);
      this.model.setService(before.datacenter, before.name, before.instances, before.origin);
      this.setServed(recentKey, entry.servedBefore);
    }
    this.recent.clear();
    this.recentNames.clear();
    this.recentLoss = 0;
    const since = this.clock.now();
    const cancel = new AbortController();
    this.current = { id: ++this.lastId, since, appliesAt: since + this.options.holdMs, cancel };
    const stop = AbortSignal.any([cancel.signal, this.closed.signal]);
    void this.clock.sleep(this.options.holdMs, stop).then(() => {
      if (!stop.aborted) this.release("hold-time");
    });
    const hold = this.hold;
    if (hold) this.options.onHeld?.(hold);
  }

  private holdWrite(key: string, write: Write): boolean {
    const previous = this.held.get(key);
    this.held.set(key, write);
    return !previous || previous.served !== write.served || !sameContent(previous.instances, write.instances);
  }

  /** Ends the hold: applies every held write (none is left when Consul recovered) and says why. */
  private release(reason: HoldEnd): void {
    const hold = this.hold;
    if (!this.current || !hold) return;
    this.current.cancel.abort();
    this.current = undefined;
    const writes = [...this.held];
    this.held.clear();
    for (const [key, write] of writes) this.apply(key, write);
    this.options.onReleased?.(hold, reason);
  }

  private apply(key: string, write: Write): boolean {
    const changed = write.instances
      ? this.model.setService(write.datacenter, write.name, write.instances, write.origin)
      : this.model.removeService(write.datacenter, write.name, write.origin);
    this.setServed(key, write.served);
    return changed;
  }

  private setServed(key: string, served: number): void {
    const previous = this.served.get(key) ?? 0;
    if (served > 0) this.served.set(key, served);
    else this.served.delete(key);
    this.total += served - previous;
    if (this.recent.has(key)) this.recentLoss -= served - previous;
  }

  private addRecent(key: string, entry: Recent): void {
    this.recent.set(key, entry);
    this.recentLoss += entry.servedBefore - (this.served.get(key) ?? 0);
    this.recentNames.set(entry.latest.name, (this.recentNames.get(entry.latest.name) ?? 0) + 1);
  }

  private dropRecent(key: string, entry: Recent): void {
    this.recent.delete(key);
    this.recentLoss -= entry.servedBefore - (this.served.get(key) ?? 0);
    const name = entry.latest.name;
    const left = (this.recentNames.get(name) ?? 1) - 1;
    if (left > 0) this.recentNames.set(name, left);
    else this.recentNames.delete(name);
  }

  /** Forgets withdrawals older than the window (the map is in arrival order). */
  private expire(): void {
    const oldest = this.clock.now() - this.windowMs;
    for (const [key, entry] of this.recent) {
      if (entry.at > oldest) break;
      this.dropRecent(key, entry);
    }
  }

  private count(instances: readonly ServiceInstance[]): number {
    let served = 0;
    for (const instance of instances) if (routability(instance, this.options.healthPolicy).routable) served += 1;
    return served;
  }
}
