import type { Logger } from "pino";
import type { ModelWriter } from "../model/model-writer.js";
import type { ReadOrigin } from "../model/provenance.js";
import { type BlockingOutcome, runBlockingQuery } from "./blocking-query.js";
import { CatalogGap } from "./catalog-gap.js";
import { CheckFeedLoop } from "./check-feed-loop.js";
import type { CheckFeedChanges } from "./check-feed-tracker.js";
import type { Clock } from "./clock.js";
import type { ConsulClient } from "./consul-client.js";
import { ConsulError } from "./consul-error.js";
import type { FailedRead } from "./failure-log.js";
import type { AddressRule } from "./health-entry.js";
import { isObject } from "./is-object.js";
import { MembershipFingerprints } from "./membership-fingerprints.js";
import { MembershipListing } from "./membership-listing.js";
import { NodeServiceIndex } from "./node-service-index.js";
import { ServiceEntryReader } from "./service-entry-reader.js";
import { type ServiceFilter, selectBridgedServices } from "./service-filter.js";
import { ServiceReadQueue } from "./service-read-queue.js";
import { SyncGate } from "./sync-gate.js";
import type { WatchTiming } from "./watch-timing.js";
import type { ConsulRequestEvent, WatchEndpoint } from "./watcher-status.js";

/** What a datacenter watch tells its watcher. */
export interface DatacenterWatchEvents {
  request(event: ConsulRequestEvent): void;
  /**
   * A read succeeded (`error` undefined) or failed. `service` scopes the state to one service's
   * reads (an error only that service has), so it stays visible until that service reads fine.
   */
  channel(endpoint: WatchEndpoint, datacenter: string, error: ConsulError | undefined, service?: string): void;
  /** Every bridged service of the datacenter has been read once. */
  synced(datacenter: string): void;
  /** A read failed for a reason beyond one service (Consul unreachable, refusing, erring…). */
  failure(read: FailedRead): void;
}

/** Options of {@link DatacenterWatch}. */
export interface DatacenterWatchOptions {
  readonly client: ConsulClient;
  /** Where the datacenter's services are written (the model, or a guard in front of it). */
  readonly model: ModelWriter;
  readonly datacenter: string;
  /** Which services are bridged. */
  readonly filter: ServiceFilter;
  /** Which address of each instance is used: `lan` for the local datacenter, `wan` or `lan` for the others. */
  readonly addressRule: AddressRule;
  readonly stale: boolean;
  /** Service reads in flight at once for this datacenter (its share of the socket cap). */
  readonly fetchConcurrency: number;
  readonly timing: WatchTiming;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly events: DatacenterWatchEvents;
  /** Ends the watch: both loops stop, reads in flight are aborted. */
  readonly signal: AbortSignal;
}

/**
 * The watch of one datacenter; see the design notes at the top of `consul-watcher.ts`. Two
 * blocking loops (catalog services, the check feed of unhealthy checks) and, when the catalog moves
 * without a visible cause, a listing of the checked instances decide which services to read; a read
 * queue reads them with `/v1/health/service/:name` into the model; the catalog gap and the sync gate
 * keep the index bookkeeping and the initial-sync condition.
 */
export class DatacenterWatch {
  private readonly log: Logger;
  /** Bridged service → its catalog tags. */
  private readonly bridged = new Map<string, readonly string[]>();
  private readonly nodes = new NodeServiceIndex();
  private readonly fingerprints = new MembershipFingerprints();
  private readonly entries: ServiceEntryReader;
  private readonly sync: SyncGate;
  private readonly gap: CatalogGap;
  private readonly queue: ServiceReadQueue;
  private readonly feed: CheckFeedLoop;
  private readonly listing: MembershipListing;
  private catalogListed = false;

  constructor(private readonly options: DatacenterWatchOptions) {
    this.log = options.logger.child({ datacenter: options.datacenter });
    this.sync = new SyncGate(
      () => this.bridged.keys(),
      () => {
        this.log.info({ services: this.bridged.size }, "consul datacenter synced");
        this.options.events.synced(this.options.datacenter);
      },
    );
    const { timing, clock, signal } = options;
    this.gap = new CatalogGap({
      explainGraceMs: timing.explainGraceMs,
      sweepMinIntervalMs: timing.sweepMinIntervalMs,
      clock,
      signal,
      sweep: () => {
        this.log.debug({ services: this.bridged.size }, "catalog changed without a visible cause; re-reading every bridged service");
        for (const name of this.bridged.keys()) this.queue.enqueue(name);
      },
      // With the filtered feed, a registration whose check starts passing or the deregistration of
      // a passing instance shows only here: list the checked instances to find the service.
      unexplained: () => {
        if (this.feed.mode === "unhealthy") this.listing.request();
      },
    });
    this.entries = new ServiceEntryReader(options.datacenter, this.log, (index) => this.gap.remember(index), options.addressRule);
    this.queue = this.createQueue();
    this.feed = this.createFeed();
    this.listing = this.createListing();
  }

  /** The datacenter watched. */
  get datacenter(): string {
    return this.options.datacenter;
  }

  /** True once every bridged service has been read once. */
  get synced(): boolean {
    return this.sync.synced;
  }

  /** True when some read failed before the initial sync completed. */
  get failedBeforeInitialSync(): boolean {
    return this.sync.failedBeforeSync;
  }

  /** Services bridged now. */
  get serviceCount(): number {
    return this.bridged.size;
  }

  /** Runs both loops until the signal aborts; resolves when they and every read in flight have stopped. */
  async run(): Promise<void> {
    const { client, datacenter, stale, timing, clock, signal } = this.options;
    const common = {
      waitMs: timing.waitMs,
      timeoutMarginMs: timing.timeoutMarginMs,
      rateLimit: timing.rateLimit,
      backoff: { ...timing.backoff, random: this.options.random },
      clock,
      signal,
      onCallbackError: (error: unknown) => this.log.error({ err: error }, "consul watch: handler failed"),
    };
    const catalog = runBlockingQuery({
      ...common,
      // An answer of another shape fails the read, so it is retried with backoff rather than at the loop's rate.
      fetch: async (p) => {
        const response = await client.catalogServices({
          datacenter,
          stale,
          index: p.index,
          waitMs: p.waitMs,
          timeoutMs: p.timeoutMs,
          signal: p.signal,
        });
        if (!isObject(response.body)) throw new ConsulError("bad-response", "/v1/catalog/services did not answer an object");
        return { ...response, body: { services: response.body, filteredByAcls: response.filteredByAcls === true } };
      },
      onChange: (answer, change) => this.onCatalog(answer.services, change.index, change.reset, answer.filteredByAcls),
      onUnchanged: (change) => this.gap.catalogMoved(change.index, !change.reset && this.catalogListed),
      onOutcome: (outcome) => this.onLoopOutcome("catalog-services", outcome),
    });
    const checks = this.feed.run();
    await Promise.all([catalog, checks]);
    await this.queue.idle();
  }

  private createFeed(): CheckFeedLoop {
    const { client, datacenter, stale, timing, clock, signal } = this.options;
    return new CheckFeedLoop({
      client,
      datacenter,
      stale,
      loop: {
        waitMs: timing.waitMs,
        timeoutMarginMs: timing.timeoutMarginMs,
        rateLimit: timing.rateLimit,
        backoff: { ...timing.backoff, random: this.options.random },
        clock,
        signal,
        onCallbackError: (error: unknown) => this.log.error({ err: error }, "consul watch: handler failed"),
      },
      onAnswer: (changes, index, baseline, reset) => this.onCheckFeed(changes, index, baseline, reset),
      onOutcome: (outcome) => this.onLoopOutcome("health-state", outcome),
      log: this.log,
    });
  }

  private createListing(): MembershipListing {
    const { client, datacenter, stale, timing, clock, signal, events } = this.options;
    return new MembershipListing({
      client,
      datacenter,
      stale,
      tag: this.options.filter.tag,
      timeoutMs: timing.requestTimeoutMs,
      rateLimit: timing.listingRateLimit,
      backoff: timing.backoff,
      clock,
      random: this.options.random,
      signal,
      fingerprints: this.fingerprints,
      bridged: (name) => this.bridged.has(name),
      enqueue: (name) => this.queue.enqueue(name),
      events: {
        request: (event) => events.request(event),
        channel: (error) => events.channel("health-state-list", datacenter, error),
        failure: (read) => events.failure(read),
      },
    });
  }

  private createQueue(): ServiceReadQueue {
    const { client, datacenter, stale, timing, clock, events, signal } = this.options;
    const tag = this.options.filter.tag;
    return new ServiceReadQueue({
      concurrency: this.options.fetchConcurrency,
      stale,
      rateLimit: timing.fetchRateLimit,
      backoff: timing.backoff,
      clock,
      random: this.options.random,
      signal,
      fetch: (name, readSignal) =>
        client.healthService(name, {
          datacenter,
          stale,
          ...(tag !== undefined ? { tags: [tag] } : {}),
          timeoutMs: timing.requestTimeoutMs,
          signal: readSignal,
        }),
      wanted: (name) => this.bridged.has(name),
      apply: (name, entries, index, filteredByAcls) => this.apply(name, entries, index, filteredByAcls),
      events: {
        request: (event) => events.request({ endpoint: "health-service", datacenter, ...event }),
        channel: (error, service) => events.channel("health-service", datacenter, error, service),
        failed: (error, service, retryInMs) => {
          if (service !== undefined) {
            this.log.error({ service, code: error.code, error: error.message }, `cannot read service ${service}; retrying it alone`);
          } else {
            events.failure({ endpoint: "health-service", datacenter, error, retryInMs });
          }
          this.sync.readFailed();
        },
        unreadable: (service) => this.sync.serviceRead(service),
      },
    });
  }

  private onLoopOutcome(endpoint: WatchEndpoint, outcome: BlockingOutcome): void {
    const { datacenter } = this.options;
    if (outcome.ok) {
      this.options.events.channel(endpoint, datacenter, undefined);
      this.options.events.request({
        endpoint,
        datacenter,
        outcome: outcome.changed ? "changed" : "unchanged",
        durationMs: outcome.durationMs,
      });
      return;
    }
    this.sync.readFailed();
    this.options.events.failure({ endpoint, datacenter, error: outcome.error, retryInMs: outcome.retryInMs });
    this.options.events.channel(endpoint, datacenter, outcome.error);
    this.options.events.request({
      endpoint,
      datacenter,
      outcome: "error",
      errorCode: outcome.error.code,
      durationMs: outcome.durationMs,
      retryInMs: outcome.retryInMs,
    });
    this.log.debug({ endpoint, code: outcome.error.code, retryInMs: Math.round(outcome.retryInMs) }, "consul read failed; retrying");
  }

  // ---- discovery: /v1/catalog/services ----

  private onCatalog(body: unknown, index: number, reset: boolean, filteredByAcls: boolean): void {
    const wanted = selectBridgedServices(body, this.options.filter) ?? new Map<string, readonly string[]>();
    let diff = false;
    for (const name of [...this.bridged.keys()]) {
      if (wanted.has(name)) continue;
      this.forget(name, { index, at: Date.now(), ...(filteredByAcls ? { filteredByAcls } : {}) });
      diff = true;
    }
    for (const [name, tags] of wanted) {
      const before = this.bridged.get(name);
      if (before && before.length === tags.length && before.every((t, i) => t === tags[i])) continue;
      this.bridged.set(name, tags);
      this.queue.enqueue(name);
      diff = true;
    }
    const first = !this.catalogListed;
    this.catalogListed = true;
    if (first || diff) this.gap.catalogChanged(index);
    else this.gap.catalogMoved(index, !reset);
    this.sync.catalogWasListed();
  }

  /** Stops bridging `name` (deregistered, or filtered out by the answer at `origin`). */
  private forget(name: string, origin: ReadOrigin): void {
    this.bridged.delete(name);
    this.sync.forget(name);
    this.queue.forget(name);
    this.nodes.delete(name);
    this.fingerprints.forget(name);
    this.options.model.removeService(this.options.datacenter, name, origin);
  }

  // ---- change feed: /v1/health/state/any ----

  /** Applies one check-feed answer's changes; returns whether anything changed (the loop's change detector). */
  private onCheckFeed(diff: CheckFeedChanges, index: number, baseline: boolean, reset: boolean): boolean {
    const changed = baseline || diff.services.size > 0 || diff.nodes.size > 0;
    this.gap.feedShows(diff.writeIndexes);
    // A deletion's index shows only in this answer; keep it for catalog moves that arrive later.
    if (diff.writeIndexes.has(index)) this.gap.remember(index);
    if (baseline) {
      // Reads start only now, so none can predate the baseline the diffs are taken against.
      this.queue.open();
      this.sync.feedBaselineTaken();
      return changed;
    }
    if (reset && this.feed.mode === "unhealthy") {
      // Consul was rebuilt or restored: anything may differ, and the feed shows only unhealthy checks.
      this.log.info({ services: this.bridged.size }, "consul's indexes went backwards; re-reading every bridged service");
      for (const name of this.bridged.keys()) this.queue.enqueue(name);
      return true;
    }
    for (const [name, at] of diff.services) if (this.bridged.has(name)) this.queue.enqueue(name, at);
    for (const [node, at] of diff.nodes) for (const name of this.nodes.servicesOn(node)) this.queue.enqueue(name, at);
    return changed;
  }

  // ---- reads: /v1/health/service/:name ----

  private apply(name: string, entries: readonly unknown[], index: number, filteredByAcls: boolean): boolean {
    const { datacenter, model } = this.options;
    this.gap.remember(index);
    const read = this.entries.read(name, entries, model.instancesIn(datacenter, name));
    if (!read.usable) {
      // Consul never stores such records: the answer is broken (a proxy, a bug), not the service gone.
      throw new ConsulError(
        "bad-response",
        `/v1/health/service/${name}: none of its ${read.unreadable} entries is readable; keeping the last good instances`,
      );
    }
    this.nodes.set(name, read.nodes);
    this.fingerprints.noteRead(name, entries);
    // A name whose every instance is a sidecar or gateway is not a service the bridge routes to.
    // Provenance for status and the change log: wall-clock time, whatever clock paces the watch.
    const origin: ReadOrigin = { index, at: Date.now(), ...(filteredByAcls ? { filteredByAcls } : {}) };
    const changed = read.onlyOtherKinds
      ? model.removeService(datacenter, name, origin)
      : model.setService(datacenter, name, read.instances, origin);
    this.sync.serviceRead(name);
    return changed;
  }
}
