import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import type { ConsulError } from "./consul-error.js";
import type { WatchEndpoint } from "./watcher-status.js";

/** One failed read, as the failure log needs it. */
export interface FailedRead {
  readonly endpoint: WatchEndpoint;
  readonly datacenter: string;
  readonly error: ConsulError;
  /** The backoff delay before this read is tried again. */
  readonly retryInMs: number;
}

/** Options of {@link FailureLog}. */
export interface FailureLogOptions {
  /** Consul's address as configured (never with credentials). */
  readonly address: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Whether the bridge serves data from Consul already (the initial sync completed). */
  readonly hasData: () => boolean;
}

/** "4 s", "750 ms", "1.5 min": a delay as an operator reads it. */
export function formatDelay(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(ms < 10_000 ? 1 : 0))} s`;
  return `${Number((ms / 60_000).toFixed(1))} min`;
}

/** What failed, in one phrase naming Consul's address. */
function describe(read: FailedRead, address: string): string {
  const { error, datacenter } = read;
  switch (error.code) {
    case "unreachable":
      return `cannot reach Consul at ${address}`;
    case "tls":
      return `TLS with Consul at ${address} failed: ${error.message}`;
    case "acl-denied":
      return `Consul at ${address} refused the ACL token`;
    case "timeout":
      return `Consul at ${address} did not answer in time`;
    case "rate-limited":
      return `Consul at ${address} refuses more connections from the bridge (429)`;
    case "unknown-datacenter":
      return `Consul at ${address} has no path to datacenter ${datacenter}`;
    case "bad-response":
      return `Consul at ${address} answered something the bridge cannot read`;
    case "bad-request":
      return `Consul at ${address} refused a request`;
    case "server-error":
      return `Consul at ${address} failed to answer`;
    default:
      return `reading Consul at ${address} failed`;
  }
}

/**
 * The operator's view of Consul failing: one line per failing round, saying what failed, whether
 * clients are served anything meanwhile, and when the bridge tries again ("cannot reach Consul at
 * http://127.0.0.1:8500 (no data yet), retrying in 4 s"). Lines follow the backoff: after a line, the
 * next comes once the delay it announced has passed (or at once when the kind of failure changes),
 * so a long outage is never silent and never floods — one line a minute at the longest backoff.
 * Failures of one service alone are logged where they are read, not here.
 */
export class FailureLog {
  private nextAt = Number.NEGATIVE_INFINITY;
  private lastCode: string | undefined;

  constructor(private readonly options: FailureLogOptions) {}

  /** A read failed. */
  failed(read: FailedRead): void {
    const now = this.options.clock.now();
    if (now < this.nextAt && read.error.code === this.lastCode) return;
    this.nextAt = now + read.retryInMs;
    this.lastCode = read.error.code;
    const { endpoint, datacenter, error, retryInMs } = read;
    const served = this.options.hasData() ? "; keeping the last good data" : " (no data yet)";
    this.options.logger.warn(
      { endpoint, datacenter, code: error.code, error: error.message, retryInMs: Math.round(retryInMs) },
      `${describe(read, this.options.address)}${served}, retrying in ${formatDelay(retryInMs)}`,
    );
  }

  /** Every read succeeds again: the next failure is logged at once. */
  recovered(): void {
    this.nextAt = Number.NEGATIVE_INFINITY;
    this.lastCode = undefined;
  }
}
