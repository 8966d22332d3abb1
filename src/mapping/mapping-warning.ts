import type { ClientKind } from "./client-kind.js";

/** What a {@link MappingWarning} is about; stable strings, fit for metric labels. */
export type MappingWarningCode =
  /** An instance with a port outside 1–65535 was skipped. */
  | "invalid-port"
  /** An instance with an empty or unusable address was skipped. */
  | "invalid-address"
  /** A hostname instance of a service that also has IP instances was skipped (EDS takes IP literals only). */
  | "hostname-address"
  /** An instance whose address and port another included instance already has was skipped. */
  | "duplicate-address"
  /** A service whose instances are all hostnames is served to Envoy as a STRICT_DNS cluster and not to gRPC clients. */
  | "dns-cluster"
  /** No instance is routable and the service fails open: non-maintenance instances are served with UNKNOWN health. */
  | "fail-open"
  /** A setting in Service Meta has a value the bridge does not accept; the default is used. */
  | "invalid-setting"
  /** Instances disagree about a setting; the value of the majority is used. */
  | "conflicting-setting"
  /** A Service Meta key with the bridge's prefix that the bridge does not know (a typo?). */
  | "unknown-setting"
  /** A setting that has no effect in this combination (e.g. a hash header without ring_hash). */
  | "ignored-setting"
  /** gRPC clients support only round_robin and ring_hash; round_robin is used instead. */
  | "unsupported-lb-policy"
  /** A virtual host domain is claimed by another service; the other service keeps it. */
  | "domain-conflict"
  /** The service kept no virtual host domain, so Envoy's listener does not route to it. */
  | "unrouted-service"
  /** A name holding `%` is served to gRPC clients only under its escaped spelling (no percent-decoded alias). */
  | "no-decoded-alias"
  /** A config entry (or the discovery chain it is part of) is invalid: the service keeps its last good chain. */
  | "invalid-config-entry"
  /** A config entry, or a field of one, does not apply here and is ignored (e.g. a router on a tcp service). */
  | "ignored-config-entry"
  /** A config entry and a Service Meta setting both set the same aspect: the config entry wins. */
  | "config-entry-overrides-meta"
  /** A config-entry field gRPC clients cannot apply; it is left out of their resources (the rest applies). */
  | "unsupported-for-grpc";

/**
 * Something the mapping worked around (never a reason to emit a bad resource). Returned as data so
 * the caller decides how to log and count it; the mapping itself does no I/O.
 */
export interface MappingWarning {
  /** The Consul service name. */
  readonly service: string;
  /** The instance concerned (`Service.ID`), when there is one. */
  readonly instance?: string;
  /** The datacenter of that instance. */
  readonly datacenter?: string;
  /** Set when the warning concerns only the resources of one client kind. */
  readonly clientKind?: ClientKind;
  readonly code: MappingWarningCode;
  readonly message: string;
}
