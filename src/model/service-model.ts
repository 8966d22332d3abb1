import { type Clock, systemClock } from "./clock.js";
import type { ModelWriter } from "./model-writer.js";
import type { ReadOrigin } from "./provenance.js";
import { sameContent } from "./same-content.js";
import type { ServiceInstance, ServiceState } from "./service-instance.js";
import { SyncLatch } from "./sync-latch.js";

/** An immutable view of the whole model at one revision: what the mapping turns into resources. */
export interface ModelView {
  /** Grows by one with every change; equal revisions mean equal content. */
  readonly revision: number;
  /** The datacenter the bridge serves; its instances get priority 0. */
  readonly localDatacenter: string;
  /** Datacenters whose instances are failover targets, in priority order (1, 2, …). */
  readonly failoverDatacenters: readonly string[];
  /** Service name → datacenter → that service's instances there. Only bridged services appear. */
  readonly services: ReadonlyMap<string, ReadonlyMap<string, ServiceState>>;
}

/** What changed between two revisions, so listeners can do only the work that is needed. */
export interface ModelChange {
  readonly revision: number;
  /** Names of services whose instances changed, appeared or vanished in some datacenter. */
  readonly services: ReadonlySet<string>;
  /** The datacenter and the registry answer the change came from, when the source says. */
  readonly origin?: { readonly datacenter: string; readonly origin: ReadOrigin } | undefined;
}

/** A service removed from a datacenter, kept with no instances until its grace period ends. */
export interface VanishingService {
  readonly datacenter: string;
  readonly name: string;
  /** When the grace ends and the service is forgotten (clock ms). */
  readonly until: number;
}

/** Options of {@link ServiceModel}. */
export interface ServiceModelOptions {
  localDatacenter: string;
  failoverDatacenters?: readonly string[];
  /**
   * How long a service removed from a datacenter stays there with no instances before it is
   * forgotten, in ms (default 0: at once). See {@link ServiceModel.removeService}.
   */
  vanishedGraceMs?: number;
  /** Paces the grace periods (default the system clock; tests pass a virtual one). */
  clock?: Clock;
}

/**
 * The bridge's in-memory truth about Consul: every bridged service's instances per datacenter.
 * Writers (the Consul watchers) replace a service's instances as a whole; identical content is not
 * a change. Readers take immutable {@link ModelView}s and are told which services changed. A
 * removed service may linger, empty, for a grace period (see {@link ServiceModel.removeService}).
 */
export class ServiceModel implements ModelWriter {
  private readonly byService = new Map<string, ReadonlyMap<string, ServiceState>>();
  private readonly listeners = new Set<(change: ModelChange) => void>();
  private revisionNumber = 0;
  private cachedView: ModelView | undefined;
  private readonly syncLatch = new SyncLatch();
  private localDc: string;
  private failoverDcs: readonly string[];
  private readonly graceMs: number;
  private readonly clock: Clock;
  /** Removals waiting for their grace period to end: datacenter + name → what cancels the wait. */
  private readonly vanishing = new Map<string, VanishingService & { readonly cancel: AbortController }>();
  private readonly closed = new AbortController();

  constructor(options: ServiceModelOptions) {
    this.localDc = options.localDatacenter;
    this.failoverDcs = [...(options.failoverDatacenters ?? [])];
    this.graceMs = Math.max(0, options.vanishedGraceMs ?? 0);
    this.clock = options.clock ?? systemClock;
  }

  /** The current revision; it moves only when content changes. */
  get revision(): number {
    return this.revisionNumber;
  }

  /** True once every bridged service has been read from Consul at least once. */
  get synced(): boolean {
    return this.syncLatch.isOpen;
  }

  /** Sets the local datacenter once it is known (e.g. from the agent), before the first sync. */
  setLocalDatacenter(datacenter: string): void {
    if (datacenter === this.localDc) return;
    this.localDc = datacenter;
    this.bump(new Set(this.byService.keys()));
  }

  /**
   * Replaces the instances of `name` in `datacenter`; returns whether anything changed. `origin` is
   * the registry answer they were read from (kept with the state, and told to listeners).
   */
  setService(datacenter: string, name: string, instances: readonly ServiceInstance[], origin?: ReadOrigin): boolean {
    this.vanishing.get(vanishingKey(datacenter, name))?.cancel.abort();
    const sorted = [...instances].sort(compareInstances);
    const current = this.byService.get(name)?.get(datacenter);
    if (current && sameContent(current.instances, sorted)) return false;
    const perDc = new Map(this.byService.get(name));
    perDc.set(datacenter, emptyOrNot(name, datacenter, sorted, current, origin));
    this.byService.set(name, perDc);
    this.bump(new Set([name]), origin && { datacenter, origin });
    return true;
  }

  /**
   * Forgets `name` in `datacenter` (deregistered, or no longer bridged; `origin`: the answer that
   * said so); returns whether it was known. With a grace period, the service first stays with no
   * instances (clients keep its resources and fail fast, "no healthy upstream") and is forgotten
   * only when the grace ends; a {@link setService} meanwhile (a redeploy registering it again) is
   * then one change of its instances, not a service removed and created again.
   */
  removeService(datacenter: string, name: string, origin?: ReadOrigin): boolean {
    const current = this.byService.get(name)?.get(datacenter);
    if (!current) return false;
    if (this.graceMs <= 0) {
      this.forget(datacenter, name, origin);
      return true;
    }
    const key = vanishingKey(datacenter, name);
    if (this.vanishing.has(key)) return true;
    const cancel = new AbortController();
    this.vanishing.set(key, { datacenter, name, until: this.clock.now() + this.graceMs, cancel });
    const stop = AbortSignal.any([cancel.signal, this.closed.signal]);
    void this.clock.sleep(this.graceMs, stop).then(() => {
      if (stop.aborted) return;
      this.vanishing.delete(key);
      this.forget(datacenter, name, origin);
    });
    cancel.signal.addEventListener("abort", () => this.vanishing.delete(key), { once: true });
    if (current.instances.length > 0) this.setEmpty(datacenter, name, origin);
    return true;
  }

  /** Services removed from a datacenter and kept, empty, until their grace period ends. */
  vanishingServices(): VanishingService[] {
    return [...this.vanishing.values()].map(({ datacenter, name, until }) => ({ datacenter, name, until }));
  }

  /** Ends every grace period in progress without forgetting the services (the bridge is stopping). */
  close(): void {
    this.closed.abort();
    this.vanishing.clear();
  }

  /** Empties `name` in `datacenter`, keeping it known (the first step of a removal with a grace period). */
  private setEmpty(datacenter: string, name: string, origin?: ReadOrigin): void {
    const perDc = new Map(this.byService.get(name));
    perDc.set(datacenter, emptyOrNot(name, datacenter, [], perDc.get(datacenter), origin));
    this.byService.set(name, perDc);
    this.bump(new Set([name]), origin && { datacenter, origin });
  }

  private forget(datacenter: string, name: string, origin?: ReadOrigin): void {
    const perDc = this.byService.get(name);
    if (!perDc?.has(datacenter)) return;
    const rest = new Map(perDc);
    rest.delete(datacenter);
    if (rest.size === 0) this.byService.delete(name);
    else this.byService.set(name, rest);
    this.bump(new Set([name]), origin && { datacenter, origin });
  }

  /** The state of `name` in `datacenter` now (instances and the answer they came from), or undefined. */
  stateOf(datacenter: string, name: string): ServiceState | undefined {
    return this.byService.get(name)?.get(datacenter);
  }

  /** The instances of `name` in `datacenter` now, or undefined when the model has none there. */
  instancesIn(datacenter: string, name: string): readonly ServiceInstance[] | undefined {
    return this.byService.get(name)?.get(datacenter)?.instances;
  }

  /** Names of the services known in `datacenter`. */
  servicesIn(datacenter: string): string[] {
    return [...this.byService].filter(([, perDc]) => perDc.has(datacenter)).map(([name]) => name);
  }

  /** Marks the initial sync as complete: every bridged service has been read once. */
  markSynced(): void {
    this.syncLatch.open();
  }

  /** Resolves once the initial sync is complete. */
  whenSynced(): Promise<void> {
    return this.syncLatch.whenOpen();
  }

  /** The model at the current revision, built at most once per revision. */
  view(): ModelView {
    if (this.cachedView?.revision !== this.revisionNumber) {
      this.cachedView = Object.freeze({
        revision: this.revisionNumber,
        localDatacenter: this.localDc,
        failoverDatacenters: this.failoverDcs,
        services: new Map(this.byService),
      });
    }
    return this.cachedView;
  }

  /** Calls `listener` after every change; returns a function that stops it. */
  onChange(listener: (change: ModelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private bump(services: ReadonlySet<string>, origin?: ModelChange["origin"]): void {
    this.revisionNumber += 1;
    const change: ModelChange = { revision: this.revisionNumber, services, ...(origin ? { origin } : {}) };
    for (const listener of this.listeners) listener(change);
  }
}

/** A frozen state; an empty one remembers the last instances the service had (ServiceState.lastInstances). */
function emptyOrNot(
  name: string,
  datacenter: string,
  instances: ServiceInstance[],
  current: ServiceState | undefined,
  origin: ReadOrigin | undefined,
): ServiceState {
  const last = instances.length > 0 ? undefined : current?.instances.length ? current.instances : current?.lastInstances;
  return Object.freeze({
    name,
    datacenter,
    instances: Object.freeze(instances),
    ...(origin ? { origin } : {}),
    ...(last ? { lastInstances: last } : {}),
  });
}

const vanishingKey = (datacenter: string, name: string): string => `${datacenter}\u0000${name}`;

function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
