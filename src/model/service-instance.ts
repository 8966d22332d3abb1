import type { ReadOrigin } from "./provenance.js";

/** A Consul check status, as Consul spells it. */
export type CheckStatus = "passing" | "warning" | "critical";

/** Why an instance is in maintenance mode, if it is (Consul adds a critical check for either). */
export type MaintenanceMode = "none" | "service" | "node";

/** The health of one instance as Consul reports it, before any routing policy is applied. */
export interface InstanceHealth {
  /** Worst status over the instance's own checks and its node's checks (maintenance checks included). */
  readonly status: CheckStatus;
  /** Maintenance that takes the instance out of service; its critical check is also in `status`. */
  readonly maintenance: MaintenanceMode;
  /**
   * Why the instance is not passing, for operators (change log, status page): the worst check's
   * name and output (or notes), e.g. "service:web-1: TTL expired". Absent while every check passes.
   */
  readonly cause?: string;
}

/** Consul's per-instance weights (`Service.Weights`); {passing: 1, warning: 1} when Consul sends none. */
export interface InstanceWeights {
  readonly passing: number;
  readonly warning: number;
}

/**
 * One instance of a Consul service, read from `/v1/health/service/:name`, immutable.
 * Addresses are kept as Consul has them (IP literal or hostname); the mapping decides what is usable.
 */
export interface ServiceInstance {
  /** `Service.ID`, unique on its node. */
  readonly id: string;
  /** `Node.Node`, the name of the node the instance is registered on. */
  readonly node: string;
  /**
   * Where the instance is reached: `Service.Address` when non-empty, else `Node.Address`; for other
   * datacenters than the local one, by default their WAN address (see docs/mapping.md).
   */
  readonly address: string;
  /** `Service.Port` (or the port of the service's WAN address, when that is the address used). */
  readonly port: number;
  /** `Service.Tags`. */
  readonly tags: readonly string[];
  /** `Service.Meta` (per-service settings are read from it by the mapping). */
  readonly meta: Readonly<Record<string, string>>;
  readonly weights: InstanceWeights;
  readonly health: InstanceHealth;
  /** `Node.Datacenter`. */
  readonly datacenter: string;
  /** `Node.Meta` (the locality zone is read from it). */
  readonly nodeMeta: Readonly<Record<string, string>>;
}

/** Every instance of one service in one datacenter, immutable; replaced as a whole when anything changes. */
export interface ServiceState {
  readonly name: string;
  readonly datacenter: string;
  /** The answer that brought this content (the first one that had it), when the source says. */
  readonly origin?: ReadOrigin | undefined;
  /** Sorted by node, then id, so equal content always looks the same. */
  readonly instances: readonly ServiceInstance[];
  /**
   * Set while `instances` is empty: the last instances the service had (a redeploy's gap, a
   * vanished service kept through its grace). Never routed to; the mapping reads the service's
   * settings and cluster type from them, so the resources kept for it do not change meanwhile.
   */
  readonly lastInstances?: readonly ServiceInstance[] | undefined;
}
