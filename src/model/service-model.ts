import type { ReadOrigin } from "./provenance.js";
import { sameContent } from "./same-content.js";
import type { ServiceInstance, ServiceState } from "./service-instance.js";

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

/** Options of {@link ServiceModel}. */
export interface ServiceModelOptions {
  localDatacenter: string;
  failoverDatacenters?: readonly string[];
}

/**
 * The bridge's in-memory truth about Consul: every bridged service's instances per datacenter.
 * Writers (the Consul watchers) replace a service's instances as a whole; identical content is not
 * a change. Readers take immutable {@link ModelView}s and are told which services changed.
 */
export class ServiceModel {
  private readonly byService = new Map<string, ReadonlyMap<string, ServiceState>>();
  private readonly listeners = new Set<(change: ModelChange) => void>();
  private revisionNumber = 0;
  private cachedView: ModelView | undefined;
  private syncedFlag = false;
  private readonly syncWaiters: Array<() => void> = [];
  private localDc: string;
  private failoverDcs: readonly string[];

  constructor(options: ServiceModelOptions) {
    this.localDc = options.localDatacenter;
    this.failoverDcs = [...(options.failoverDatacenters ?? [])];
  }

  /** The current revision; it moves only when content changes. */
  get revision(): number {
    return this.revisionNumber;
  }

  /** True once every bridged service has been read from Consul at least once. */
  get synced(): boolean {
    return this.syncedFlag;
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
    const sorted = [...instances].sort(compareInstances);
    const current = this.byService.get(name)?.get(datacenter);
    if (current && sameContent(current.instances, sorted)) return false;
    const perDc = new Map(this.byService.get(name));
    perDc.set(datacenter, Object.freeze({ name, datacenter, instances: Object.freeze(sorted), ...(origin ? { origin } : {}) }));
    this.byService.set(name, perDc);
    this.bump(new Set([name]), origin && { datacenter, origin });
    return true;
  }

  /** Forgets `name` in `datacenter` (deregistered, or no longer bridged; `origin`: the answer that said so); returns whether it was known. */
  removeService(datacenter: string, name: string, origin?: ReadOrigin): boolean {
    const perDc = this.byService.get(name);
    if (!perDc?.has(datacenter)) return false;
    const rest = new Map(perDc);
    rest.delete(datacenter);
    if (rest.size === 0) this.byService.delete(name);
    else this.byService.set(name, rest);
    this.bump(new Set([name]), origin && { datacenter, origin });
    return true;
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
    if (this.syncedFlag) return;
    this.syncedFlag = true;
    for (const wake of this.syncWaiters.splice(0)) wake();
  }

  /** Resolves once the initial sync is complete. */
  whenSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
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

function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
