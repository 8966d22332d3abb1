import type { CheckStatus } from "./catalog-records.js";

/** One run's verdict, with the Output text a Consul agent would record. */
export interface ProbeResult {
  readonly status: CheckStatus;
  readonly output: string;
}

/** One kind of active check (HTTP, TCP, gRPC) for one definition. */
export interface CheckProbe {
  /** Runs the check once; resolves (never rejects) with a verdict, or when `signal` aborts. */
  run(signal: AbortSignal): Promise<ProbeResult>;
  /** The verdict when a run outlives the check's timeout (Consul's text for that kind). */
  timedOut(): ProbeResult;
}
