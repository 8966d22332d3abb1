import type { Clock } from "../consul/clock.js";
import type { CheckDefinition, CheckRecord, CheckStatus } from "./catalog-records.js";
import type { CheckProbe, ProbeResult } from "./check-probe.js";
import { grpcCheckProbe } from "./grpc-check-probe.js";
import { httpCheckProbe } from "./http-check-probe.js";
import { tcpCheckProbe } from "./tcp-check-probe.js";

/** Options of {@link AgentCheckRunner}. */
export interface AgentCheckRunnerOptions {
  /** Time for intervals, timeouts and TTLs (tests pass a virtual clock). */
  readonly clock: Clock;
  /** Source of the first run's random stagger (0 ≤ x < 1), as Consul's `lib.RandomStagger`. */
  readonly random: () => number;
  /** Run HTTP, TCP and gRPC checks. */
  readonly runProbes: boolean;
  /** Turn TTL checks critical when they are not refreshed in time. */
  readonly ttlExpiry: boolean;
  /** Records a verdict on the agent's check `checkId`; a check that is gone is left alone. */
  readonly record: (checkId: string, status: CheckStatus, output: string) => void;
}

/** Consul's default check timeout. */
const defaultTimeoutMs = 10_000;
/** Consul's `checks.MinInterval`: shorter intervals are raised to it. */
const minIntervalMs = 1_000;

function probeFor(definition: CheckDefinition): CheckProbe | undefined {
  if (definition.http) return httpCheckProbe(definition);
  if (definition.tcp) return tcpCheckProbe(definition);
  if (definition.grpc) return grpcCheckProbe(definition);
  return undefined;
}

/**
 * What a Consul agent runs for its own checks: HTTP, TCP and gRPC checks every `Interval` (the first
 * run after a random stagger within one interval), each run bounded by `Timeout`; and the TTL of TTL
 * checks, which turns them critical (`TTL expired`) unless refreshed in time.
 */
export class AgentCheckRunner {
  private readonly running = new Map<string, AbortController>();
  /** Last output a TTL check was given, for the expiry text (Consul keeps it the same way). */
  private readonly ttlOutputs = new Map<string, string>();

  constructor(private readonly options: AgentCheckRunnerOptions) {}

  /** Starts (or restarts) whatever the agent runs for `check`; stops what ran for it before. */
  start(check: CheckRecord): void {
    this.stop(check.checkId);
    const controller = new AbortController();
    if (check.ttlMs !== undefined) {
      if (!this.options.ttlExpiry) return;
      this.running.set(check.checkId, controller);
      void this.expireAfter(check.checkId, check.ttlMs, controller.signal);
      return;
    }
    const probe = check.definition && probeFor(check.definition);
    if (!probe || !check.definition || !this.options.runProbes) return;
    this.running.set(check.checkId, controller);
    void this.loop(check.checkId, check.definition, probe, controller.signal);
  }

  /** A TTL check got a status: its TTL starts again, and `output` is what an expiry will quote. */
  refreshTtl(check: CheckRecord, output: string): void {
    this.ttlOutputs.set(check.checkId, output);
    this.start(check);
  }

  /** Stops what runs for `checkId` (the check was removed or replaced). */
  stop(checkId: string): void {
    this.running.get(checkId)?.abort();
    this.running.delete(checkId);
  }

  /** Forgets a removed check entirely. */
  remove(checkId: string): void {
    this.stop(checkId);
    this.ttlOutputs.delete(checkId);
  }

  /** Stops everything. */
  close(): void {
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
  }

  private async expireAfter(checkId: string, ttlMs: number, signal: AbortSignal): Promise<void> {
    await this.options.clock.sleep(ttlMs, signal);
    if (signal.aborted) return;
    this.running.delete(checkId);
    const last = this.ttlOutputs.get(checkId) ?? "";
    this.options.record(checkId, "critical", last === "" ? "TTL expired" : `TTL expired (last output before timeout follows): ${last}`);
  }

  private async loop(checkId: string, definition: CheckDefinition, probe: CheckProbe, signal: AbortSignal): Promise<void> {
    const { clock } = this.options;
    const intervalMs = Math.max(minIntervalMs, definition.intervalMs);
    await clock.sleep(Math.floor(this.options.random() * intervalMs), signal);
    while (!signal.aborted) {
      const result = await this.runOnce(probe, definition.timeoutMs > 0 ? definition.timeoutMs : defaultTimeoutMs, signal);
      if (signal.aborted) return;
      this.options.record(checkId, result.status, result.output);
      await clock.sleep(intervalMs, signal);
    }
  }

  private async runOnce(probe: CheckProbe, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
    const run = new AbortController();
    const abort = (): void => run.abort();
    signal.addEventListener("abort", abort, { once: true });
    try {
      const timedOut = Symbol("timeout");
      const winner = await Promise.race([probe.run(run.signal), this.options.clock.sleep(timeoutMs, run.signal).then(() => timedOut)]);
      return winner === timedOut ? probe.timedOut() : (winner as ProbeResult);
    } finally {
      signal.removeEventListener("abort", abort);
      run.abort();
    }
  }
}
