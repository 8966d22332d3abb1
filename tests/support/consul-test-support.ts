// Helpers shared by the Consul and embedded-catalog tests: servers on port 0 that close themselves,
// event-driven waits (no sleeps), a virtual clock, and short watcher timings.

import { Writable } from "node:stream";
import type { TestContext } from "node:test";
import { type Logger, pino } from "pino";
import type { Clock } from "../../src/consul/clock.js";
import { type ConsulClientOptions, createConsulClient } from "../../src/consul/consul-client.js";
import { type ConsulWatcher, type ConsulWatcherOptions, createConsulWatcher } from "../../src/consul/consul-watcher.js";
import type { WatchTiming } from "../../src/consul/watch-timing.js";
import type { ConsulRequestEvent } from "../../src/consul/watcher-status.js";
import { createEmbeddedConsul, type EmbeddedConsul, type EmbeddedConsulOptions } from "../../src/embedded-consul/index.js";
import { ServiceModel } from "../../src/model/service-model.js";

/** Starts an embedded catalog on port 0, closed when the test ends. */
export async function useEmbeddedConsul(t: TestContext, options: EmbeddedConsulOptions = {}): Promise<EmbeddedConsul> {
  const consul = await createEmbeddedConsul({ nodeName: "agent-1", ...options });
  t.after(() => consul.close());
  return consul;
}

/** A response with its text and headers. */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
  json<T = unknown>(): T;
}

/** One HTTP request (fetch with the connection closed afterwards, so connection counts stay exact). */
export async function http(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { connection: "close", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers, json: <T>() => JSON.parse(text) as T };
}

/** Watcher timings for tests: short waits and backoffs, generous rate limits. */
export const fastTiming: WatchTiming = {
  waitMs: 10_000,
  timeoutMarginMs: 1_000,
  requestTimeoutMs: 2_000,
  rateLimit: { ratePerSecond: 200, burst: 5 },
  listingRateLimit: { ratePerSecond: 200, burst: 5 },
  fetchRateLimit: { ratePerSecond: 50_000, burst: 1_000 },
  backoff: { baseMs: 20, maxMs: 200 },
  explainGraceMs: 50,
  sweepMinIntervalMs: 100,
};

/** A logger whose lines are kept for assertions; `onLine` fires as lines arrive (they may arrive a tick late). */
export function captureLogger(level = "debug"): { logger: Logger; lines: () => string[]; onLine: Subscribe } {
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((l) => l !== ""),
      );
      for (const listener of [...listeners]) listener();
      callback();
    },
  });
  const onLine: Subscribe = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { logger: pino({ level }, stream), lines: () => lines, onLine };
}

/** A subscription: calls the listener on each event, returns an unsubscribe function. */
export type Subscribe = (listener: () => void) => () => void;

/** A watcher with its model, client and request log; everything is closed when the test ends. */
export interface WatcherHarness {
  readonly watcher: ConsulWatcher;
  readonly model: ServiceModel;
  /** Every request the watcher reported through `hooks.onRequest`. */
  readonly requests: ConsulRequestEvent[];
  /** Every error class the watcher moved to (`hooks.onErrorClassChange`), null for "no error". */
  readonly errorClasses: Array<string | null>;
  /** Fires on model changes, status changes and requests: what `until` waits on. */
  readonly events: Subscribe;
}

/** Creates and starts a watcher on `consul` with test timings. */
export function useWatcher(
  t: TestContext,
  consul: { readonly url: string },
  options: Partial<ConsulWatcherOptions> & { readonly clientOptions?: Partial<ConsulClientOptions>; readonly start?: boolean } = {},
): WatcherHarness {
  const { clientOptions, start, ...watcherOptions } = options;
  const client = createConsulClient({ address: consul.url, ...clientOptions });
  const model = watcherOptions.model ?? new ServiceModel({ localDatacenter: "" });
  const requests: ConsulRequestEvent[] = [];
  const errorClasses: Array<string | null> = [];
  const listeners = new Set<() => void>();
  const emit = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const watcher = createConsulWatcher({
    timing: fastTiming,
    ...watcherOptions,
    client,
    model,
    hooks: {
      ...watcherOptions.hooks,
      onRequest: (event) => {
        requests.push(event);
        watcherOptions.hooks?.onRequest?.(event);
        emit();
      },
      onErrorClassChange: (previous, next) => {
        errorClasses.push(next);
        watcherOptions.hooks?.onErrorClassChange?.(previous, next);
      },
    },
  });
  const unsubscribeModel = model.onChange(emit);
  const unsubscribeStatus = watcher.onStatusChange(emit);
  t.after(async () => {
    unsubscribeModel();
    unsubscribeStatus();
    await watcher.close();
    client.close();
  });
  if (start !== false) watcher.start();
  const events: Subscribe = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { watcher, model, requests, errorClasses, events };
}

/**
 * Resolves once `predicate` holds, re-checking it on every event of `events`; rejects after
 * `timeoutMs` as a failure guard (never used to synchronise).
 */
export function until(
  predicate: () => boolean,
  events: Subscribe | readonly Subscribe[],
  what = "condition",
  timeoutMs = 5_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanups: Array<() => void> = [];
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      for (const cleanup of cleanups) cleanup();
      if (error) reject(error);
      else resolve();
    };
    const check = (): void => {
      try {
        if (predicate()) finish();
      } catch (error) {
        finish(error as Error);
      }
    };
    for (const subscribe of Array.isArray(events) ? events : [events as Subscribe]) cleanups.push(subscribe(check));
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    cleanups.push(() => clearTimeout(timer));
    check();
  });
}

/** A clock whose time moves only when something sleeps: loops run at full speed, delays are recorded. */
export function virtualClock(): Clock & { readonly sleeps: number[]; elapsed(): number } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    elapsed: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      now += Math.max(0, ms);
      return new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        setImmediate(resolve);
      });
    },
  };
}

/** The instances of `name` in `dc`, or undefined when the model has no such service. */
export function instancesOf(model: ServiceModel, name: string, dc = "dc1") {
  return model.view().services.get(name)?.get(dc)?.instances;
}
