/** Time for components that act periodically (the change log's summaries); tests drive a manual one. */
export interface IntervalClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. The timer never keeps the process alive. */
  every(ms: number, tick: () => void): () => void;
}

/** The real clock: Date.now and an unref'd setInterval. */
export const systemIntervalClock: IntervalClock = {
  now: () => Date.now(),
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
