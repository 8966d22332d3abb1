import type { Logger } from "pino";
import { type BlockingOutcome, type BlockingQueryOptions, runBlockingQuery } from "./blocking-query.js";
import { FeedSyntaxError } from "./check-feed-scanner.js";
import { type CheckFeedAnswer, type CheckFeedChanges, CheckFeedTracker } from "./check-feed-tracker.js";
import type { ConsulClient } from "./consul-client.js";
import { ConsulError } from "./consul-error.js";

/** What the feed carries: only the checks that are not passing, or (an old Consul) every check. */
export type FeedMode = "unhealthy" | "every-check";

/** The server-side filter of the feed: a check leaving the answer is a recovery (or a deregistration). */
export const unhealthyFilter = 'Status != "passing"';

/** Options of {@link CheckFeedLoop}. */
export interface CheckFeedLoopOptions {
  readonly client: ConsulClient;
  readonly datacenter: string;
  readonly stale: boolean;
  /** Timings, rate limit, backoff, clock and signal of the blocking loop. */
  readonly loop: Omit<BlockingQueryOptions<CheckFeedAnswer>, "fetch" | "onChange" | "onUnchanged" | "onOutcome" | "contentKey">;
  /**
   * Applies one answer's changes (`baseline`: the first answer, which changes nothing; `reset`: the
   * index went backwards, Consul was rebuilt or restored); returns whether anything changed.
   */
  readonly onAnswer: (changes: CheckFeedChanges, index: number, baseline: boolean, reset: boolean) => boolean;
  readonly onOutcome: (outcome: BlockingOutcome) => void;
  readonly log: Logger;
}

/**
 * The change feed of one datacenter (step 2 of the design notes in `consul-watcher.ts`): a blocking
 * query on `/v1/health/state/any?filter=Status != "passing"`, read from its bytes by a
 * CheckFeedTracker. A Consul older than 1.4.1 ignores `?filter=` and answers every check, passing
 * ones included: the first passing row shows it, and the feed then asks for every check, as the
 * bridge did before the filter (every check change then costs Consul a full answer).
 */
export class CheckFeedLoop {
  private readonly tracker = new CheckFeedTracker();
  private feedMode: FeedMode = "unhealthy";

  constructor(private readonly options: CheckFeedLoopOptions) {}

  /** What the feed carries now. */
  get mode(): FeedMode {
    return this.feedMode;
  }

  /** Runs until the loop's signal aborts. */
  run(): Promise<void> {
    const { client, datacenter, stale } = this.options;
    return runBlockingQuery<CheckFeedAnswer>({
      ...this.options.loop,
      // A body that is not JSON, or not a list, fails the request, as a JSON.parse failure would.
      fetch: async (p) => {
        const response = await client.healthStateBytes("any", {
          datacenter,
          stale,
          ...(this.feedMode === "unhealthy" ? { filter: unhealthyFilter } : {}),
          index: p.index,
          waitMs: p.waitMs,
          timeoutMs: p.timeoutMs,
          signal: p.signal,
        });
        let answer: CheckFeedAnswer | undefined;
        try {
          answer = this.tracker.read(response.body, response.index);
        } catch (error) {
          if (error instanceof FeedSyntaxError) throw new ConsulError("bad-response", `/v1/health/state/any is not JSON: ${error.message}`);
          throw error;
        }
        if (!answer) throw new ConsulError("bad-response", "/v1/health/state/any did not answer a list");
        return { ...response, body: answer };
      },
      onChange: (answer, change) => this.apply(answer, change.index, change.reset),
      onOutcome: this.options.onOutcome,
      // The comparison with the stored rows is the change detector here.
      contentKey: false,
    });
  }

  private apply(answer: CheckFeedAnswer, index: number, reset: boolean): boolean {
    if (this.feedMode === "unhealthy" && answer.passing > 0) {
      this.feedMode = "every-check";
      this.options.log.info(
        { passingRows: answer.passing },
        "Consul ignores ?filter= on /v1/health/state/any (older than 1.4.1?): watching every check, so each check change costs a full answer",
      );
    }
    const baseline = !this.tracker.hasBaseline;
    const changes = this.tracker.apply(answer);
    if (changes.malformed > 0) this.options.log.warn({ rows: changes.malformed }, "ignored unreadable rows of /v1/health/state/any");
    return this.options.onAnswer(changes, index, baseline, reset);
  }
}
