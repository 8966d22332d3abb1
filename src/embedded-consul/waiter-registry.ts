/**
 * Blocking queries waiting on a topic (one datacenter's services table, checks table, or one
 * service). A change wakes only the waiters of the topics it moved, so a wake-up costs the number
 * of interested waiters, never the size of the catalog.
 */
export class WaiterRegistry {
  private readonly byTopic = new Map<string, Set<() => void>>();
  private count = 0;
  private wakeCount = 0;

  /** Registers `wake` for `topic`; the returned function unregisters it. */
  add(topic: string, wake: () => void): () => void {
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    set.add(wake);
    this.count += 1;
    return () => {
      const current = this.byTopic.get(topic);
      if (!current?.delete(wake)) return;
      this.count -= 1;
      if (current.size === 0) this.byTopic.delete(topic);
    };
  }

  /** Wakes every waiter of `topic` (each decides whether its answer changed). */
  notify(topic: string): void {
    const set = this.byTopic.get(topic);
    if (!set) return;
    for (const wake of [...set]) {
      this.wakeCount += 1;
      wake();
    }
  }

  /** Wakes every waiter whose topic starts with `prefix` (an index reset abandons them all). */
  notifyPrefix(prefix: string): void {
    for (const topic of [...this.byTopic.keys()]) if (topic.startsWith(prefix)) this.notify(topic);
  }

  /** Waiters currently registered. */
  get size(): number {
    return this.count;
  }

  /** Wake-ups delivered so far (lets tests prove that a change wakes only whom it concerns). */
  get wakeups(): number {
    return this.wakeCount;
  }
}
