/*
 * How the bridge watches Consul
 * =============================
 *
 * Goal: an exact, live, health-aware copy of every bridged service, at a cost to Consul that follows
 * the change, not the catalog, within its `http_max_conns_per_client` (default 200; 429 beyond).
 * One blocking query per service would hold one HTTP/1.1 socket each, so per datacenter:
 *
 *   1. Discovery — one blocking query on /v1/catalog/services (names + tags). Its index moves on
 *      registrations, deregistrations and service edits, never on check changes. Names that appear
 *      (and pass the prefix/tag filters) are queued for a read; names that vanish leave the model;
 *      a tag change queues a read.
 *
 *   2. Change feed — one blocking query on /v1/health/state/any?filter=Status != "passing" (the checks
 *      that are not passing; CheckFeedLoop). Its index moves on every check write, but its answer holds
 *      only what is unhealthy: a check entering it, changing in it or leaving it (a recovery) queues its
 *      service, a node check (serfHealth, node maintenance) every service on that node. Content, not the
 *      index, decides, so a timeout, an index reset or a 0 index queues only what really differs (a
 *      reset re-reads everything). A Consul older than 1.4.1 ignores ?filter=: the first passing row
 *      shows it, and the feed then takes every check, as before the filter.
 *
 *   3. Reads — the queued services are read with a plain (non-blocking) /v1/health/service/:name,
 *      never `?passing` (warning instances and Weights.Warning must stay visible), through a queue of
 *      at most `fetchConcurrency` reads in flight, deduplicated, rate-limited, paused with jittered
 *      backoff on errors (ServiceReadQueue). Each answer replaces the service in the model, which
 *      ignores equal content.
 *
 *   4. The gap — what neither answer shows: a registration whose check starts passing, the removal of
 *      a passing instance (the filtered feed holds neither), and an instance without checks added,
 *      removed or edited. Every catalog index move is matched against the raft indexes the feed and the
 *      reads have shown (CatalogGap). One nothing explains asks for a listing of every service check
 *      (MembershipListing: unfiltered by status, node checks left out), compared with the checked
 *      instances each service's last read showed (MembershipFingerprints); services that differ are
 *      read, and their reads explain the move. A move still unexplained after `explainGraceMs` (a
 *      check-less instance) re-reads every bridged service, at most once per `sweepMinIntervalMs`.
 *
 * Cost per change, measured by `npm run bench` (10,000 services × 10 instances, scenario 6, the
 * catalog counting the bytes it serves): watching every check made each flap re-send all of them,
 * 28.2 MB per flap at 100,000 checks. The filtered feed sends what is unhealthy (0.3–0.6 KB for one
 * flap) plus the service read (7.4 KB): 7.7 KB per flap (docs/performance.md). A listing still
 * costs about what one answer of the old feed did (~28 MB at 100,000 checks), but only for
 * membership changes the feed cannot show, coalesced, at most `listingRateLimit` per second. Consul
 * still evaluates the filter on every check for each answer: its CPU per change stays proportional
 * to the catalog, though far below encoding every check as before. Levers weighed and not taken:
 *   - `?filter=ModifyIndex == N` to find what one raft index wrote: Consul's structs tag RaftIndex
 *     `bexpr:"-"`, so Consul refuses any filter on CreateIndex/ModifyIndex (the embedded catalog now
 *     refuses it too);
 *   - per-service blocking queries for services that change often: they make no change cheaper to
 *     find (the feed already names the service) and each holds a socket for the whole wait;
 *   - HTTP/2 multiplexing: Consul speaks it only on its HTTPS listener, and the `consul` client
 *     (papi on node:http) speaks HTTP/1.1; it would allow a blocking query per service over a few
 *     connections (Go serves 250 streams each), at the price of 10,000 parked queries in Consul.
 *
 * Sockets: 2 blocking queries per datacenter + `fetchConcurrency` short reads (+ a listing now and
 * then), all through the client's keep-alive agent capped at `maxSockets` (default 16).
 *
 * Memory: with the filter, the feed's answers and rows are as small as the unhealthy set, so the feed
 * is not streamed; a listing is held whole while it is scanned (its bytes, never JSON.parse'd).
 *
 * Initial sync: reads start only after the first change-feed answer (the baseline its diffs are taken
 * against), so no change can fall between a read and the baseline. A datacenter is synced when the
 * catalog has been listed and each bridged service read once; the model is marked synced when the local
 * datacenter is, and each failover datacenter is synced or has failed (a dead failover datacenter must
 * not keep the bridge from serving its own).
 *
 * Errors never touch the model: the last good state of each service stays until Consul says otherwise.
 * Each read classifies its failures (ConsulError codes) and retries with jittered exponential backoff;
 * the status exposes the current error and the staleness. What counts as a failure is broad on
 * purpose: an answer cut mid-body (cut-answer-guard.ts), an answer of the wrong shape (`{}` or `null`
 * for a list), and a service answer whose entries are all unreadable (Consul never stores those, so
 * the answer is broken, not the service gone). An unreadable entry among readable ones keeps the last
 * good record of its instance (ServiceEntryReader); only `[]` empties a service.
 */
import { setMaxListeners } from "node:events";
import { type Logger, pino } from "pino";
import type { CatalogSource, CatalogSourceFatal } from "../model/catalog-source.js";
import type { ModelWriter } from "../model/model-writer.js";
import type { ServiceModel } from "../model/service-model.js";
import { createBackoff } from "./backoff.js";
import { type Clock, systemClock } from "./clock.js";
import type { ConsulClient } from "./consul-client.js";
import { ConsulError, type ConsulErrorCode, consulErrorFromReason } from "./consul-error.js";
import { DatacenterWatch } from "./datacenter-watch.js";
import { FailureLog } from "./failure-log.js";
import type { AddressRule } from "./health-entry.js";
import { knownDatacentersWithout } from "./unknown-datacenter.js";
import { defaultWatchTiming, type WatchTiming } from "./watch-timing.js";
import type { ConsulWatcherHooks, ConsulWatcherStatus, WatchEndpoint, WatchError } from "./watcher-status.js";

/** Options of {@link createConsulWatcher}. */
export interface ConsulWatcherOptions {
  /** The client to read through; its socket cap bounds the watcher's connections. The caller closes it. */
  readonly client: ConsulClient;
  /** The model the watcher fills (and marks synced). */
  readonly model: ServiceModel;
  /** Where instances are written (`setService`/`removeService` per datacenter); default the model itself. */
  readonly writer?: ModelWriter | undefined;
  /** The local datacenter (`--datacenter`); default the agent's, from `/v1/agent/self`. */
  readonly datacenter?: string | undefined;
  /** Datacenters watched the same way, whose instances are failover targets; default the model's list. */
  readonly failoverDatacenters?: readonly string[] | undefined;
  /** Bridge only services whose names start with this (`--prefix`). */
  readonly prefix?: string | undefined;
  /**
   * Services never bridged (default: `consul`, Consul's own server service, whose port is Consul's
   * RPC port and not something to route HTTP or gRPC to).
   */
  readonly exclude?: readonly string[] | undefined;
  /** Bridge only services with an instance carrying this tag, and only those instances. */
  readonly tag?: string | undefined;
  /**
   * Which address instances of failover datacenters are reached at (`--remote-dc-address`):
   * `wan` (default, what Consul's own Envoy integration does: Service `TaggedAddresses.wan`, else
   * Service.Address, else Node `TaggedAddresses.wan`, else Node.Address) or `lan` (the local rule:
   * Service.Address, else Node.Address). The local datacenter always uses the LAN rule.
   */
  readonly remoteDatacenterAddress?: AddressRule | undefined;
  /** `?stale` reads: any Consul server answers, lighter on the leader, may lag by a few ms. */
  readonly stale?: boolean | undefined;
  /** Service reads in flight per datacenter; default min(8, its share of the client's socket cap). */
  readonly fetchConcurrency?: number | undefined;
  /** Timings and limits; each missing field takes its default (see {@link defaultWatchTiming}). */
  readonly timing?: Partial<WatchTiming> | undefined;
  /** Default: the system clock. */
  readonly clock?: Clock | undefined;
  /** Jitter source; default Math.random. */
  readonly random?: (() => number) | undefined;
  /** Default: silent. */
  readonly logger?: Logger | undefined;
  /** Metrics and status callbacks. */
  readonly hooks?: ConsulWatcherHooks | undefined;
  /** Stops the watcher when aborted (as {@link ConsulWatcher.close} does). */
  readonly signal?: AbortSignal | undefined;
}

/** A running watch of Consul feeding a ServiceModel: the Consul implementation of a CatalogSource. */
export interface ConsulWatcher extends CatalogSource {
  /** Live status (getters: read it when needed, do not keep copies). */
  readonly status: ConsulWatcherStatus;
  /** Stops every loop and waits for reads in flight to end. The model keeps its content. */
  close(): Promise<void>;
  /** Calls `listener` after any change of `synced` or of the failing reads; returns an unsubscribe function. */
  onStatusChange(listener: (status: ConsulWatcherStatus) => void): () => void;
}

const blockingPerDatacenter = 2;

/**
 * Creates a watcher that keeps `model` equal to Consul's bridged services (see the design notes at
 * the top of this file). Call `start()`; wait for `model.whenSynced()`; `close()` to stop.
 */
export function createConsulWatcher(options: ConsulWatcherOptions): ConsulWatcher {
  const { client, model } = options;
  const timing: WatchTiming = { ...defaultWatchTiming, ...options.timing };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? pino({ level: "silent" });
  const hooks = options.hooks ?? {};
  const prefix = options.prefix ?? "";
  const failoverOption = options.failoverDatacenters;
  const plannedDatacenters = 1 + (failoverOption ?? model.view().failoverDatacenters).length;
  if (client.maxSockets < plannedDatacenters * (blockingPerDatacenter + 1)) {
    throw new Error(
      `the Consul client's socket cap (${client.maxSockets}) is too small for ${plannedDatacenters} datacenter(s): ` +
        `each needs ${blockingPerDatacenter} blocking queries and at least 1 read`,
    );
  }

  const failing = new Map<string, WatchError>();
  const listeners = new Set<(status: ConsulWatcherStatus) => void>();
  const watches: DatacenterWatch[] = [];
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;
  let localDatacenter = options.datacenter;
  let synced = false;
  let lastGoodAt = clock.now();
  let currentCode: ConsulErrorCode | null = null;
  let fatal: CatalogSourceFatal | null = null;
  let checkingDatacenter = false;
  const failures = new FailureLog({ address: client.address, logger, clock, hasData: () => synced });

  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      logger.error({ err: error }, "consul watcher hook threw");
    }
  };

  function currentError(): WatchError | null {
    let latest: WatchError | null = null;
    for (const error of failing.values()) if (!latest || error.since >= latest.since) latest = error;
    return latest;
  }

  const status: ConsulWatcherStatus = {
    get synced() {
      return synced;
    },
    get localDatacenter() {
      return localDatacenter;
    },
    get error() {
      return currentError();
    },
    get errors() {
      return [...failing.values()];
    },
    get services() {
      return new Map(watches.map((w) => [w.datacenter, w.serviceCount]));
    },
    get fatal() {
      return fatal;
    },
    stalenessSeconds() {
      if (!synced) return Number.POSITIVE_INFINITY;
      if (failing.size === 0) return 0;
      return Math.max(0, clock.now() - lastGoodAt) / 1000;
    },
  };

  function notify(): void {
    const code = currentError()?.code ?? null;
    if (code !== currentCode) {
      const previous = currentCode;
      currentCode = code;
      safely(() => hooks.onErrorClassChange?.(previous, code));
    }
    for (const listener of [...listeners]) safely(() => listener(status));
  }

  function channel(endpoint: WatchEndpoint, datacenter: string, error: ConsulError | undefined, service?: string): void {
    const key = `${datacenter}\u0000${endpoint}\u0000${service ?? ""}`;
    const before = failing.get(key);
    if (!error) {
      if (failing.size === 0) lastGoodAt = clock.now();
      if (!before) return;
      failing.delete(key);
      if (failing.size === 0) {
        lastGoodAt = clock.now();
        failures.recovered();
      }
      logger.info({ endpoint, datacenter, service }, "consul read recovered");
      notify();
      return;
    }
    if (error.code === "unknown-datacenter" && datacenter === options.datacenter && !synced) void checkDatacenter(datacenter);
    if (before && before.code === error.code && before.message === error.message) return;
    failing.set(key, {
      code: error.code,
      message: error.message,
      endpoint,
      datacenter,
      ...(service !== undefined ? { service } : {}),
      since: before?.since ?? clock.now(),
    });
    checkSynced();
    notify();
  }

  /** `--datacenter` answered "No path to datacenter": stop for good if Consul has never heard of it. */
  async function checkDatacenter(datacenter: string): Promise<void> {
    const signal = controller?.signal;
    if (checkingDatacenter || fatal || !signal || signal.aborted) return;
    checkingDatacenter = true;
    const known = await knownDatacentersWithout(client, datacenter, { timeoutMs: timing.requestTimeoutMs, signal });
    checkingDatacenter = false;
    if (!known || signal.aborted) return;
    const list = known.length > 0 ? known.join(", ") : "none";
    fatal = { message: `Consul at ${client.address} does not know datacenter "${datacenter}" (--datacenter); it knows: ${list}` };
    controller?.abort();
    notify();
  }

  function checkSynced(): void {
    if (synced) return;
    const [local, ...failovers] = watches;
    if (!local?.synced) return;
    if (!failovers.every((w) => w.synced || w.failedBeforeInitialSync)) return;
    synced = true;
    lastGoodAt = clock.now();
    model.markSynced();
    logger.info({ datacenters: watches.filter((w) => w.synced).map((w) => w.datacenter) }, "consul watcher synced");
    safely(() => hooks.onSynced?.());
    notify();
  }

  async function resolveLocalDatacenter(signal: AbortSignal): Promise<string | undefined> {
    if (options.datacenter) return options.datacenter;
    const backoff = createBackoff({ ...timing.backoff, random });
    while (!signal.aborted) {
      const started = clock.now();
      try {
        const response = await client.agentSelf({ timeoutMs: timing.requestTimeoutMs, signal });
        const config = (response.body as { Config?: { Datacenter?: unknown } } | null)?.Config;
        if (typeof config?.Datacenter !== "string" || config.Datacenter === "") {
          throw new ConsulError("bad-response", "/v1/agent/self has no Config.Datacenter");
        }
        channel("agent-self", "", undefined);
        safely(() => hooks.onRequest?.({ endpoint: "agent-self", datacenter: "", outcome: "changed", durationMs: clock.now() - started }));
        return config.Datacenter;
      } catch (reason) {
        if (signal.aborted) return undefined;
        const error = consulErrorFromReason(reason);
        const retryInMs = backoff.next();
        failures.failed({ endpoint: "agent-self", datacenter: "", error, retryInMs });
        channel("agent-self", "", error);
        safely(() =>
          hooks.onRequest?.({
            endpoint: "agent-self",
            datacenter: "",
            outcome: "error",
            errorCode: error.code,
            durationMs: clock.now() - started,
            retryInMs,
          }),
        );
        await clock.sleep(retryInMs, signal);
      }
    }
    return undefined;
  }

  async function run(signal: AbortSignal): Promise<void> {
    const local = await resolveLocalDatacenter(signal);
    if (!local || signal.aborted) return;
    localDatacenter = local;
    model.setLocalDatacenter(local);
    const failovers = [...new Set(failoverOption ?? model.view().failoverDatacenters)].filter((dc) => dc !== local);
    const datacenters = [local, ...failovers];
    const share = Math.floor((client.maxSockets - blockingPerDatacenter * datacenters.length) / datacenters.length);
    const fetchConcurrency = options.fetchConcurrency ?? Math.max(1, Math.min(8, share));
    logger.info({ datacenters, maxSockets: client.maxSockets, fetchConcurrency, prefix, tag: options.tag }, "consul watcher starting");
    const filter = { prefix, exclude: new Set(options.exclude ?? ["consul"]), tag: options.tag };
    for (const datacenter of datacenters) {
      watches.push(
        new DatacenterWatch({
          client,
          model: options.writer ?? model,
          datacenter,
          filter,
          addressRule: datacenter === local ? "lan" : (options.remoteDatacenterAddress ?? "wan"),
          stale: options.stale ?? false,
          fetchConcurrency,
          timing,
          clock,
          random,
          logger,
          events: {
            request: (event) => safely(() => hooks.onRequest?.(event)),
            channel,
            synced: () => checkSynced(),
            failure: (read) => failures.failed(read),
          },
          signal,
        }),
      );
    }
    notify();
    await Promise.all(watches.map((w) => w.run()));
  }

  return {
    model,
    status,
    start() {
      if (controller) return;
      controller = new AbortController();
      const own = controller;
      // Every read and wait in flight listens to this one signal (two loops and the reads of each datacenter).
      setMaxListeners(1_000, own.signal);
      if (options.signal) {
        if (options.signal.aborted) own.abort();
        else options.signal.addEventListener("abort", () => own.abort(), { once: true });
      }
      running = run(own.signal).catch((error: unknown) => {
        logger.error({ err: error }, "consul watcher stopped on an unexpected error");
      });
    },
    async close() {
      controller?.abort();
      await running;
    },
    onStatusChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
