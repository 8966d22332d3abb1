import type { ModelChange } from "../model/service-model.js";
import type { PublishScheduler } from "./publish-scheduler.js";

/** Options of {@link ChangeCoalescer}. */
export interface ChangeCoalescerOptions {
  /** Changes are coalesced for this long after the first one of a burst (a window, so a steady trickle cannot starve publishing); 0 = the next turn. */
  readonly debounceMs: number;
  readonly scheduler: PublishScheduler;
  /** Runs one publish of the names taken; called again while names keep arriving. */
  readonly run: () => Promise<unknown>;
  readonly onError: (error: unknown) => void;
}

/**
 * The first stage of the pipeline: collects the names of changed services, holds everything back
 * until the model's initial sync (the startup gate), and runs one publish per debounce window —
 * never two at once; names that arrive during a publish start the next window when it ends.
 */
export class ChangeCoalescer {
  private readonly pending = new Set<string>();
  private origins: Array<NonNullable<ModelChange["origin"]>> = [];
  private open = false;
  private closed = false;
  private cancelTimer: (() => void) | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: ChangeCoalescerOptions) {}

  /** Names waiting for the next publish. */
  get size(): number {
    return this.pending.size;
  }

  /** True once the startup gate opened (and not closed). */
  get accepting(): boolean {
    return this.open && !this.closed;
  }

  /** Records a model change (its services, and the answer it came from) and schedules a publish. */
  add(change: Pick<ModelChange, "services" | "origin">): void {
    for (const name of change.services) this.pending.add(name);
    if (change.origin) this.origins.push(change.origin);
    this.schedule(this.options.debounceMs);
  }

  /** Opens the startup gate: the first publish runs on the next turn. */
  openGate(): void {
    if (this.closed) return;
    this.open = true;
    this.schedule(0);
  }

  /** Takes the pending names and the origins of their changes (the publish that calls this covers them). */
  take(): { names: Set<string>; origins: Array<NonNullable<ModelChange["origin"]>> } {
    const names = new Set(this.pending);
    const origins = this.origins;
    this.pending.clear();
    this.origins = [];
    return { names, origins };
  }

  /**
   * Runs a publish now, skipping the debounce, after the one in progress (if any) ends — unless
   * `nothingToDo` then says there is nothing left to publish.
   */
  async runNow<T>(publish: () => Promise<T>, nothingToDo: () => boolean): Promise<T | undefined> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.running) await this.running.catch(() => undefined);
    if (nothingToDo()) return undefined;
    return this.track(publish());
  }

  /** Stops scheduling; a pending publish is cancelled. */
  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(delayMs: number): void {
    if (!this.open || this.closed || this.cancelTimer || this.running) return;
    this.cancelTimer = this.options.scheduler(() => {
      this.cancelTimer = undefined;
      void this.track(this.options.run()).catch(this.options.onError);
    }, delayMs);
  }

  private track<T>(cycle: Promise<T>): Promise<T> {
    const tracked = cycle.finally(() => {
      this.running = undefined;
      if (this.pending.size > 0) this.schedule(this.options.debounceMs);
    });
    this.running = tracked;
    return tracked;
  }
}
