/** Opens once, for good, and lets anyone wait for it: "the initial read is complete". */
export class SyncLatch {
  private opened = false;
  private readonly waiters: Array<() => void> = [];

  /** True once {@link open} was called. */
  get isOpen(): boolean {
    return this.opened;
  }

  /** Opens the latch (again: nothing) and wakes every waiter. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once the latch is open. */
  whenOpen(): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
