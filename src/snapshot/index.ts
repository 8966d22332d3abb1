export { encodeResource, encodeResourceValue, type EncodedResource } from "./encoded-resource.js";
export { contentVersion } from "./content-version.js";
export {
  adsTypeOrder,
  clusterType,
  endpointType,
  isFullStateType,
  isXdsTypeUrl,
  listenerType,
  routeType,
  shortTypeName,
  type XdsTypeUrl,
} from "./resource-types.js";
export { createSnapshot, snapshotOf, type Snapshot, type SnapshotResources } from "./snapshot.js";
export { checkSnapshotConsistency } from "./snapshot-consistency.js";
export { defaultGroup, SnapshotCache, type NodeGroupFunction, type PublishResult, type SnapshotCacheOptions } from "./snapshot-cache.js";
export {
  createTypeSnapshot,
  deriveTypeSnapshot,
  derivedChanges,
  diffTypeSnapshots,
  type TypeSnapshot,
  type TypeSnapshotDiff,
} from "./type-snapshot.js";
