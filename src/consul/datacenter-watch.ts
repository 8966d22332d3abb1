import type { Logger } from "pino";
import type { ServiceInstance } from "../model/service-instance.js";
import type { ServiceModel } from "../model/service-model.js";
import { type Backoff, createBackoff } from "./backoff.js";
import { type BlockingOutcome, runBlockingQuery } from "./blocking-query.js";
import { FeedSyntaxError } from "./check-feed-scanner.js";
import { type CheckFeedAnswer, CheckFeedTracker } from "./check-feed-tracker.js";
import type { Clock } from "./clock.js";
import type { ConsulClient } from "./consul-client.js";
import { ConsulError, consulErrorFromReason } from "./consul-error.js";
import { instanceFromHealthEntry } from "./health-entry.js";
import { InstanceInterner } from "./instance-interner.js";
import { isObject } from "./is-object.js";
import { createTokenBucket } from "./token-bucket.js";
import type { ConsulRequestEvent, WatchEndpoint } from "./watcher-status.js";

/** Timings and limits of a watch; every field has a default in the watcher. */
export interface WatchTiming {
  /** `?wait=` of the two blocking queries per datacenter. */
  readonly waitMs: number;
  /** Added to wait + wait/16 to get a blocking request's timeout. */
  readonly timeoutMarginMs: number;
  /** Timeout of non-blocking reads (`/v1/health/service/:name`, `/v1/agent/self`). */
  readonly requestTimeoutMs: number;
  /** Token bucket of each blocking loop. */
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** Token bucket shared by one datacenter's service reads. */
  readonly fetchRateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** Retry delays after errors (jittered exponential). */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** How long a catalog index move may wait for the check feed to show which service it touched. */
  readonly explainGraceMs: number;
  /** Least time between two full re-reads caused by catalog changes nothing explained. */
  readonly sweepMinIntervalMs: number;
}

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
}

/** Options of {@link DatacenterWatch}. */
export interface DatacenterWatchOptions {
  readonly client: ConsulClient;
  readonly model: ServiceModel;
  readonly datacenter: string;
  /** Only services whose names start with this. */
  readonly prefix: string;
  /** Services never bridged, whatever the prefix (Consul's own `consul` service by default). */
  readonly exclude: ReadonlySet<string>;
  /** Only services (and instances) carrying this tag. */
  readonly tag: string | undefined;
  readonly stale: boolean;
  /** Service reads in flight at once for this datacenter (its share of the socket cap). */
  readonly fetchConcurrency: number;
  readonly timing: WatchTiming;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly events: DatacenterWatchEvents;
}

const recentIndexCap = 50_000;
const warnedCap = 10_000;
const staleRetries = 3;

/**
 * The watch of one datacenter; see the design notes at the top of `consul-watcher.ts`. Two
 * blocking loops (catalog services, check feed) decide which services to read, and a bounded queue
 * reads them with `/v1/health/service/:name` into the model.
 */
export class DatacenterWatch {
  private readonly log: Logger;
  /** Bridged service → its catalog tags. */
  private readonly bridged = new Map<string, readonly string[]>();
  private readonly readOnce = new Set<string>();
  private readonly serviceNodes = new Map<string, ReadonlySet<string>>();
  private readonly nodeServices = new Map<string, Set<string>>();
  private readonly nodeSets = new Map<string, ReadonlySet<string>>();
  // Work queue of service reads.
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly rerun = new Set<string>();
  private readonly required = new Map<string, number>();
  private readonly staleAttempts = new Map<string, number>();
  /** Backoff of each service whose reads fail on their own (e.g. a 400 about that service). */
  private readonly serviceFailures = new Map<string, Backoff>();
  private workers = 0;
  private gateOpen = false;
  private pausedUntil = 0;
  private readonly fetchBackoff;
  private readonly fetchBucket;
  // Change detection.
  private readonly feed = new CheckFeedTracker();
  private checkWriteIndexes: ReadonlySet<number> = new Set();
  private readonly recentIndexes = new Set<number>();
  private readonly pendingCatalogIndexes = new Set<number>();
  private lastCatalogIndex = 0;
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private sweepScheduled = false;
  private catalogReady = false;
  private stateReady = false;
  private syncedFlag = false;
  private failedBeforeSync = false;
  private readonly warned = new Set<string>();
  /** Shares the immutable parts of instances across reads and services (see InstanceInterner). */
  private readonly interner = new InstanceInterner();
  private signal: AbortSignal | undefined;

  constructor(private readonly options: DatacenterWatchOptions) {
    this.log = options.logger.child({ datacenter: options.datacenter });
    this.fetchBackoff = createBackoff({ ...options.timing.backoff, random: options.random });
    this.fetchBucket = createTokenBucket({ ...options.timing.fetchRateLimit, clock: options.clock });
  }

  /** The datacenter watched. */
  get datacenter(): string {
    return this.options.datacenter;
  }

  /** True once every bridged service has been read once. */
  get synced(): boolean {
    return this.syncedFlag;
  }

  /** True when some read failed before the initial sync completed. */
  get failedBeforeInitialSync(): boolean {
    return this.failedBeforeSync;
  }

  /** Services bridged now. */
  get serviceCount(): number {
    return this.bridged.size;
  }

  /** Runs both loops until `signal` aborts; resolves when they and every read in flight have stopped. */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const { client, datacenter, stale, timing, clock } = this.options;
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
      fetch: (p) =>
        client.catalogServices({ datacenter, stale, index: p.index, waitMs: p.waitMs, timeoutMs: p.timeoutMs, signal: p.signal }),
      onChange: (body, change) => this.onCatalog(body, change.index, change.reset),
      onUnchanged: (change) => this.onCatalogIndex(change.index, change.reset),
      onOutcome: (outcome) => this.onLoopOutcome("catalog-services", outcome),
    });
    const checks = runBlockingQuery<CheckFeedAnswer | undefined>({
      ...common,
      // The feed is read from its bytes (see CheckFeedTracker): at 100,000 checks an answer is ~30 MB,
      // and JSON.parse would build every check only for change detection to drop it. A body that is
      // not JSON fails the request, as a JSON.parse failure would.
      fetch: async (p) => {
        const response = await client.healthStateBytes("any", {
          datacenter,
          stale,
          index: p.index,
          waitMs: p.waitMs,
          timeoutMs: p.timeoutMs,
          signal: p.signal,
        });
        try {
          return { ...response, body: this.feed.read(response.body, response.index) };
        } catch (error) {
          if (error instanceof FeedSyntaxError) throw new ConsulError("bad-response", `/v1/health/state/any is not JSON: ${error.message}`);
          throw error;
        }
      },
      onChange: (body, change) => this.onCheckFeed(body, change.index),
      onOutcome: (outcome) => this.onLoopOutcome("health-state", outcome),
      // The comparison with the stored rows is the change detector here; serialising tens of
      // megabytes of checks only to compare them would double the cost.
      contentKey: false,
    });
    await Promise.all([catalog, checks]);
    while (this.workers > 0) await clock.sleep(5);
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
    if (!this.syncedFlag) this.failedBeforeSync = true;
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

  private wanted(body: unknown): Map<string, readonly string[]> | undefined {
    if (!isObject(body)) return undefined;
    const { prefix, tag } = this.options;
    const out = new Map<string, readonly string[]>();
    for (const [name, rawTags] of Object.entries(body)) {
      if (!name.startsWith(prefix) || this.options.exclude.has(name)) continue;
      const tags = Array.isArray(rawTags) ? rawTags.filter((t): t is string => typeof t === "string") : [];
      if (tag !== undefined && !tags.includes(tag)) continue;
      out.set(name, tags);
    }
    return out;
  }

  private onCatalog(body: unknown, index: number, reset: boolean): void {
    const wanted = this.wanted(body);
    if (!wanted) {
      this.log.warn("consul answered /v1/catalog/services with something other than an object; ignored");
      return;
    }
    let diff = false;
    for (const name of [...this.bridged.keys()]) {
      if (wanted.has(name)) continue;
      this.forget(name);
      diff = true;
    }
    for (const [name, tags] of wanted) {
      const before = this.bridged.get(name);
      if (before && before.length === tags.length && before.every((t, i) => t === tags[i])) continue;
      this.bridged.set(name, tags);
      this.enqueue(name);
      diff = true;
    }
    const first = !this.catalogReady;
    this.catalogReady = true;
    if (first || diff) this.lastCatalogIndex = index;
    else this.onCatalogIndex(index, reset);
    this.checkSynced();
  }

  /** The catalog index moved but names and tags did not: some instance was added, removed or edited. */
  private onCatalogIndex(index: number, reset: boolean): void {
    if (index === this.lastCatalogIndex) return;
    this.lastCatalogIndex = index;
    // After a reset the check feed reports every service as changed, which re-reads everything.
    if (reset || !this.catalogReady || this.explains(index)) return;
    this.pendingCatalogIndexes.add(index);
    void this.options.clock.sleep(this.options.timing.explainGraceMs, this.signal).then(() => this.settlePending());
  }

  private explains(index: number): boolean {
    return this.checkWriteIndexes.has(index) || this.recentIndexes.has(index);
  }

  private rememberIndex(index: number): void {
    if (!(index > 0)) return;
    this.recentIndexes.add(index);
    if (this.recentIndexes.size > recentIndexCap) {
      const oldest = this.recentIndexes.values().next().value;
      if (oldest !== undefined) this.recentIndexes.delete(oldest);
    }
  }

  private settlePending(): void {
    if (this.signal?.aborted) return;
    let unexplained = 0;
    for (const index of [...this.pendingCatalogIndexes]) {
      this.pendingCatalogIndexes.delete(index);
      if (!this.explains(index)) unexplained += 1;
    }
    if (unexplained > 0) this.requestSweep();
  }

  /**
   * Re-reads every bridged service: the catalog changed in a way neither the names, the tags nor the
   * check feed showed (an instance without checks was added, removed or edited). Rate-limited.
   */
  private requestSweep(): void {
    if (this.sweepScheduled) return;
    const { clock, timing } = this.options;
    const wait = this.lastSweepAt + timing.sweepMinIntervalMs - clock.now();
    const sweep = (): void => {
      this.sweepScheduled = false;
      if (this.signal?.aborted) return;
      this.lastSweepAt = clock.now();
      this.log.debug({ services: this.bridged.size }, "catalog changed without a visible cause; re-reading every bridged service");
      for (const name of this.bridged.keys()) this.enqueue(name);
    };
    this.sweepScheduled = true;
    if (wait <= 0) sweep();
    else void clock.sleep(wait, this.signal).then(sweep);
  }

  private forget(name: string): void {
    this.bridged.delete(name);
    this.readOnce.delete(name);
    this.queued.delete(name);
    this.rerun.delete(name);
    this.required.delete(name);
    if (this.serviceFailures.delete(name)) this.options.events.channel("health-service", this.options.datacenter, undefined, name);
    this.staleAttempts.delete(name);
    this.setNodes(name, new Set());
    this.options.model.removeService(this.options.datacenter, name);
  }

  // ---- change feed: /v1/health/state/any ----

  /** Applies one check-feed answer; returns whether anything changed (the loop's change detector). */
  private onCheckFeed(body: CheckFeedAnswer | undefined, index: number): boolean {
    if (!body) {
      this.log.warn("consul answered /v1/health/state/any with something other than a list; ignored");
      return false;
    }
    const baseline = !this.feed.hasBaseline;
    const diff = this.feed.apply(body);
    if (diff.malformed > 0) this.log.warn({ rows: diff.malformed }, "ignored unreadable rows of /v1/health/state/any");
    const changed = baseline || diff.services.size > 0 || diff.nodes.size > 0;
    this.checkWriteIndexes = diff.writeIndexes;
    // A deletion's index shows only in this answer; keep it for catalog moves that arrive later.
    if (diff.writeIndexes.has(index)) this.rememberIndex(index);
    if (baseline) {
      // Reads start only now, so none can predate the baseline the diffs are taken against.
      this.stateReady = true;
      this.gateOpen = true;
      this.pump();
      this.checkSynced();
      return changed;
    }
    for (const [name, at] of diff.services) if (this.bridged.has(name)) this.enqueue(name, at);
    for (const [node, at] of diff.nodes) for (const name of this.nodeServices.get(node) ?? []) this.enqueue(name, at);
    return changed;
  }

  // ---- reads: /v1/health/service/:name through a bounded queue ----

  private enqueue(name: string, atIndex?: number): void {
    if (atIndex !== undefined && atIndex > 0) this.required.set(name, Math.max(this.required.get(name) ?? 0, atIndex));
    if (this.running.has(name)) this.rerun.add(name);
    else this.queued.add(name);
    this.pump();
  }

  private pump(): void {
    while (this.gateOpen && this.workers < this.options.fetchConcurrency && this.queued.size > 0 && !this.signal?.aborted) {
      const name = this.queued.values().next().value as string;
      this.queued.delete(name);
      this.running.add(name);
      this.workers += 1;
      void this.read(name).finally(() => {
        this.workers -= 1;
        this.running.delete(name);
        if (this.rerun.delete(name) && this.bridged.has(name)) this.queued.add(name);
        this.pump();
      });
    }
  }

  private async read(name: string): Promise<void> {
    const { client, clock, datacenter, stale, tag, timing } = this.options;
    const signal = this.signal;
    await this.fetchBucket.take(signal);
    const pause = this.pausedUntil - clock.now();
    if (pause > 0) await clock.sleep(pause, signal);
    if (signal?.aborted || !this.bridged.has(name)) return;
    const started = clock.now();
    let index: number;
    let body: unknown;
    try {
      const response = await client.healthService(name, {
        datacenter,
        stale,
        ...(tag !== undefined ? { tags: [tag] } : {}),
        timeoutMs: timing.requestTimeoutMs,
        signal,
      });
      index = response.index;
      body = response.body;
      if (!Array.isArray(body)) throw new ConsulError("bad-response", `/v1/health/service/${name} did not answer a list`);
    } catch (reason) {
      if (signal?.aborted) return;
      const error = consulErrorFromReason(reason);
      const now = clock.now();
      let retryInMs: number;
      if (error.code === "bad-request" || error.code === "bad-response") {
        // About this service only (Consul will not answer it better in a moment): retry it alone,
        // later, without holding back the others. It counts as read for the initial sync, since
        // waiting would not help; its last good state (if any) stays in the model.
        let backoff = this.serviceFailures.get(name);
        if (!backoff) this.serviceFailures.set(name, (backoff = createBackoff({ ...timing.backoff, random: this.options.random })));
        retryInMs = backoff.next();
        this.log.error({ service: name, code: error.code, error: error.message }, `cannot read service ${name}; retrying it alone`);
        this.readOnce.add(name);
        void clock.sleep(retryInMs, signal).then(() => {
          if (!signal?.aborted && this.bridged.has(name)) this.enqueue(name);
        });
      } else {
        // Consul or the network is in trouble: pause every read, one backoff step per failing round.
        retryInMs = now >= this.pausedUntil ? this.fetchBackoff.next() : this.pausedUntil - now;
        this.pausedUntil = Math.max(this.pausedUntil, now + retryInMs);
        this.rerun.add(name);
      }
      if (!this.syncedFlag) this.failedBeforeSync = true;
      const scoped = error.code === "bad-request" || error.code === "bad-response";
      this.options.events.channel("health-service", datacenter, error, scoped ? name : undefined);
      this.options.events.request({
        endpoint: "health-service",
        datacenter,
        service: name,
        outcome: "error",
        errorCode: error.code,
        durationMs: clock.now() - started,
        retryInMs,
      });
      this.checkSynced();
      return;
    }
    if (this.serviceFailures.delete(name)) this.options.events.channel("health-service", datacenter, undefined, name);
    this.fetchBackoff.reset();
    this.options.events.channel("health-service", datacenter, undefined);
    if (!this.bridged.has(name)) {
      // Deregistered (or filtered out) while the read was in flight: the answer is already stale.
      this.options.events.request({
        endpoint: "health-service",
        datacenter,
        service: name,
        outcome: "unchanged",
        durationMs: clock.now() - started,
      });
      return;
    }
    const required = this.required.get(name) ?? 0;
    if (stale && index < required) {
      // A stale read from a server that has not applied the change yet: read again shortly.
      const attempts = (this.staleAttempts.get(name) ?? 0) + 1;
      if (attempts <= staleRetries) {
        this.staleAttempts.set(name, attempts);
        this.options.events.request({
          endpoint: "health-service",
          datacenter,
          service: name,
          outcome: "unchanged",
          durationMs: clock.now() - started,
        });
        await clock.sleep(50 * attempts, signal);
        this.rerun.add(name);
        return;
      }
    }
    this.staleAttempts.delete(name);
    this.required.delete(name);
    const changed = this.apply(name, body as unknown[], index);
    this.options.events.request({
      endpoint: "health-service",
      datacenter,
      service: name,
      outcome: changed ? "changed" : "unchanged",
      durationMs: clock.now() - started,
    });
  }

  private apply(name: string, entries: readonly unknown[], index: number): boolean {
    const { datacenter, model } = this.options;
    this.rememberIndex(index);
    const instances: ServiceInstance[] = [];
    const nodes = new Set<string>();
    let otherKinds = 0;
    for (const entry of entries) {
      if (isObject(entry) && isObject(entry.Service)) {
        this.rememberIndex(Number(entry.Service.CreateIndex));
        this.rememberIndex(Number(entry.Service.ModifyIndex));
      }
      const result = instanceFromHealthEntry(entry, datacenter);
      if (result.kind === "instance") {
        instances.push(this.interner.intern(result.instance));
        nodes.add(result.instance.node);
        continue;
      }
      if (result.level === "debug") {
        otherKinds += 1;
        this.log.debug({ service: name, instance: result.instanceId, reason: result.reason }, "skipped instance");
        continue;
      }
      const key = `${name}\u0000${result.instanceId}\u0000${result.reason}`;
      if (!this.warned.has(key)) {
        if (this.warned.size > warnedCap) this.warned.clear();
        this.warned.add(key);
        this.log.warn(
          { service: name, instance: result.instanceId, reason: result.reason },
          `skipped instance ${result.instanceId} of service ${name}: ${result.reason}`,
        );
      }
    }
    this.setNodes(name, nodes);
    this.readOnce.add(name);
    // A name whose every instance is a sidecar or gateway is not a service the bridge routes to.
    const changed =
      entries.length > 0 && otherKinds === entries.length
        ? model.removeService(datacenter, name)
        : model.setService(datacenter, name, instances);
    this.checkSynced();
    return changed;
  }

  private setNodes(name: string, nodes: ReadonlySet<string>): void {
    for (const node of this.serviceNodes.get(name) ?? []) {
      if (nodes.has(node)) continue;
      const set = this.nodeServices.get(node);
      set?.delete(name);
      if (set?.size === 0) this.nodeServices.delete(node);
    }
    for (const node of nodes) {
      let set = this.nodeServices.get(node);
      if (!set) {
        set = new Set();
        this.nodeServices.set(node, set);
      }
      set.add(name);
    }
    if (nodes.size === 0) this.serviceNodes.delete(name);
    else this.serviceNodes.set(name, this.sharedNodeSet(nodes));
  }

  /** One set object per distinct set of nodes: services spread over the same nodes share it. */
  private sharedNodeSet(nodes: ReadonlySet<string>): ReadonlySet<string> {
    const key = [...nodes].sort().join("\u0000");
    const shared = this.nodeSets.get(key);
    if (shared) return shared;
    if (this.nodeSets.size >= 10_000) this.nodeSets.clear();
    this.nodeSets.set(key, nodes);
    return nodes;
  }

  private checkSynced(): void {
    if (this.syncedFlag || !this.catalogReady || !this.stateReady) return;
    for (const name of this.bridged.keys()) if (!this.readOnce.has(name)) return;
    this.syncedFlag = true;
    this.log.info({ services: this.bridged.size }, "consul datacenter synced");
    this.options.events.synced(this.options.datacenter);
  }
}
