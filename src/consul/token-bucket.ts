import { type Clock, systemClock } from "./clock.js";

/** Options of {@link createTokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the sustained request rate). */
  readonly ratePerSecond: number;
  /** Most tokens stored (requests allowed back to back). */
  readonly burst: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

/** A token bucket: the rate limit of one watch loop, so no answer pattern can make it spin. */
export interface TokenBucket {
  /** Waits for a token (returns early, without one, when `signal` aborts). */
  take(signal?: AbortSignal): Promise<void>;
}

/** Creates a token bucket that starts full. */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const clock = options.clock ?? systemClock;
  const rate = options.ratePerSecond;
  const burst = Math.max(1, options.burst);
  if (!(rate > 0)) throw new Error(`ratePerSecond must be positive, got ${rate}`);
  let tokens = burst;
  let last = clock.now();
  const refill = (): void => {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * rate);
    last = now;
  };
  return {
    async take(signal) {
      refill();
      while (tokens < 1) {
        if (signal?.aborted) return;
        await clock.sleep(Math.ceil(((1 - tokens) / rate) * 1000), signal);
        refill();
      }
      tokens -= 1;
    },
  };
}
