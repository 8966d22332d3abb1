import { type BackoffOptions, createBackoff } from "./backoff.js";
import type { Clock } from "./clock.js";
import type { ConsulResponse } from "./consul-client.js";
import { type ConsulError, consulErrorFromReason } from "./consul-error.js";
import { createTokenBucket, type TokenBucketOptions } from "./token-bucket.js";

/** What one request of a blocking loop ended with. */
export type BlockingOutcome =
  | {
      readonly ok: true;
      /** The content differed from the previous answer (the first answer always counts as changed). */
      readonly changed: boolean;
      readonly index: number;
      readonly durationMs: number;
    }
  | {
      readonly ok: false;
      readonly error: ConsulError;
      readonly durationMs: number;
      /** The backoff delay before the next attempt. */
      readonly retryInMs: number;
      /** Consecutive failures, this one included. */
      readonly failures: number;
    };

/** Metadata handed to {@link BlockingQueryOptions.onChange}. */
export interface BlockingChange {
  /** `X-Consul-Index` of the answer. */
  readonly index: number;
  /** The index went backwards (Consul was rebuilt or restored): every index known before is void. */
  readonly reset: boolean;
}

/** Options of {@link runBlockingQuery}. */
export interface BlockingQueryOptions<T> {
  /** Performs one request; must honour `signal` and `timeoutMs`, and throw on failure. */
  readonly fetch: (params: {
    readonly index: number;
    readonly waitMs: number;
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
  }) => Promise<ConsulResponse<T>>;
  /**
   * Called with an answer whose content differs from the previous answer's (the first answer
   * included) — or with every answer when `contentKey` is false, returning whether it changed.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing are the common case
  readonly onChange: (body: T, change: BlockingChange) => void | boolean;
  /** Called with the metadata of an answer whose content equals the previous one (a timeout, or a change elsewhere). */
  readonly onUnchanged?: (change: BlockingChange) => void;
  /** Called after every request, once `onChange`/`onUnchanged` has run (for status, metrics and logs). */
  readonly onOutcome?: (outcome: BlockingOutcome) => void;
  /** `?wait=` of each blocking request. */
  readonly waitMs: number;
  /** Added to wait + wait/16 (Consul's largest jitter) to get the request timeout. */
  readonly timeoutMarginMs: number;
  /** The loop's rate limit; Consul's own guidance is a burst of 2. */
  readonly rateLimit: TokenBucketOptions;
  /** Retry delays after failures. */
  readonly backoff: BackoffOptions;
  readonly clock: Clock;
  /** Ends the loop (the in-flight request is aborted). */
  readonly signal: AbortSignal;
  /**
   * Content identity used to tell a real change from a timeout or a spurious wake-up (default: the
   * JSON text). `false` when `onChange` compares answers itself: it then sees every answer and
   * returns whether anything changed.
   */
  readonly contentKey?: ((body: T) => string) | false;
  /** Called if `onChange` throws (the loop goes on). */
  readonly onCallbackError?: (error: unknown) => void;
}

/**
 * The index to send next, by Consul's client rules: an index that went backwards resets to 0 (a
 * fresh, non-blocking read), and an index below 1 becomes 1 so a buggy 0 cannot turn blocking
 * queries into a busy loop.
 */
export function nextBlockingIndex(sent: number, received: number): number {
  if (received < sent) return 0;
  if (received < 1) return 1;
  return received;
}

/**
 * Runs one blocking-query watch until `signal` aborts: index/wait handling, a timeout above
 * wait + jitter, content comparison (no event for an unchanged answer), a token-bucket rate limit
 * and jittered exponential backoff on errors (the retry after an error does not block, so recovery
 * shows at once). Errors never end the loop; the caller keeps its last
 * good data and is told through `onOutcome`.
 */
export async function runBlockingQuery<T>(options: BlockingQueryOptions<T>): Promise<void> {
  const { clock, signal } = options;
  const bucket = createTokenBucket({ ...options.rateLimit, clock });
  const backoff = createBackoff(options.backoff);
  const contentKey = options.contentKey ?? ((body: T) => JSON.stringify(body));
  const timeoutMs = options.waitMs + options.waitMs / 16 + options.timeoutMarginMs;
  let index = 0;
  let lastKey: string | undefined;
  while (!signal.aborted) {
    await bucket.take(signal);
    if (signal.aborted) return;
    const started = clock.now();
    let response: ConsulResponse<T>;
    try {
      response = await options.fetch({ index, waitMs: options.waitMs, timeoutMs, signal });
    } catch (reason) {
      if (signal.aborted) return;
      const error = consulErrorFromReason(reason);
      const retryInMs = backoff.next();
      options.onOutcome?.({ ok: false, error, durationMs: clock.now() - started, retryInMs, failures: backoff.failures });
      // Retry without blocking: the answer confirms recovery at once and brings what changed meanwhile.
      index = 0;
      await clock.sleep(retryInMs, signal);
      continue;
    }
    if (signal.aborted) return;
    backoff.reset();
    const reset = response.index < index;
    index = nextBlockingIndex(index, response.index);
    const durationMs = clock.now() - started;
    const meta = { index: response.index, reset };
    let changed = true;
    try {
      if (contentKey === false) {
        changed = options.onChange(response.body, meta) !== false;
        if (!changed) options.onUnchanged?.(meta);
      } else {
        const key = contentKey(response.body);
        changed = key !== lastKey;
        if (changed) {
          lastKey = key;
          options.onChange(response.body, meta);
        } else {
          options.onUnchanged?.(meta);
        }
      }
    } catch (error) {
      options.onCallbackError?.(error);
    }
    options.onOutcome?.({ ok: true, changed, index: response.index, durationMs });
  }
}
