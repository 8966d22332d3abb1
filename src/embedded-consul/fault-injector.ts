/** A failure the embedded catalog can inject into its responses. */
export type Fault =
  /** Delay the request by `ms` before handling it (a blocking query waits this much longer). */
  | { readonly kind: "latency"; readonly ms: number }
  /** Answer with this status and text body instead of handling the request (500, 429, 403…). */
  | { readonly kind: "status"; readonly status: number; readonly body?: string }
  /** Destroy the connection without answering (the client sees a reset / socket hang up). */
  | { readonly kind: "reset" }
  /** Handle the request but send `X-Consul-Index: 0` (the bug clients must survive). */
  | { readonly kind: "zero-index" }
  /** Handle the request, send the headers and half the body, then close the connection (a cut answer). */
  | { readonly kind: "cut-body" }
  /** Handle the request as if it had no `?filter=`, as Consul before 1.4.1 does. */
  | { readonly kind: "ignore-filter" };

/** Which requests a fault applies to, and how many times. */
export interface FaultScope {
  /** Only requests whose path starts with this string (or matches this pattern). Default: all. */
  readonly path?: string | RegExp;
  /** Apply to this many matching requests, then disappear. Default: until removed. */
  readonly count?: number;
}

interface ActiveFault {
  readonly fault: Fault;
  readonly path: string | RegExp | undefined;
  remaining: number;
}

/** The text Consul sends with 429 when a client holds too many connections. */
export const tooManyConnectionsText = "Your IP is issuing too many concurrent connections, please rate limit your calls\n";

/**
 * Fault hooks for tests: latency, error statuses (500, 429…), connection resets and a zero index,
 * each for all requests or those matching a path, forever or for the next N.
 */
export class FaultInjector {
  private readonly active: ActiveFault[] = [];

  /** Adds a fault; returns a function that removes it. */
  inject(fault: Fault, scope: FaultScope = {}): () => void {
    const entry: ActiveFault = { fault, path: scope.path, remaining: scope.count ?? Number.POSITIVE_INFINITY };
    this.active.push(entry);
    return () => {
      const at = this.active.indexOf(entry);
      if (at >= 0) this.active.splice(at, 1);
    };
  }

  /** Removes every fault. */
  clear(): void {
    this.active.length = 0;
  }

  /** The faults that apply to one request (consuming one use of each counted fault). */
  take(path: string): Fault[] {
    const taken: Fault[] = [];
    for (const entry of [...this.active]) {
      const matches = entry.path === undefined || (typeof entry.path === "string" ? path.startsWith(entry.path) : entry.path.test(path));
      if (!matches) continue;
      // Only one fault that ends the request (status or reset) applies at a time.
      const ending = entry.fault.kind === "status" || entry.fault.kind === "reset";
      if (ending && taken.some((f) => f.kind === "status" || f.kind === "reset")) continue;
      taken.push(entry.fault);
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.active.splice(this.active.indexOf(entry), 1);
    }
    return taken;
  }
}
