// A virtual clock for code that waits with `Clock.sleep` (the embedded catalog's check runner):
// time moves only when the test calls `advance`, so intervals, timeouts and TTLs are exact and a
// test never sleeps for real.
import type { Clock } from "../../src/consul/clock.js";
import type { Subscribe } from "./consul-test-support.js";

/** A clock the test moves by hand. */
export interface ManualClock extends Clock {
  /** Moves time forward, waking (in deadline order) every sleep that is now due. */
  advance(ms: number): void;
  /** Sleeps now waiting. */
  readonly pending: number;
  /** Deadlines of the sleeps now waiting, soonest first. */
  deadlines(): number[];
  /** Fires whenever a sleep starts or ends: what `until(() => clock.pending === n, clock.changes)` waits on. */
  readonly changes: Subscribe;
}

/** A clock at 0 that moves only with `advance`; a sleep of 0 ms (or less) resolves at once. */
export function manualClock(): ManualClock {
  let now = 0;
  const sleeps = new Set<{ at: number; wake: () => void }>();
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of [...listeners]) listener();
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (ms <= 0 || signal?.aborted) return resolve();
        const entry = {
          at: now + ms,
          wake: () => {
            sleeps.delete(entry);
            signal?.removeEventListener("abort", entry.wake);
            resolve();
            changed();
          },
        };
        sleeps.add(entry);
        signal?.addEventListener("abort", entry.wake, { once: true });
        changed();
      });
    },
    advance(ms) {
      now += ms;
      for (const entry of [...sleeps].sort((a, b) => a.at - b.at)) if (entry.at <= now) entry.wake();
    },
    get pending() {
      return sleeps.size;
    },
    deadlines: () => [...sleeps].map((s) => s.at).sort((a, b) => a - b),
    changes: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
