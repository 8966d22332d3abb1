/** An unbounded async queue: push from anywhere, consume with `for await` or `shift()`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private ended = false;
  private failure: unknown;

  /** Adds an item, handing it to a waiting consumer if there is one. */
  push(item: T): void {
    if (this.ended) throw new Error("push after end");
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** Ends the queue; consumers drain what is left, then stop (or throw `failure`). */
  end(failure?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    for (const waiter of this.waiters.splice(0)) {
      if (failure !== undefined) waiter.reject(failure);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  /** Items waiting to be consumed. */
  get size(): number {
    return this.items.length;
  }

  /** The next item; rejects after `timeoutMs` (a safety net for a broken test, not a synchronisation). */
  async shift(timeoutMs = 5_000): Promise<T> {
    const result = await Promise.race([
      this.nextResult(),
      new Promise<never>((_, reject) => {
        const timer = setTimeout(() => reject(new Error(`nothing arrived within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
    if (result.done) throw this.failure ?? new Error("queue ended");
    return result.value;
  }

  private nextResult(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) {
      return this.failure !== undefined ? Promise.reject(this.failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.nextResult(),
      return: (value?: unknown) => {
        this.end();
        return Promise.resolve({ value: value as T, done: true });
      },
      throw: (error?: unknown) => {
        this.end(error);
        return Promise.reject(error);
      },
    };
  }
}

/**
 * Pushes every item of `source` into `queue`, then ends the queue: cleanly, or with `toFailure` of
 * what `source` threw. Resolves with that failure, or undefined when `source` ended cleanly.
 */
export async function pipeInto<T, F>(
  source: AsyncIterable<T>,
  queue: AsyncQueue<T>,
  toFailure: (error: unknown) => F,
): Promise<F | undefined> {
  try {
    for await (const item of source) queue.push(item);
    queue.end();
    return undefined;
  } catch (error) {
    const failure = toFailure(error);
    queue.end(failure);
    return failure;
  }
}
