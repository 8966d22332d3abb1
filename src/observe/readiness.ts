import type { ReadinessSource } from "../xds/health-service.js";

/** Options of {@link createReadiness}. */
export interface ReadinessOptions {
  /** True once every bridged service has been read from Consul once. */
  synced: () => boolean;
  /** Seconds since the last fully successful sync with Consul. */
  stalenessSeconds: () => number;
  /** Data older than this makes the bridge not ready (default 120 s). */
  maxStalenessSeconds?: number;
  /** How often readiness is re-evaluated to notice staleness growing (default 1,000 ms). */
  intervalMs?: number;
}

/** Readiness with a reason, for /readyz, the gRPC health service and metrics. */
export interface Readiness extends ReadinessSource {
  /** Why the bridge is not ready, or undefined when it is. */
  reason(): string | undefined;
  /** Stops the periodic re-evaluation. */
  close(): void;
}

/**
 * The bridge is ready once the initial Consul sync is complete and its Consul data is not older
 * than `maxStalenessSeconds`. Clients already connected keep their configuration either way; this
 * only tells load balancers and orchestrators whether to send new clients here.
 */
export function createReadiness(options: ReadinessOptions): Readiness {
  const maxStaleness = options.maxStalenessSeconds ?? 120;
  const listeners = new Set<() => void>();
  const reason = (): string | undefined => {
    if (!options.synced()) return "initial sync with Consul not complete";
    const staleness = options.stalenessSeconds();
    if (staleness > maxStaleness) return `Consul data is ${Math.round(staleness)} s old (limit ${maxStaleness} s)`;
    return undefined;
  };
  let last = reason() === undefined;
  const timer = setInterval(() => {
    const now = reason() === undefined;
    if (now === last) return;
    last = now;
    for (const listener of listeners) listener();
  }, options.intervalMs ?? 1_000);
  timer.unref();
  return {
    isReady: () => reason() === undefined,
    reason,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => clearInterval(timer),
  };
}
