import type { ConsulErrorCode } from "./consul-error.js";

/** The Consul reads a watcher makes. */
export type WatchEndpoint = "agent-self" | "catalog-services" | "health-state" | "health-service" | "config-entries";

/** One request made by the watcher, for metrics. */
export interface ConsulRequestEvent {
  readonly endpoint: WatchEndpoint;
  /** The datacenter queried ("" for `agent-self`). */
  readonly datacenter: string;
  /** The service a `health-service` read was about (absent for the other endpoints). */
  readonly service?: string;
  /** `changed`: the answer changed what the watcher knows; `unchanged`: it did not (e.g. a blocking query timed out). */
  readonly outcome: "changed" | "unchanged" | "error";
  readonly errorCode?: ConsulErrorCode;
  readonly durationMs: number;
  /** After an error: the backoff delay before the next attempt of this read. */
  readonly retryInMs?: number;
}

/** A read that is currently failing. */
export interface WatchError {
  readonly code: ConsulErrorCode;
  /** What Consul or the network said; never contains the token. */
  readonly message: string;
  readonly endpoint: WatchEndpoint;
  readonly datacenter: string;
  /** The one service whose reads fail (errors about a single service, e.g. a 400), if so scoped. */
  readonly service?: string;
  /** When this read started failing (clock ms). */
  readonly since: number;
}

/** Observability hooks of a watcher; each is optional and must not throw. */
export interface ConsulWatcherHooks {
  /** After every request to Consul. */
  onRequest?(event: ConsulRequestEvent): void;
  /** When the class of the current error changes (null: no error). */
  onErrorClassChange?(previous: ConsulErrorCode | null, next: ConsulErrorCode | null): void;
  /** Once, when the initial sync completes (the model is marked synced at the same moment). */
  onSynced?(): void;
}

/** A live view of a watcher's health, for readiness checks, admin pages and metrics. */
export interface ConsulWatcherStatus {
  /** True once every bridged service has been read once (it stays true). */
  readonly synced: boolean;
  /** The local datacenter (from options or `/v1/agent/self`), once known. */
  readonly localDatacenter: string | undefined;
  /** The most recent of the failing reads, or null when every read succeeds. */
  readonly error: WatchError | null;
  /** Every failing read. */
  readonly errors: readonly WatchError[];
  /** Services bridged now, per datacenter. */
  readonly services: ReadonlyMap<string, number>;
  /**
   * Seconds since the watcher last knew it was up to date: 0 while every read succeeds, the time
   * since the last success while some read fails, Infinity before the initial sync.
   */
  stalenessSeconds(): number;
}
