/**
 * Runs `task` once after `delayMs` and returns a function that cancels it. Injectable so tests can
 * drive the publisher's debounce by events instead of sleeping.
 */
export type PublishScheduler = (task: () => void, delayMs: number) => () => void;

/** The real scheduler: `setImmediate` for a delay of 0 (the next turn of the event loop), else `setTimeout`. */
export const timerScheduler: PublishScheduler = (task, delayMs) => {
  if (delayMs <= 0) {
    const handle = setImmediate(task);
    return () => clearImmediate(handle);
  }
  const handle = setTimeout(task, delayMs);
  return () => clearTimeout(handle);
};
