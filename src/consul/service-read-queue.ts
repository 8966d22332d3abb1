import { type Backoff, createBackoff } from "./backoff.js";
import type { Clock } from "./clock.js";
import type { ConsulResponse } from "./consul-client.js";
import { ConsulError, consulErrorFromReason } from "./consul-error.js";
import { createTokenBucket, type TokenBucket } from "./token-bucket.js";
import type { ConsulRequestEvent } from "./watcher-status.js";

/** Stale reads behind the index a change was seen at are retried this many times before being taken. */
const staleRetries = 3;

/** What the queue tells its owner. */
export interface ServiceReadEvents {
  /** After each read (for metrics); `endpoint` and `datacenter` are filled in by the owner. */
  request(event: Omit<ConsulRequestEvent, "endpoint" | "datacenter">): void;
  /** A read succeeded (`error` undefined) or failed; `service` scopes the state to that service's reads. */
  channel(error: ConsulError | undefined, service?: string): void;
  /**
   * A read failed and is retried after `retryInMs`; `service` is set when the failure is about that
   * service alone (a 400, a body that is not a list), which is retried alone. Called before
   * `channel` and `request`.
   */
  failed(error: ConsulError, service: string | undefined, retryInMs: number): void;
  /** `service` cannot be read on its own: it counts as read (waiting would not help). Called last. */
  unreadable(service: string): void;
}

/** Options of {@link ServiceReadQueue}. */
export interface ServiceReadQueueOptions {
  /** Reads in flight at once. */
  readonly concurrency: number;
  /** `?stale` reads: an answer older than the change that queued it is retried a few times. */
  readonly stale: boolean;
  /** Token bucket shared by the reads. */
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** Retry delays (the shared pause after Consul-wide errors, and each service's own). */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly clock: Clock;
  readonly random: () => number;
  /** Performs one read of `service`; throws on failure. */
  readonly fetch: (service: string, signal: AbortSignal) => Promise<ConsulResponse<unknown>>;
  /** Whether `service` is still bridged (a read of a service no longer bridged is dropped). */
  readonly wanted: (service: string) => boolean;
  /**
   * Applies a good answer (a list; `filteredByAcls`: Consul left out entries the token may not
   * read); returns whether the model changed. Throws a ConsulError when
   * the answer is a list but unusable: that is a failed read of this service.
   */
  readonly apply: (service: string, entries: readonly unknown[], index: number, filteredByAcls: boolean) => boolean;
  readonly events: ServiceReadEvents;
  readonly signal: AbortSignal;
}

/**
 * The reads of one datacenter's services (step 3 of the design notes in `consul-watcher.ts`): at most
 * `concurrency` in flight, deduplicated (a service queued twice is read once; one queued while being
 * read is read again after), rate-limited, closed until {@link open}. Consul-wide errors pause every
 * read with one jittered backoff; errors about one service (400, a body that is not a list) back off
 * that service alone. {@link idle} resolves once the last read in flight has ended.
 */
export class ServiceReadQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly rerun = new Set<string>();
  /** Service → the raft index its next answer must reach (the index its change was seen at). */
  private readonly required = new Map<string, number>();
  private readonly staleAttempts = new Map<string, number>();
  /** Backoff of each service whose reads fail on their own. */
  private readonly serviceFailures = new Map<string, Backoff>();
  private readonly pauseBackoff: Backoff;
  private readonly bucket: TokenBucket;
  private pausedUntil = 0;
  private opened = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ServiceReadQueueOptions) {
    this.pauseBackoff = createBackoff({ ...options.backoff, random: options.random });
    this.bucket = createTokenBucket({ ...options.rateLimit, clock: options.clock });
  }

  /** Lets reads start (they wait for the check feed's baseline). */
  open(): void {
    this.opened = true;
    this.pump();
  }

  /** Queues a read of `service`; `atIndex` is the raft index its change was seen at, when known. */
  enqueue(service: string, atIndex?: number): void {
    if (atIndex !== undefined && atIndex > 0) this.required.set(service, Math.max(this.required.get(service) ?? 0, atIndex));
    if (this.running.has(service)) this.rerun.add(service);
    else this.queued.add(service);
    this.pump();
  }

  /** Forgets everything about `service` (no longer bridged); a read in flight is dropped when it ends. */
  forget(service: string): void {
    this.queued.delete(service);
    this.rerun.delete(service);
    this.required.delete(service);
    this.staleAttempts.delete(service);
    if (this.serviceFailures.delete(service)) this.options.events.channel(undefined, service);
  }

  /** Resolves once no read is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const { concurrency, signal } = this.options;
    while (this.opened && this.running.size < concurrency && this.queued.size > 0 && !signal.aborted) {
      const service = this.queued.values().next().value as string;
      this.queued.delete(service);
      this.running.add(service);
      void this.read(service).finally(() => {
        this.running.delete(service);
        if (this.rerun.delete(service) && this.options.wanted(service)) this.queued.add(service);
        this.pump();
        if (this.running.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
    }
  }

  private async read(service: string): Promise<void> {
    const { clock, signal, events } = this.options;
    await this.bucket.take(signal);
    const pause = this.pausedUntil - clock.now();
    if (pause > 0) await clock.sleep(pause, signal);
    if (signal.aborted || !this.options.wanted(service)) return;
    const started = clock.now();
    let response: ConsulResponse<unknown>;
    try {
      response = await this.options.fetch(service, signal);
      if (!Array.isArray(response.body)) throw new ConsulError("bad-response", `/v1/health/service/${service} did not answer a list`);
    } catch (reason) {
      if (signal.aborted) return;
      this.failed(service, consulErrorFromReason(reason), started);
      return;
    }
    this.pauseBackoff.reset();
    events.channel(undefined);
    if (!this.options.wanted(service)) {
      // Deregistered (or filtered out) while the read was in flight: the answer is already stale.
      events.request({ service, outcome: "unchanged", durationMs: clock.now() - started });
      return;
    }
    const required = this.required.get(service) ?? 0;
    if (this.options.stale && response.index < required) {
      // A stale read from a server that has not applied the change yet: read again shortly.
      const attempts = (this.staleAttempts.get(service) ?? 0) + 1;
      if (attempts <= staleRetries) {
        this.staleAttempts.set(service, attempts);
        events.request({ service, outcome: "unchanged", durationMs: clock.now() - started });
        await clock.sleep(50 * attempts, signal);
        this.rerun.add(service);
        return;
      }
    }
    this.staleAttempts.delete(service);
    let changed: boolean;
    try {
      changed = this.options.apply(service, response.body as unknown[], response.index, response.filteredByAcls === true);
    } catch (reason) {
      // An unusable answer, or a bug in applying it: either way about this service alone.
      const error = reason instanceof ConsulError ? reason : new ConsulError("internal", `cannot apply the answer: ${String(reason)}`);
      this.failed(service, error, started, true);
      return;
    }
    this.required.delete(service);
    if (this.serviceFailures.delete(service)) events.channel(undefined, service);
    events.request({ service, outcome: changed ? "changed" : "unchanged", durationMs: clock.now() - started });
  }

  private failed(service: string, error: ConsulError, started: number, aboutService = false): void {
    const { clock, signal, events } = this.options;
    const now = clock.now();
    const scoped = aboutService || error.code === "bad-request" || error.code === "bad-response";
    let retryInMs: number;
    if (scoped) {
      // About this service only (Consul will not answer it better in a moment): retry it alone,
      // later, without holding back the others. It counts as read for the initial sync, since
      // waiting would not help; its last good state (if any) stays in the model.
      let backoff = this.serviceFailures.get(service);
      if (!backoff) this.serviceFailures.set(service, (backoff = createBackoff({ ...this.options.backoff, random: this.options.random })));
      retryInMs = backoff.next();
      void clock.sleep(retryInMs, signal).then(() => {
        if (!signal.aborted && this.options.wanted(service)) this.enqueue(service);
      });
    } else {
      // Consul or the network is in trouble: pause every read, one backoff step per failing round.
      retryInMs = now >= this.pausedUntil ? this.pauseBackoff.next() : this.pausedUntil - now;
      this.pausedUntil = Math.max(this.pausedUntil, now + retryInMs);
      this.rerun.add(service);
    }
    events.failed(error, scoped ? service : undefined, retryInMs);
    events.channel(error, scoped ? service : undefined);
    events.request({ service, outcome: "error", errorCode: error.code, durationMs: clock.now() - started, retryInMs });
    if (scoped) events.unreadable(service);
  }
}
