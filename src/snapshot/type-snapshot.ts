import type { XdsTypeUrl } from "../resource-types/index.js";
import { contentVersion } from "./content-version.js";
import type { EncodedResource } from "./encoded-resource.js";
import { keysThatMayDiffer, withChanges } from "./overlay-map.js";

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
 * base → derived → names whose resource object differs, for snapshots made by deriveTypeSnapshot.
 * Weak both ways: a derived snapshot must not keep its predecessor (and that one its own…) alive.
 */
const derivations = new WeakMap<TypeSnapshot, WeakMap<TypeSnapshot, ReadonlySet<string>>>();

/**
 * The snapshot that follows `base` once `changes` are applied (name → its new resource, or undefined
 * for a removal), equal to createTypeSnapshot of the resulting resources (up to the order of names
 * a change re-added), at the cost of the changes: the resources share `base`'s map under an overlay
 * (withChanges), the version is moved by the changed digests (contentVersion is a XOR), and the diff
 * from `base` is recorded for diffTypeSnapshots, so a publish that changes one ClusterLoadAssignment
 * of 10,000 never walks or copies the other 9,999.
 */
export function deriveTypeSnapshot(base: TypeSnapshot, changes: ReadonlyMap<string, EncodedResource | undefined>): TypeSnapshot {
  let a = Number.parseInt(base.version.slice(0, 8), 16);
  let b = Number.parseInt(base.version.slice(8, 16), 16);
  const edits = new Map<string, EncodedResource | undefined>();
  const changed = new Set<string>();
  const removed = new Set<string>();
  for (const [name, resource] of changes) {
    const previous = base.resources.get(name);
    if (previous === resource) continue;
    if (resource && (resource.typeUrl !== base.typeUrl || resource.name !== name))
      throw new Error(`${resource.name} is a ${resource.typeUrl}, not a ${base.typeUrl} named ${name}`);
    edits.set(name, resource);
    if (previous) {
      a ^= previous.digest[0]!;
      b ^= previous.digest[1]!;
    }
    if (resource) {
      a ^= resource.digest[0]!;
      b ^= resource.digest[1]!;
      if (previous?.hash !== resource.hash) changed.add(name);
    } else {
      removed.add(name);
    }
  }
  if (edits.size === 0) return base;
  const version = (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
  const next: TypeSnapshot = Object.freeze({ typeUrl: base.typeUrl, version, resources: withChanges(base.resources, edits) });
  let derived = derivations.get(base);
  if (!derived) derivations.set(base, (derived = new WeakMap()));
  derived.set(next, new Set(edits.keys()));
  let byTarget = diffCache.get(base);
  if (!byTarget) diffCache.set(base, (byTarget = new WeakMap()));
  byTarget.set(next, Object.freeze({ changed, removed }));
  return next;
}

/**
 * The names whose resource object differs between `from` and `to` (added, replaced or removed) when
 * `to` was derived from `from` by deriveTypeSnapshot; undefined when it was not (walk both then).
 */
export function derivedChanges(from: TypeSnapshot, to: TypeSnapshot): ReadonlySet<string> | undefined {
  return derivations.get(from)?.get(to);
}

/**
 * What changed from `from` to `to`, compared by content digest. Each pair is computed once and shared
 * by every stream that moves between the same two snapshots (thousands, on a fan-out).
 */
export function diffTypeSnapshots(from: TypeSnapshot, to: TypeSnapshot): TypeSnapshotDiff {
  if (from === to || (from.version === to.version && sameContent(from, to))) return emptyDiff;
  let byTarget = diffCache.get(from);
  const cached = byTarget?.get(to);
  if (cached) return cached;
  const changed = new Set<string>();
  const removed = new Set<string>();
  // Versions derived over one base (a stream a few publishes behind) differ only where their overlays do.
  const candidates = keysThatMayDiffer(from.resources, to.resources);
  if (candidates) {
    for (const name of candidates) {
      const previous = from.resources.get(name);
      const resource = to.resources.get(name);
      if (resource) {
        if (previous !== resource && previous?.hash !== resource.hash) changed.add(name);
      } else if (previous) {
        removed.add(name);
      }
    }
  } else {
    for (const [name, resource] of to.resources) {
      const previous = from.resources.get(name);
      if (previous !== resource && previous?.hash !== resource.hash) changed.add(name);
    }
    for (const name of from.resources.keys()) if (!to.resources.has(name)) removed.add(name);
  }
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
