import { adsTypeOrder, type XdsTypeUrl } from "../resource-types/index.js";
import type { EncodedResource } from "./encoded-resource.js";
import { createTypeSnapshot, type TypeSnapshot } from "./type-snapshot.js";

/** The complete configuration for one group of clients: one TypeSnapshot per served type. */
export interface Snapshot {
  readonly types: ReadonlyMap<XdsTypeUrl, TypeSnapshot>;
  /** The snapshot of `typeUrl` (empty when the type has no resources). */
  get(typeUrl: XdsTypeUrl): TypeSnapshot;
}

/** Resources of each type, as handed to {@link createSnapshot}. */
export type SnapshotResources = Partial<Record<XdsTypeUrl, Iterable<EncodedResource>>>;

/** Builds an immutable snapshot from the resources of each type (a missing type is empty). */
export function createSnapshot(resources: SnapshotResources): Snapshot {
  const types = new Map<XdsTypeUrl, TypeSnapshot>();
  for (const typeUrl of adsTypeOrder) types.set(typeUrl, createTypeSnapshot(typeUrl, resources[typeUrl] ?? []));
  return snapshotOf(types);
}

/** Assembles a snapshot from already-built type snapshots (missing types are empty). */
export function snapshotOf(types: ReadonlyMap<XdsTypeUrl, TypeSnapshot>): Snapshot {
  const complete = new Map<XdsTypeUrl, TypeSnapshot>();
  for (const typeUrl of adsTypeOrder) complete.set(typeUrl, types.get(typeUrl) ?? createTypeSnapshot(typeUrl, []));
  return Object.freeze({ types: complete, get: (typeUrl: XdsTypeUrl) => complete.get(typeUrl)! });
}
