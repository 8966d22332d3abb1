/**
 * When one datacenter's initial sync is complete: the catalog has been listed, the check feed's
 * baseline taken (reads start only after it), and every bridged service read once (or found
 * unreadable on its own, which waiting would not fix). Fires `onSynced` once.
 */
export class SyncGate {
  private catalogListed = false;
  private feedBaseline = false;
  private readonly read = new Set<string>();
  private syncedFlag = false;
  private failedFlag = false;

  constructor(
    /** The services bridged now (all of them must have been read). */
    private readonly bridged: () => Iterable<string>,
    private readonly onSynced: () => void,
  ) {}

  /** True once the initial sync completed (it stays true). */
  get synced(): boolean {
    return this.syncedFlag;
  }

  /** True when some read failed before the initial sync completed. */
  get failedBeforeSync(): boolean {
    return this.failedFlag;
  }

  /** The check feed's baseline was taken: reads may start. */
  get feedReady(): boolean {
    return this.feedBaseline;
  }

  /** The catalog was listed (first answer of `/v1/catalog/services`). */
  catalogWasListed(): void {
    this.catalogListed = true;
    this.check();
  }

  /** The first check-feed answer was applied. */
  feedBaselineTaken(): void {
    this.feedBaseline = true;
    this.check();
  }

  /** `service` was read (or is unreadable on its own and counts as read). */
  serviceRead(service: string): void {
    this.read.add(service);
    this.check();
  }

  /** `service` is no longer bridged. */
  forget(service: string): void {
    this.read.delete(service);
  }

  /** A read failed; remembered when it happens before the initial sync. */
  readFailed(): void {
    if (!this.syncedFlag) this.failedFlag = true;
    this.check();
  }

  /** Re-evaluates the condition (after the bridged set changed). */
  check(): void {
    if (this.syncedFlag || !this.catalogListed || !this.feedBaseline) return;
    for (const name of this.bridged()) if (!this.read.has(name)) return;
    this.syncedFlag = true;
    this.onSynced();
  }
}
