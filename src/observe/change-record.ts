import type { Provenance } from "../model/provenance.js";

/** An instance's state as operators read it: its health, or absent from Consul. */
export type InstanceStateName = "passing" | "warning" | "critical" | "maintenance" | "absent";

/** What kind of change a record is about (the "why" in one word). */
export type ChangeKind = "new" | "deregistered" | "passing" | "warning" | "critical" | "maintenance" | "weight" | "address";

/**
 * Where a change came from: the Consul index (per datacenter) and the time of the Consul answer
 * behind it (the model's provenance of the service's new state, else the publish's).
 */
export type ChangeProvenance = Provenance;

/** A client kind that got a new version of one type because of a change. */
export interface NewVersion {
  readonly clientKind: string;
  /** CDS, EDS, LDS or RDS. */
  readonly type: string;
  /** The type's new version, as `status` and ListClients show it. */
  readonly version: string;
}

/** One instance that changed in a way that matters to traffic, before it becomes a record. */
export interface InstanceChange {
  readonly service: string;
  readonly datacenter: string;
  /** `Service.ID`. */
  readonly instance: string;
  readonly node: string;
  /** "ip:port" (after the change, or before it for a deregistration). */
  readonly address: string;
  readonly kind: ChangeKind;
  readonly from: InstanceStateName;
  readonly to: InstanceStateName;
  /** Why, for people: the failing check's output, the maintenance reason, "weight 1 → 5"… */
  readonly why: string;
  /** Whether the instance received traffic before and after (the health policy's decision). */
  readonly routableBefore: boolean;
  readonly routableAfter: boolean;
}

/** One real change of one instance, as the change log writes it and the status page shows it. */
export interface ChangeRecord extends InstanceChange {
  /** Grows by one per record, so readers can ask for what came after the last one they saw. */
  readonly seq: number;
  /** When the change was published (ms since the epoch). */
  readonly at: number;
  /** The model revision it was published at. */
  readonly revision: number;
  /** The service's endpoints served now ("ip:port"), at most {@link maxListedEndpoints}. */
  readonly endpoints: readonly string[];
  /** How many endpoints the service has now (all of them, even beyond the listed ones). */
  readonly endpointCount: number;
  /** Which client kinds got a new version of which type because of it. */
  readonly versions: readonly NewVersion[];
  readonly provenance?: ChangeProvenance | undefined;
  /** The record as the log line's sentence (see describeChange). */
  readonly message: string;
}

/** Endpoints listed in one record; the count says how many there are in all. */
export const maxListedEndpoints = 10;
