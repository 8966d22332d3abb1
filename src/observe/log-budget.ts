/** Options of {@link createLogBudget}. */
export interface LogBudgetOptions {
  /** Lines allowed back to back. */
  readonly burst: number;
  /** Lines allowed per second, sustained. */
  readonly perSecond: number;
  readonly now: () => number;
}

/** A token bucket that never waits: it only says whether one more line may be written now. */
export interface LogBudget {
  take(): boolean;
}

/** Creates a full log budget. */
export function createLogBudget(options: LogBudgetOptions): LogBudget {
  let tokens = options.burst;
  let last = options.now();
  return {
    take() {
      const now = options.now();
      tokens = Math.min(options.burst, tokens + ((now - last) / 1000) * options.perSecond);
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
