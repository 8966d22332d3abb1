import { setMaxListeners } from "node:events";
import { type Logger, pino } from "pino";
import { type ConfigEntry, type ConfigEntryKind, configEntryKinds } from "../model/config-entry.js";
import type { ConfigEntryStore } from "../model/config-entry-store.js";
import { type BlockingOutcome, runBlockingQuery } from "./blocking-query.js";
import { type Clock, systemClock } from "./clock.js";
import type { ConsulClient } from "./consul-client.js";
import type { ConsulError } from "./consul-error.js";
import { decodeConfigEntry } from "./decode-config-entry.js";
import type { ConsulRequestEvent } from "./watcher-status.js";

/** Whether traffic policy from config entries is in force. */
export type ConfigEntriesState = "starting" | "on" | "off";

/** A live view of the config-entry watch, for status, readiness and metrics. */
export interface ConfigEntryWatchStatus {
  /** The datacenter read (undefined: the agent's own). */
  readonly datacenter: string | undefined;
  /** `off` after a 403 or 404: plain routing for every service until a later probe succeeds. */
  readonly state: ConfigEntriesState;
  /** Why the feature is off (Consul's answer), when it is. */
  readonly reason: string | undefined;
  /** The current read error of some kind (the last good entries stay meanwhile), or undefined. */
  readonly error: ConsulError | undefined;
  /** Entries held now. */
  readonly entries: number;
}

/** Timings of the watch; every field has a default. */
export interface ConfigEntryWatchTiming {
  readonly waitMs: number;
  readonly timeoutMarginMs: number;
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** After a 403/404, how long until the endpoints are tried again (a token or Consul may change). */
  readonly probeIntervalMs: number;
  /**
   * Publishing waits until every kind has answered once; when some kind still has not this long
   * after the start (checked whenever a read answers or fails), it opens without that kind's
   * entries, with a warning, so a read failing for good does not hold back plain routing forever.
   */
  readonly initialSyncGraceMs: number;
}

/** Options of {@link createConfigEntryWatch}. */
export interface ConfigEntryWatchOptions {
  /** Five blocking queries run through it at once: give it a socket cap of at least 5 (its own client is simplest). */
  readonly client: ConsulClient;
  readonly store: ConfigEntryStore;
  /** `?dc=`; default the agent's datacenter (the local one, whose entries Consul itself compiles chains from). */
  readonly datacenter?: string | undefined;
  readonly stale?: boolean | undefined;
  readonly timing?: Partial<ConfigEntryWatchTiming> | undefined;
  readonly clock?: Clock | undefined;
  readonly random?: (() => number) | undefined;
  /** Default: silent. */
  readonly logger?: Logger | undefined;
  /** After every request (endpoint `config-entries`), for metrics. */
  readonly onRequest?: ((event: ConsulRequestEvent) => void) | undefined;
  /** When `state` changes. */
  readonly onStateChange?: ((status: ConfigEntryWatchStatus) => void) | undefined;
}

/** A running watch of Consul's config entries feeding a {@link ConfigEntryStore}. */
export interface ConfigEntryWatch {
  readonly status: ConfigEntryWatchStatus;
  start(): void;
  /** Stops every loop; the store keeps its entries. */
  close(): Promise<void>;
}

/** Defaults: the catalog loops' wait, rate and backoff; a probe every 5 minutes while off; 30 s for the first read of every kind. */
export const defaultConfigEntryWatchTiming: ConfigEntryWatchTiming = {
  waitMs: 5 * 60_000,
  timeoutMarginMs: 10_000,
  rateLimit: { ratePerSecond: 10, burst: 5 },
  backoff: { baseMs: 1_000, maxMs: 60_000 },
  probeIntervalMs: 5 * 60_000,
  initialSyncGraceMs: 30_000,
};

const warnedCap = 10_000;

/**
 * Watches `/v1/config/:kind` for the five kinds the discovery chain reads — one blocking query each,
 * never one per service — with the catalog loops' index, backoff and rate rules, and replaces the
 * store's entries of a kind with each changed answer. Entries are decoded tolerantly: unknown fields
 * get a debug line, an entry that cannot be used (no name, not an object) is skipped with a warning
 * naming it. A 403 (the token may not read config entries) or a 404 (a Consul without them) turns the
 * feature off with one warning: the store is emptied, so every service gets plain routing, and the
 * endpoints are probed again every `probeIntervalMs`. Other errors keep the last good entries, and
 * before the first read they hold publishing back (the store is synced once every kind answered)
 * until `initialSyncGraceMs` has passed.
 */
export function createConfigEntryWatch(options: ConfigEntryWatchOptions): ConfigEntryWatch {
  const { client, store } = options;
  const timing = { ...defaultConfigEntryWatchTiming, ...options.timing };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = (options.logger ?? pino({ level: "silent" })).child({ component: "config-entries" });
  const datacenter = options.datacenter;
  const dcLabel = datacenter ?? "";
  const warned = new Set<string>();
  const errors = new Map<ConfigEntryKind, ConsulError>();
  let state: ConfigEntriesState = "starting";
  let reason: string | undefined;
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;
  let startedAt = 0;
  const answered = new Set<ConfigEntryKind>();

  const status: ConfigEntryWatchStatus = {
    datacenter,
    get state() {
      return state;
    },
    get reason() {
      return reason;
    },
    get error() {
      return errors.values().next().value;
    },
    get entries() {
      return store.view().entries.size;
    },
  };

  function setState(next: ConfigEntriesState, why?: string): void {
    if (next === state && why === reason) return;
    state = next;
    reason = why;
    try {
      options.onStateChange?.(status);
    } catch (error) {
      logger.error({ err: error }, "config-entry state hook threw");
    }
  }

  function warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (warned.has(key)) return;
    if (warned.size > warnedCap) warned.clear();
    warned.add(key);
    logger.warn(fields, message);
  }

  function onAnswer(kind: ConfigEntryKind, body: unknown, index: number): void {
    if (!Array.isArray(body)) {
      warnOnce(`${kind}\u0000not-a-list`, { kind }, `consul answered /v1/config/${kind} with something other than a list; ignored`);
      return;
    }
    const entries: ConfigEntry[] = [];
    for (const raw of body) {
      const decoded = decodeConfigEntry(raw, kind);
      if (!decoded.ok) {
        const name = decoded.name ?? "(unnamed)";
        warnOnce(
          `${kind}\u0000${name}\u0000${decoded.reason}`,
          { kind, entry: name, reason: decoded.reason },
          `skipped config entry ${kind}/${name}: ${decoded.reason}`,
        );
        continue;
      }
      const { entry, notes } = decoded;
      if (notes.unknown.length > 0) logger.debug({ kind, entry: entry.name, fields: notes.unknown }, "ignored unknown config-entry fields");
      for (const problem of notes.invalid) {
        warnOnce(
          `${kind}\u0000${entry.name}\u0000${entry.modifyIndex}\u0000${problem}`,
          { kind, entry: entry.name },
          `config entry ${kind}/${entry.name}: ${problem}`,
        );
      }
      entries.push(entry);
    }
    const changed = store.replaceKind(kind, entries, { datacenter: dcLabel, origin: { index, at: Date.now() } });
    answered.add(kind);
    if (changed.size > 0) logger.info({ kind, changed: [...changed] }, "config entries changed");
  }

  function isUnavailable(error: ConsulError): boolean {
    return error.code === "acl-denied" || error.status === 404;
  }

  /** Once the grace has passed, publishing opens even if some kind has never answered (a transient error never does it). */
  function openAfterGrace(): void {
    if (store.synced || clock.now() - startedAt < timing.initialSyncGraceMs) return;
    const missing = configEntryKinds.filter((kind) => !answered.has(kind));
    if (missing.length === 0) return;
    logger.warn(
      { kinds: missing, errors: missing.map((kind) => errors.get(kind)?.message ?? "no answer yet") },
      `config entries of ${missing.join(", ")} not read ${Math.round(timing.initialSyncGraceMs / 1000)} s after the start; publishing without them until they are`,
    );
    store.markSynced();
  }

  async function runLoops(signal: AbortSignal): Promise<ConsulError | undefined> {
    const local = new AbortController();
    // Five loops each park a request, a sleep or a token wait on this signal at once.
    setMaxListeners(64, local.signal);
    const stop = (): void => local.abort();
    signal.addEventListener("abort", stop, { once: true });
    let unavailable: ConsulError | undefined;
    const onOutcome = (kind: ConfigEntryKind, outcome: BlockingOutcome): void => {
      options.onRequest?.({
        endpoint: "config-entries",
        datacenter: dcLabel,
        outcome: outcome.ok ? (outcome.changed ? "changed" : "unchanged") : "error",
        durationMs: outcome.durationMs,
        ...(outcome.ok ? {} : { errorCode: outcome.error.code, retryInMs: outcome.retryInMs }),
      });
      if (outcome.ok) {
        if (errors.delete(kind)) logger.info({ kind }, "config-entry read recovered");
        if (state !== "on" && !local.signal.aborted) setState("on");
        openAfterGrace();
        return;
      }
      if (isUnavailable(outcome.error)) {
        unavailable ??= outcome.error;
        local.abort();
        return;
      }
      if (!errors.has(kind))
        logger.warn(
          { kind, code: outcome.error.code, error: outcome.error.message },
          "config-entry read failing; keeping the last good entries",
        );
      errors.set(kind, outcome.error);
      openAfterGrace();
    };
    await Promise.all(
      configEntryKinds.map((kind) =>
        runBlockingQuery({
          fetch: (p) =>
            client.configEntries(kind, {
              datacenter,
              stale: options.stale ?? false,
              index: p.index,
              waitMs: p.waitMs,
              timeoutMs: p.timeoutMs,
              signal: p.signal,
            }),
          onChange: (body, change) => onAnswer(kind, body, change.index),
          onOutcome: (outcome) => onOutcome(kind, outcome),
          onCallbackError: (error) => logger.error({ err: error, kind }, "config-entry handler failed"),
          waitMs: timing.waitMs,
          timeoutMarginMs: timing.timeoutMarginMs,
          rateLimit: timing.rateLimit,
          backoff: { ...timing.backoff, random },
          clock,
          signal: local.signal,
        }),
      ),
    );
    signal.removeEventListener("abort", stop);
    return unavailable;
  }

  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const unavailable = await runLoops(signal);
      if (!unavailable || signal.aborted) return;
      errors.clear();
      const why = unavailable.message;
      if (state !== "off") {
        logger.warn(
          { datacenter: dcLabel, code: unavailable.code, error: why },
          `cannot read Consul config entries (${why}): traffic policy from service-router, service-splitter, service-resolver and service-defaults is off; plain routing continues`,
        );
      }
      store.clear();
      store.markSynced();
      setState("off", why);
      await clock.sleep(timing.probeIntervalMs, signal);
    }
  }

  return {
    status,
    start() {
      if (controller) return;
      controller = new AbortController();
      startedAt = clock.now();
      const own = controller;
      running = run(own.signal).catch((error: unknown) =>
        logger.error({ err: error }, "config-entry watch stopped on an unexpected error"),
      );
    },
    async close() {
      controller?.abort();
      await running;
    },
  };
}
