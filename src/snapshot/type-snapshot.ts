import { contentVersion } from "./content-version.js";
import type { EncodedResource } from "./encoded-resource.js";
import type { XdsTypeUrl } from "./resource-types.js";

/** Every resource of one type at one version, immutable. */
export interface TypeSnapshot {
  readonly typeUrl: XdsTypeUrl;
  /** Derived from content only (see contentVersion). */
  readonly version: string;
  readonly resources: ReadonlyMap<string, EncodedResource>;
}

/** Names that differ between two snapshots of one type. */
export interface TypeSnapshotDiff {
  /** Present in the newer snapshot and absent from, or different in, the older one. */
  readonly changed: ReadonlySet<string>;
  /** Present in the older snapshot only. */
  readonly removed: ReadonlySet<string>;
}

/** Builds an immutable snapshot of one type; duplicate names are a programming error and throw. */
export function createTypeSnapshot(typeUrl: XdsTypeUrl, resources: Iterable<EncodedResource>): TypeSnapshot {
  const byName = new Map<string, EncodedResource>();
  for (const resource of resources) {
    if (resource.typeUrl !== typeUrl) throw new Error(`${resource.name} is a ${resource.typeUrl}, not a ${typeUrl}`);
    if (byName.has(resource.name)) throw new Error(`duplicate ${typeUrl} resource name ${resource.name}`);
    byName.set(resource.name, resource);
  }
  return Object.freeze({ typeUrl, version: contentVersion(byName.values()), resources: byName });
}

const emptyDiff: TypeSnapshotDiff = Object.freeze({ changed: new Set<string>(), removed: new Set<string>() });
const diffCache = new WeakMap<TypeSnapshot, WeakMap<TypeSnapshot, TypeSnapshotDiff>>();

/**
 * What changed from `from` to `to`, compared by content digest. Each pair is computed once and shared
 * by every stream that moves between the same two snapshots (thousands, on a fan-out).
 */
export function diffTypeSnapshots(from: TypeSnapshot, to: TypeSnapshot): TypeSnapshotDiff {
  if (from === to || from.version === to.version && sameContent(from, to)) return emptyDiff;
  let byTarget = diffCache.get(from);
  const cached = byTarget?.get(to);
  if (cached) return cached;
  const changed = new Set<string>();
  const removed = new Set<string>();
  for (const [name, resource] of to.resources) {
    const previous = from.resources.get(name);
    if (previous !== resource && previous?.hash !== resource.hash) changed.add(name);
  }
  for (const name of from.resources.keys()) if (!to.resources.has(name)) removed.add(name);
  const diff: TypeSnapshotDiff = Object.freeze({ changed, removed });
  if (!byTarget) diffCache.set(from, (byTarget = new WeakMap()));
  byTarget.set(to, diff);
  return diff;
}

function sameContent(a: TypeSnapshot, b: TypeSnapshot): boolean {
  if (a.resources.size !== b.resources.size) return false;
  for (const [name, resource] of a.resources) if (b.resources.get(name)?.hash !== resource.hash) return false;
  return true;
}
