import type { CatalogSourceError, CatalogSourceStatus } from "../model/catalog-source.js";
import type { ConsulErrorCode } from "./consul-error.js";

/**
 * The Consul reads a watcher makes: `health-state` is the change feed (the checks that are not
 * passing), `health-state-list` a listing of every service check (see MembershipListing),
 * `config-entries` the five `/v1/config/<kind>` reads.
 */
export type WatchEndpoint = "agent-self" | "catalog-services" | "health-state" | "health-state-list" | "health-service" | "config-entries";

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

/** A Consul read that is currently failing. */
export interface WatchError extends CatalogSourceError {
  readonly code: ConsulErrorCode;
  /** What Consul or the network said; never contains the token. */
  readonly message: string;
  readonly endpoint: WatchEndpoint;
  /** The datacenter queried ("" for `agent-self`). */
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

/** A live view of a Consul watcher's health: a CatalogSourceStatus whose errors are Consul's. */
export interface ConsulWatcherStatus extends CatalogSourceStatus {
  /** The most recent of the failing reads, or null when every read succeeds. */
  readonly error: WatchError | null;
  /** Every failing read. */
  readonly errors: readonly WatchError[];
}
