import type { ServiceModel } from "./service-model.js";

/** One read of a catalog source that is failing now. */
export interface CatalogSourceError {
  /** A short, stable class of the failure (for Consul: a ConsulErrorCode such as `unreachable`). */
  readonly code: string;
  /** What the registry or the network said; never contains a secret. */
  readonly message: string;
  /** Which read fails, in the source's own terms (for Consul: the endpoint). */
  readonly endpoint: string;
  /** The datacenter (or cluster, region…) the read was about; "" when not scoped to one. */
  readonly datacenter: string;
  /** The one service whose reads fail, when the failure is about that service only. */
  readonly service?: string;
  /** When this read started failing (the source's clock, ms). */
  readonly since: number;
}

/**
 * Why a source stopped for good: a mistake in its configuration that retrying cannot fix (for
 * Consul: a `--datacenter` the catalog does not know). Transient failures never end a source.
 */
export interface CatalogSourceFatal {
  /** One line for the operator, naming what to change. */
  readonly message: string;
}

/** A live view of a source's health, for readiness, the admin API and metrics (read it when needed). */
export interface CatalogSourceStatus {
  /** True once the source has written every service it bridges into the model once (it stays true). */
  readonly synced: boolean;
  /** The datacenter whose instances are served first, once known. */
  readonly localDatacenter: string | undefined;
  /** The most recent of the failing reads, or null when every read succeeds. */
  readonly error: CatalogSourceError | null;
  /** Every failing read. */
  readonly errors: readonly CatalogSourceError[];
  /** Services bridged now, per datacenter. */
  readonly services: ReadonlyMap<string, number>;
  /** Set once the source stopped for good (it stays set); null while it runs, retrying included. */
  readonly fatal: CatalogSourceFatal | null;
  /**
   * Seconds since the source last knew it was up to date: 0 while every read succeeds, the time
   * since the last success while some read fails, Infinity before the initial sync.
   */
  stalenessSeconds(): number;
}

/**
 * Where the model's content comes from: a registry watched live (Consul today; the Kubernetes API
 * could be another). A source writes services into its model with `setService`/`removeService`
 * (through a ModelWriter in front of it when given one: the bridge's WithdrawalGuard), marks it
 * synced once, keeps the last good data when the registry fails, and reports its health.
 * The bridge wires any source the same way, so adding a registry touches neither model nor mapping.
 */
export interface CatalogSource {
  /** The model this source writes (it never writes another). */
  readonly model: ServiceModel;
  /** Live status (getters: read it when needed, do not keep copies). */
  readonly status: CatalogSourceStatus;
  /** Starts watching (once). */
  start(): void;
  /** Stops watching and waits for reads in flight to end. The model keeps its content. */
  close(): Promise<void>;
  /** Calls `listener` after any change of the status; returns an unsubscribe function. */
  onStatusChange(listener: (status: CatalogSourceStatus) => void): () => void;
}
