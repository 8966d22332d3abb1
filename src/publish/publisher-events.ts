import type { ClientKind, MappingWarning } from "../mapping/index.js";
import type { Provenance } from "../model/provenance.js";
import type { ValidationError } from "../validate/index.js";

/** A resource that failed validation and was not published (its last good version, if any, stays). */
export interface ValidationFailure {
  /** The Consul service name (`""` for the bridge's own Envoy listener and route configuration). */
  readonly service: string;
  readonly clientKind: ClientKind;
  readonly typeUrl: string;
  readonly resourceName: string;
  readonly errors: readonly ValidationError[];
  /** What is served instead: the last good version, or nothing (the service is left out for this kind). */
  readonly kept: "last-good" | "nothing";
}

/** What one publish did. */
export interface PublishReport {
  /** The model revision the snapshots were built from. */
  readonly revision: number;
  /** True for the first publish (every service built). */
  readonly full: boolean;
  /** Services mapped in this publish. */
  readonly servicesBuilt: number;
  /** Resources rejected by validation in this publish. */
  readonly validationFailures: number;
  /** Client kinds whose snapshot changed and was handed to the cache. */
  readonly published: readonly ClientKind[];
  /** Wall time of the publish, in milliseconds (including yields to the event loop). */
  readonly durationMs: number;
  /** The registry answers the publish reflects (absent when the source does not say). */
  readonly provenance?: Provenance;
}

/** Counters since the publisher started, for metrics and status pages. */
export interface PublisherStats {
  /** Publishes completed (each covers one coalesced burst of model changes). */
  readonly publishes: number;
  /** Services mapped in total (an O(1) change should add one). */
  readonly servicesBuilt: number;
  /** Envoy virtual hosts built in total (an instance change adds none: its host's inputs are unchanged). */
  readonly virtualHostsBuilt: number;
  /** Discovery chains compiled in total (one per service mapped, when config entries are read). */
  readonly chainsCompiled: number;
  /** Chains refused as invalid in total (the service kept its last good chain). */
  readonly chainsRefused: number;
  /** Resources rejected by validation in total. */
  readonly validationFailures: number;
  /** Snapshots the cache refused as inconsistent (a bug if ever non-zero). */
  readonly rejectedSnapshots: number;
  /** Exceptions thrown while mapping a service (a bug if ever non-zero; the last good state stays). */
  readonly buildErrors: number;
  /** Services currently mapped (present in a served datacenter), whether or not validation let them through. */
  readonly services: number;
  /** Mapping warnings currently standing, over every service. */
  readonly warnings: number;
  /** Open scopes: groups of clients limited to some services (node metadata `consul-xds-bridge.upstreams`). */
  readonly scopes: number;
  readonly lastPublish: PublishReport | undefined;
}

/** Callbacks for metrics and tests; the optional pino logger gets the same facts as log lines. */
export interface PublisherHooks {
  /** After every publish. */
  onPublish?: (report: PublishReport) => void;
  /** For every resource rejected by validation. */
  onValidationFailure?: (failure: ValidationFailure) => void;
  /** When a service's set of warnings changes (not on every rebuild): its current warnings. */
  onWarnings?: (service: string, warnings: readonly MappingWarning[]) => void;
}
