import {
  type ConfigEntry,
  type ConfigEntryKey,
  type ConfigEntryKind,
  configEntryKey,
  configEntryKinds,
  type ProxyDefaultsEntry,
  type ServiceDefaultsEntry,
  type ServiceResolverEntry,
  type ServiceRouterEntry,
  type ServiceSplitterEntry,
} from "./config-entry.js";
import type { ReadOrigin } from "./provenance.js";
import { sameContent } from "./same-content.js";
import { SyncLatch } from "./sync-latch.js";

/** An immutable view of the config entries at one revision: what the discovery chain is compiled from. */
export interface ConfigEntriesView {
  /** Grows by one with every change; equal revisions mean equal content. */
  readonly revision: number;
  /** Every entry by key. */
  readonly entries: ReadonlyMap<ConfigEntryKey, ConfigEntry>;
  serviceDefaults(name: string): ServiceDefaultsEntry | undefined;
  /** The `global` proxy-defaults. */
  proxyDefaults(): ProxyDefaultsEntry | undefined;
  router(name: string): ServiceRouterEntry | undefined;
  splitter(name: string): ServiceSplitterEntry | undefined;
  resolver(name: string): ServiceResolverEntry | undefined;
}

/** What changed between two revisions. */
export interface ConfigEntryChange {
  readonly revision: number;
  /** Entries written, changed or deleted. */
  readonly keys: ReadonlySet<ConfigEntryKey>;
  /** The Consul answer that brought the change (for the published version's provenance), when known. */
  readonly origin?: { readonly datacenter: string; readonly origin: ReadOrigin } | undefined;
}

/** A view with no entries: plain routing for every service. */
export const emptyConfigEntries: ConfigEntriesView = viewOf(0, new Map());

/**
 * The config entries the bridge applies, replaced a kind at a time by the config-entry watch. An
 * entry rewritten with the same content is not a change (Consul moves its index on every write);
 * listeners are told exactly which keys changed, so only the chains that read them are rebuilt.
 */
export class ConfigEntryStore {
  private readonly byKey = new Map<ConfigEntryKey, ConfigEntry>();
  private readonly listeners = new Set<(change: ConfigEntryChange) => void>();
  private readonly syncedKinds = new Set<ConfigEntryKind>();
  private revisionNumber = 0;
  private cachedView: ConfigEntriesView | undefined;
  private readonly syncLatch = new SyncLatch();

  /** The current revision; it moves only when content changes. */
  get revision(): number {
    return this.revisionNumber;
  }

  /** True once every kind has been read once, or the feature was turned off. */
  get synced(): boolean {
    return this.syncLatch.isOpen;
  }

  /**
   * Replaces every entry of `kind`; returns the keys that changed (written, edited or deleted).
   * `origin`: the answer they came from (its datacenter, index and arrival), passed on with the change.
   */
  replaceKind(kind: ConfigEntryKind, entries: readonly ConfigEntry[], origin?: ConfigEntryChange["origin"]): ReadonlySet<ConfigEntryKey> {
    const next = new Map<ConfigEntryKey, ConfigEntry>();
    for (const entry of entries) if (entry.kind === kind) next.set(configEntryKey(kind, entry.name), entry);
    const changed = new Set<ConfigEntryKey>();
    for (const [key, entry] of this.byKey) {
      if (entry.kind !== kind) continue;
      if (!next.has(key)) {
        this.byKey.delete(key);
        changed.add(key);
      }
    }
    for (const [key, entry] of next) {
      const before = this.byKey.get(key);
      if (before && sameContent({ ...before, modifyIndex: 0 }, { ...entry, modifyIndex: 0 })) continue;
      this.byKey.set(key, Object.freeze(entry));
      changed.add(key);
    }
    this.syncedKinds.add(kind);
    if (changed.size > 0) this.bump(changed, origin);
    if (this.syncedKinds.size === configEntryKinds.length) this.markSynced();
    return changed;
  }

  /** Forgets every entry (the feature was turned off: plain routing for every service); returns the keys removed. */
  clear(): ReadonlySet<ConfigEntryKey> {
    const removed = new Set(this.byKey.keys());
    this.byKey.clear();
    if (removed.size > 0) this.bump(removed);
    return removed;
  }

  /** Marks the initial read as complete (also when the feature is off, so publishing is not held back). */
  markSynced(): void {
    this.syncLatch.open();
  }

  /** Resolves once every kind has been read once, or the feature is off. */
  whenSynced(): Promise<void> {
    return this.syncLatch.whenOpen();
  }

  /** The entries at the current revision, built at most once per revision. */
  view(): ConfigEntriesView {
    if (this.cachedView?.revision !== this.revisionNumber) this.cachedView = viewOf(this.revisionNumber, new Map(this.byKey));
    return this.cachedView;
  }

  /** Calls `listener` after every change; returns a function that stops it. */
  onChange(listener: (change: ConfigEntryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private bump(keys: ReadonlySet<ConfigEntryKey>, origin?: ConfigEntryChange["origin"]): void {
    this.revisionNumber += 1;
    const change: ConfigEntryChange = { revision: this.revisionNumber, keys, ...(origin ? { origin } : {}) };
    for (const listener of this.listeners) listener(change);
  }
}

/**
 * The entries of `view` under `keys` only, as a view of their own: what one discovery chain read,
 * kept with that chain after the store moves on (a few entries, not the whole revision). Its
 * `revision` is the one it was taken from, though it holds only part of it.
 */
export function pickConfigEntries(view: ConfigEntriesView, keys: Iterable<ConfigEntryKey>): ConfigEntriesView {
  const picked = new Map<ConfigEntryKey, ConfigEntry>();
  for (const key of keys) {
    const entry = view.entries.get(key);
    if (entry) picked.set(key, entry);
  }
  return viewOf(view.revision, picked);
}

function viewOf(revision: number, entries: ReadonlyMap<ConfigEntryKey, ConfigEntry>): ConfigEntriesView {
  const lookup = <K extends ConfigEntryKind>(kind: K, name: string) =>
    entries.get(configEntryKey(kind, name)) as Extract<ConfigEntry, { kind: K }> | undefined;
  return Object.freeze({
    revision,
    entries,
    serviceDefaults: (name: string) => lookup("service-defaults", name),
    proxyDefaults: () => lookup("proxy-defaults", "global"),
    router: (name: string) => lookup("service-router", name),
    splitter: (name: string) => lookup("service-splitter", name),
    resolver: (name: string) => lookup("service-resolver", name),
  });
}
