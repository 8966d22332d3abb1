/** Timings and limits of a watch; every field has a default ({@link defaultWatchTiming}). */
export interface WatchTiming {
  /** `?wait=` of the two blocking queries per datacenter. */
  readonly waitMs: number;
  /** Added to wait + wait/16 to get a blocking request's timeout. */
  readonly timeoutMarginMs: number;
  /** Timeout of non-blocking reads (`/v1/health/service/:name`, `/v1/agent/self`). */
  readonly requestTimeoutMs: number;
  /** Token bucket of each blocking loop. */
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** Token bucket of one datacenter's listings of every service check (each is as big as the catalog). */
  readonly listingRateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** Token bucket shared by one datacenter's service reads. */
  readonly fetchRateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** Retry delays after errors (jittered exponential). */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** How long a catalog index move may wait for the check feed to show which service it touched. */
  readonly explainGraceMs: number;
  /** Least time between two full re-reads caused by catalog changes nothing explained. */
  readonly sweepMinIntervalMs: number;
}

/**
 * Defaults: Consul's 5-minute wait; per blocking loop a bucket of 10 requests/s (burst 5), so a busy
 * catalog is followed within ~100 ms yet a constantly moving index cannot spin the loop (at large
 * scale each answer's own size paces it further); 1 s → 60 s backoff.
 */
export const defaultWatchTiming: WatchTiming = {
  waitMs: 5 * 60_000,
  timeoutMarginMs: 10_000,
  requestTimeoutMs: 10_000,
  rateLimit: { ratePerSecond: 10, burst: 5 },
  listingRateLimit: { ratePerSecond: 1, burst: 2 },
  fetchRateLimit: { ratePerSecond: 500, burst: 100 },
  backoff: { baseMs: 1_000, maxMs: 60_000 },
  explainGraceMs: 2_000,
  sweepMinIntervalMs: 30_000,
};
