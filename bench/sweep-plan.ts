import type { BenchOptions } from "./bench-options.js";
import type { Summary } from "./stats.js";

/** The three cost curves of issue 13. */
export type Curve = "fanout" | "memory" | "consul";

/** One bench set-up of a sweep, and the curves it is a point of. */
export interface SweepPlanPoint {
  readonly services: number;
  readonly instances: number;
  /** Clients, each with one ADS stream on its own connection. */
  readonly streams: number;
  readonly curves: readonly Curve[];
}

/** What one point measured (memory in MB, times in ms, bytes in B). */
export interface SweepPoint extends SweepPlanPoint {
  readonly endpoints: number;
  readonly setup: {
    readonly seedMs: number;
    readonly bridgeSyncedMs: number;
    readonly initialSyncCpuMs: number;
    readonly initialConnectMs: number;
    /** The whole point, processes started to processes ended. */
    readonly durationMs: number;
  };
  readonly memory: {
    /** Idle readings once every client had synced, no forced GC. */
    readonly rssIdle: Summary;
    readonly heapIdle: Summary;
    /** Readings right after a full GC: what is live. */
    readonly rssAfterGc: Summary;
    readonly heapAfterGc: Summary;
    /** The largest RSS since the bridge started (initial sync included). */
    readonly peakRss: number;
  };
  /** The hot service's flaps (fan-out and Consul points). */
  readonly flaps?: {
    /** Consul's answer → each client, all streams × runs pooled. */
    readonly answerToClient: Summary;
    /** Per run, the p99 over the streams. */
    readonly perRunP99: Summary;
    readonly answerToPublish: Summary;
    /** Bridge CPU from Consul's answer to the last ACK, per run. */
    readonly cpuMs: Summary;
    readonly missing: number;
    /** Bytes the catalog served per flap, in all and by endpoint. */
    readonly consulBytes: Summary;
    readonly consulBytesByEndpoint: Readonly<Record<string, Summary>>;
  };
  /** The raw HTTP/2 baseline (fan-out points): the same bytes to the same streams, and the ratio run by run. */
  readonly raw?: { readonly cpuMs: Summary; readonly ratio: Summary };
  /** Consul points: the whole unfiltered check feed's body at this size (what each flap cost before the filtered feed). */
  readonly unfilteredFeedBytes?: number;
}

/**
 * The set-ups a sweep needs: the fan-out curve at the run's services × instances for each stream
 * count; the memory and Consul curves at the run's clients for each size (services = size ÷
 * instances, one check per instance). Points that coincide are measured once, for every curve they
 * belong to. Ordered by size, then streams.
 */
export function planSweep(options: BenchOptions): SweepPlanPoint[] {
  const points = new Map<string, { services: number; streams: number; curves: Set<Curve> }>();
  const add = (services: number, streams: number, curve: Curve) => {
    const key = `${services}/${streams}`;
    const point = points.get(key) ?? { services, streams, curves: new Set<Curve>() };
    point.curves.add(curve);
    points.set(key, point);
  };
  for (const streams of options.sweepSizes.streams) add(options.services, streams, "fanout");
  for (const endpoints of options.sweepSizes.endpoints) add(Math.round(endpoints / options.instances), options.clients, "memory");
  for (const checks of options.sweepSizes.checks) add(Math.round(checks / options.instances), options.clients, "consul");
  return [...points.values()]
    .sort((a, b) => a.services - b.services || a.streams - b.streams)
    .map((p) => ({ services: p.services, instances: options.instances, streams: p.streams, curves: [...p.curves].sort() }));
}

/** What the tables and charts say about the run as a whole. */
export interface SweepContext {
  readonly date: string;
  readonly machine: string;
  /** 1-minute load average when the sweep started. */
  readonly loadAverage: number;
  readonly revision: string;
  /** Instances per service, at every point. */
  readonly instances: number;
  /** Services of the fan-out points. */
  readonly services: number;
  /** Streams of the memory and Consul points. */
  readonly clients: number;
  /** Flaps per point (after 2 uncounted warm-ups). */
  readonly runs: number;
}

/** The points of one curve, smallest first. */
export function curvePoints(points: readonly SweepPoint[], curve: Curve): SweepPoint[] {
  return points.filter((p) => p.curves.includes(curve)).sort((a, b) => a.endpoints - b.endpoints || a.streams - b.streams);
}

/**
 * Growth against proportional: (y ÷ y₀) ÷ (x ÷ x₀) from the curve's first point. 1 is linear, below 1
 * grows slower than the size (a fixed part dominates), above 1 faster.
 */
export function growthVsProportional(x: number, y: number, x0: number, y0: number): number {
  return y / y0 / (x / x0);
}
