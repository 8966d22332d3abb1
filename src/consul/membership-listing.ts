import { type Backoff, createBackoff } from "./backoff.js";
import { FeedSyntaxError } from "./check-feed-scanner.js";
import type { Clock } from "./clock.js";
import type { ConsulClient } from "./consul-client.js";
import { ConsulError, consulErrorFromReason } from "./consul-error.js";
import type { FailedRead } from "./failure-log.js";
import type { MembershipFingerprints } from "./membership-fingerprints.js";
import { createTokenBucket, type TokenBucket } from "./token-bucket.js";
import type { ConsulRequestEvent } from "./watcher-status.js";

/** How long a listing waits after being asked, so one burst of catalog moves costs one listing. */
const coalesceMs = 50;

/** Options of {@link MembershipListing}. */
export interface MembershipListingOptions {
  readonly client: ConsulClient;
  readonly datacenter: string;
  readonly stale: boolean;
  /** `--tag`: only instances carrying it are read, so only they are listed. */
  readonly tag: string | undefined;
  readonly timeoutMs: number;
  /** Listings are expensive (every check of the datacenter): this bucket spaces them. */
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly clock: Clock;
  readonly random: () => number;
  readonly signal: AbortSignal;
  readonly fingerprints: MembershipFingerprints;
  readonly bridged: (service: string) => boolean;
  /** Queues a read of a service the listing shows gained or lost an instance. */
  readonly enqueue: (service: string) => void;
  readonly events: {
    request(event: ConsulRequestEvent): void;
    channel(error: ConsulError | undefined): void;
    failure(read: FailedRead): void;
  };
}

/** The filter of a listing: service checks only (node checks say nothing about membership), with the tag if any. */
export function listingFilter(tag: string | undefined): string {
  return tag === undefined ? 'ServiceID != ""' : `ServiceID != "" and ${JSON.stringify(tag)} in ServiceTags`;
}

/**
 * Finds, on demand, the services that gained or lost an instance in ways the filtered check feed
 * cannot show (a registration whose check starts passing, a deregistration of a passing instance):
 * it lists every service check once (`/v1/health/state/any`, unfiltered by status) and compares
 * each service's checked instances with its last read (MembershipFingerprints). Asked for when the
 * catalog index moves without a visible cause; requests are coalesced and rate-limited, and a
 * failed listing is retried with backoff.
 */
export class MembershipListing {
  private wanted = false;
  private running = false;
  private readonly bucket: TokenBucket;
  private readonly backoff: Backoff;

  constructor(private readonly options: MembershipListingOptions) {
    this.bucket = createTokenBucket({ ...options.rateLimit, clock: options.clock });
    this.backoff = createBackoff({ ...options.backoff, random: options.random });
  }

  /** Asks for a listing soon (one listing serves every request made before it starts). */
  request(): void {
    this.wanted = true;
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    const { clock, signal } = this.options;
    this.running = true;
    try {
      while (this.wanted && !signal.aborted) {
        await clock.sleep(coalesceMs, signal);
        await this.bucket.take(signal);
        if (signal.aborted) return;
        this.wanted = false;
        const retryInMs = await this.list();
        if (retryInMs !== undefined) {
          this.wanted = true;
          await clock.sleep(retryInMs, signal);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One listing; resolves with the backoff delay when it failed. */
  private async list(): Promise<number | undefined> {
    const { client, datacenter, stale, clock, signal, events } = this.options;
    const started = clock.now();
    let differing: Set<string> | undefined;
    try {
      const response = await client.healthStateBytes("any", {
        datacenter,
        stale,
        filter: listingFilter(this.options.tag),
        timeoutMs: this.options.timeoutMs,
        signal,
      });
      try {
        differing = this.options.fingerprints.differing(response.body, this.options.bridged);
      } catch (error) {
        if (error instanceof FeedSyntaxError) throw new ConsulError("bad-response", `/v1/health/state/any is not JSON: ${error.message}`);
        throw error;
      }
      if (!differing) throw new ConsulError("bad-response", "/v1/health/state/any did not answer a list");
    } catch (reason) {
      if (signal.aborted) return undefined;
      const error = consulErrorFromReason(reason);
      const retryInMs = this.backoff.next();
      events.failure({ endpoint: "health-state-list", datacenter, error, retryInMs });
      events.channel(error);
      events.request({
        endpoint: "health-state-list",
        datacenter,
        outcome: "error",
        errorCode: error.code,
        durationMs: clock.now() - started,
        retryInMs,
      });
      return retryInMs;
    }
    this.backoff.reset();
    events.channel(undefined);
    for (const service of differing) this.options.enqueue(service);
    events.request({
      endpoint: "health-state-list",
      datacenter,
      outcome: differing.size > 0 ? "changed" : "unchanged",
      durationMs: clock.now() - started,
    });
    return undefined;
  }
}
