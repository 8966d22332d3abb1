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
} from "../resource-types/index.js";
export { contentVersion } from "./content-version.js";
export { type EncodedResource, encodeResource, encodeResourceValue } from "./encoded-resource.js";
export { createSnapshot, type Snapshot, type SnapshotResources, snapshotOf } from "./snapshot.js";
export { defaultGroup, type NodeGroupFunction, type PublishResult, SnapshotCache, type SnapshotCacheOptions } from "./snapshot-cache.js";
export { checkSnapshotConsistency } from "./snapshot-consistency.js";
export {
  createTypeSnapshot,
  derivedChanges,
  deriveTypeSnapshot,
  diffTypeSnapshots,
  type TypeSnapshot,
  type TypeSnapshotDiff,
} from "./type-snapshot.js";
export { provenanceOf, stampProvenance } from "./version-provenance.js";
