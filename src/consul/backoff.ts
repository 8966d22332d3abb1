/** Options of {@link createBackoff}. */
export interface BackoffOptions {
  /** Delay ceiling after the first failure. */
  readonly baseMs: number;
  /** Largest delay ceiling. */
  readonly maxMs: number;
  /** Jitter source (0 ≤ x < 1). Default Math.random. */
  readonly random?: () => number;
}

/** Delays between retries after consecutive failures. */
export interface Backoff {
  /** The delay before the next retry; each call counts one more failure. */
  next(): number;
  /** Forgets the failures (after a success). */
  reset(): void;
  /** Consecutive failures counted so far. */
  readonly failures: number;
}

/**
 * Exponential backoff with "equal jitter": after n failures the ceiling is min(max, base·2^(n-1))
 * and the delay is uniform in [ceiling/2, ceiling). Many bridges restarting against one Consul
 * therefore spread out instead of retrying in lock step, and none retries faster than base/2.
 */
export function createBackoff(options: BackoffOptions): Backoff {
  const random = options.random ?? Math.random;
  let failures = 0;
  return {
    next() {
      failures += 1;
      const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(failures - 1, 30));
      return ceiling / 2 + random() * (ceiling / 2);
    },
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
