import type { WithdrawalHold } from "../model/withdrawal-guard.js";

/** The bridge's state as a reading, for /readyz, metrics, the admin API and `status`. */
export interface StatusReading {
  /** The initial sync with Consul is complete. */
  synced: boolean;
  /** Synced, and Consul data is fresh enough (see createReadiness). */
  ready: boolean;
  /** Why the bridge is not ready, if it is not. */
  notReadyReason: string | undefined;
  stalenessSeconds: number;
  /** Class of the last Consul error ("" when the last request succeeded), e.g. "unreachable". */
  consulErrorClass: string;
  consulErrorMessage: string;
  services: number;
  instances: number;
  validationFailures: number;
  /** The mass withdrawal held back now, if any (see WithdrawalGuard). */
  withdrawalHold?: WithdrawalHold | undefined;
  /** Traffic policy from Consul's config entries: "on", "off" (403/404: plain routing), "starting", or "" when not read. */
  configEntriesState?: string;
  /** Why config entries are off (Consul's answer), or the current read error. */
  configEntriesReason?: string;
  /** Config entries held. */
  configEntries?: number;
}
