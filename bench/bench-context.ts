import type { BenchOptions } from "./bench-options.js";
import type { BridgeOps } from "./bridge-process.js";
import type { CatalogOps } from "./catalog-process.js";
import type { ClientOps, ClientSpec } from "./client-process.js";
import type { RpcChild } from "./ipc-rpc.js";
import type { MetricRow } from "./metric-row.js";

/** The running processes and sizes every scenario works with. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly catalog: RpcChild<CatalogOps>;
  readonly bridge: RpcChild<BridgeOps>;
  /** Client processes; `shares[i]` are the clients worker i runs. */
  readonly workers: ReadonlyArray<RpcChild<ClientOps>>;
  readonly shares: ReadonlyArray<readonly ClientSpec[]>;
  /** http://127.0.0.1:<xDS port> */
  readonly xdsUrl: string;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
}

/** What a scenario hands to the report: table rows and any further figures for the JSON file. */
export interface ScenarioResult {
  readonly id: number;
  readonly title: string;
  readonly rows: MetricRow[];
  readonly details: Record<string, unknown>;
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
