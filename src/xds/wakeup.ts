/**
 * A level-triggered wake-up for one waiting task: `wake()` before `wait()` is not lost, and many
 * wakes collapse into one. A stream's writer waits on it; requests, snapshots and aborts wake it.
 */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  /** Wakes the waiter, or the next one if nobody waits now. */
  wake(): void {
    const resolve = this.resolve;
    if (resolve) {
      this.resolve = undefined;
      resolve();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on the next wake, or at `deadline` (epoch ms) if one is given. */
  wait(deadline?: number, now: () => number = Date.now): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.resolve = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (deadline !== undefined) timer = setTimeout(() => this.wake(), Math.max(0, deadline - now()));
    });
  }
}
