import type { Clock } from "./clock.js";

/** Raft indexes remembered from reads and the check feed (a bound, so a long run cannot grow it). */
const recentIndexCap = 50_000;

/** Options of {@link CatalogGap}. */
export interface CatalogGapOptions {
  /** How long an unexplained catalog index move may wait for a read or the feed to explain it. */
  readonly explainGraceMs: number;
  /** Least time between two sweeps. */
  readonly sweepMinIntervalMs: number;
  readonly clock: Clock;
  /** Re-read every bridged service (called at most once per `sweepMinIntervalMs`). */
  readonly sweep: () => void;
  /** A catalog move nothing explained when it arrived (the owner may look for its cause at once). */
  readonly unexplained?: (index: number) => void;
  /** Ends pending waits. */
  readonly signal: AbortSignal;
}

/**
 * The gap between the two blocking loops (step 4 of the design notes in `consul-watcher.ts`): an
 * instance without checks that is added, removed or edited moves the catalog index but shows in
 * neither the catalog's names and tags nor the check feed. Every catalog index move is matched
 * against the raft indexes the check feed and the reads have shown; a move still unexplained after
 * the grace time asks for a sweep (rate-limited). False alarms cost reads, never correctness.
 */
export class CatalogGap {
  /** Write indexes the latest check-feed answer shows. */
  private feedIndexes: ReadonlySet<number> = new Set();
  /** Indexes seen in reads (service create/modify indexes, answer indexes) and feed deletions. */
  private readonly recent = new Set<number>();
  private readonly pending = new Set<number>();
  private lastCatalogIndex = 0;
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private sweepScheduled = false;

  constructor(private readonly options: CatalogGapOptions) {}

  /** The catalog's names or tags changed at `index` (or it was listed the first time): nothing to explain. */
  catalogChanged(index: number): void {
    this.lastCatalogIndex = index;
  }

  /**
   * The catalog index moved to `index` but names and tags did not: some instance was added, removed
   * or edited. `explainable` is false after an index reset (the check feed then reports every
   * service as changed, which re-reads everything) and before the catalog was listed once.
   */
  catalogMoved(index: number, explainable: boolean): void {
    if (index === this.lastCatalogIndex) return;
    this.lastCatalogIndex = index;
    if (!explainable || this.explains(index)) return;
    this.pending.add(index);
    this.options.unexplained?.(index);
    void this.options.clock.sleep(this.options.explainGraceMs, this.options.signal).then(() => this.settle());
  }

  /** The write indexes the latest check-feed answer shows (replacing the previous answer's). */
  feedShows(indexes: ReadonlySet<number>): void {
    this.feedIndexes = indexes;
  }

  /** Remembers a raft index a read or the feed showed (ignored unless positive). */
  remember(index: number): void {
    if (!(index > 0)) return;
    this.recent.add(index);
    if (this.recent.size > recentIndexCap) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  private explains(index: number): boolean {
    return this.feedIndexes.has(index) || this.recent.has(index);
  }

  private settle(): void {
    if (this.options.signal.aborted) return;
    let unexplained = 0;
    for (const index of [...this.pending]) {
      this.pending.delete(index);
      if (!this.explains(index)) unexplained += 1;
    }
    if (unexplained > 0) this.requestSweep();
  }

  private requestSweep(): void {
    if (this.sweepScheduled) return;
    const { clock, signal, sweepMinIntervalMs } = this.options;
    const wait = this.lastSweepAt + sweepMinIntervalMs - clock.now();
    const sweep = (): void => {
      this.sweepScheduled = false;
      if (signal.aborted) return;
      this.lastSweepAt = clock.now();
      this.options.sweep();
    };
    this.sweepScheduled = true;
    if (wait <= 0) sweep();
    else void clock.sleep(wait, signal).then(sweep);
  }
}
