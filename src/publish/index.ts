// Public surface of the publisher: model changes in, validated and consistent snapshots per client
// kind out, into a SnapshotCache whose nodeGroup sorts clients by kind.
//
//   const model = new ServiceModel({ localDatacenter: "dc1", failoverDatacenters: ["dc2"] });
//   const publisher = createSnapshotPublisher({ model, logger, mapping: { zoneMetaKey: "zone" } });
//   // hand publisher.cache to the xDS server; it serves nothing until the model's initial sync.
export type { PublishedConfigEntries } from "./chain-stage.js";
export { createClientKindNodeGroup } from "./client-kind-node-group.js";
export { type PublishScheduler, timerScheduler } from "./publish-scheduler.js";
export type { PublisherHooks, PublisherStats, PublishReport, ValidationFailure } from "./publisher-events.js";
export {
  createSnapshotPublisher,
  type PublishedModel,
  type SnapshotPublisher,
  type SnapshotPublisherOptions,
} from "./snapshot-publisher.js";
export { validateDraft } from "./validation-gate.js";
