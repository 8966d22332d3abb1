import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";
import { IncrementalConsistency } from "./incremental-consistency.js";
import type { Snapshot } from "./snapshot.js";

/** Decides which snapshot group a client belongs to, from the node it sent on its first request. */
export type NodeGroupFunction = (node: Node | undefined) => string;

/** Options of {@link SnapshotCache}. */
export interface SnapshotCacheOptions {
  /** Maps a client's node to its group; default: every client in the group "default". */
  nodeGroup?: NodeGroupFunction;
}

/** The outcome of publishing a snapshot. */
export type PublishResult = { readonly published: true } | { readonly published: false; readonly problems: string[] };

/** The default group, used when no node-group function is given. */
export const defaultGroup = "default";

/**
 * Holds the latest consistent snapshot of each node group and tells watching streams when it changes.
 * This is the only link between the snapshot builder (what to send) and the xDS server (how to send):
 * the server never sees the model, and a snapshot only reaches streams after its consistency check.
 * A group without a snapshot has nothing to serve yet; its streams wait (this is the startup gate).
 */
export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watchers = new Map<string, Set<(snapshot: Snapshot) => void>>();
  private readonly publishListeners = new Set<(group: string, snapshot: Snapshot) => void>();
  private readonly idleListeners = new Set<(group: string) => void>();
  /** Per group, the consistency check of each new snapshot against the last one that passed. */
  private readonly consistency = new Map<string, IncrementalConsistency>();
  /** Maps a client's node to its group. */
  readonly nodeGroup: NodeGroupFunction;

  constructor(options: SnapshotCacheOptions = {}) {
    this.nodeGroup = options.nodeGroup ?? (() => defaultGroup);
  }

  /**
   * Publishes `snapshot` for `group` if it is consistent; otherwise keeps the previous one. The check
   * costs what changed since the group's last snapshot (see IncrementalConsistency), not its size.
   */
  setSnapshot(group: string, snapshot: Snapshot): PublishResult {
    let consistency = this.consistency.get(group);
    if (!consistency) this.consistency.set(group, (consistency = new IncrementalConsistency()));
    const problems = consistency.check(snapshot);
    if (problems.length > 0) return { published: false, problems };
    if (this.snapshots.get(group) === snapshot) return { published: true };
    this.snapshots.set(group, snapshot);
    for (const listener of this.publishListeners) listener(group, snapshot);
    for (const watcher of this.watchers.get(group) ?? []) watcher(snapshot);
    return { published: true };
  }

  /** The current snapshot of `group`, if one was published. */
  getSnapshot(group: string): Snapshot | undefined {
    return this.snapshots.get(group);
  }

  /** Groups that have a snapshot. */
  groups(): string[] {
    return [...this.snapshots.keys()];
  }

  /**
   * Calls `watcher` with every snapshot published for `group` from now on, and at once with the
   * current one if there is one. Returns the function that stops watching.
   */
  watch(group: string, watcher: (snapshot: Snapshot) => void): () => void {
    let set = this.watchers.get(group);
    if (!set) this.watchers.set(group, (set = new Set()));
    set.add(watcher);
    const current = this.snapshots.get(group);
    if (current) watcher(current);
    return () => {
      if (!set.delete(watcher)) return;
      if (set.size === 0 && this.watchers.get(group) === set) {
        this.watchers.delete(group);
        for (const listener of this.idleListeners) listener(group);
      }
    };
  }

  /** Calls `listener` when the last watcher of a group stops watching (a publisher may then drop that group); returns a stop function. */
  onIdle(listener: (group: string) => void): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }

  /** True while some stream watches `group`. */
  isWatched(group: string): boolean {
    return this.watchers.has(group);
  }

  /** Forgets the snapshot of a group nobody watches (its next snapshot is checked from scratch). */
  clearSnapshot(group: string): void {
    this.snapshots.delete(group);
    this.consistency.delete(group);
  }

  /** Calls `listener` for every snapshot published to any group (metrics, status); returns a stop function. */
  onPublish(listener: (group: string, snapshot: Snapshot) => void): () => void {
    this.publishListeners.add(listener);
    return () => this.publishListeners.delete(listener);
  }

  /** Number of active watches (one per stream that has sent its first request); for tests and metrics. */
  watchCount(): number {
    let count = 0;
    for (const set of this.watchers.values()) count += set.size;
    return count;
  }
}
