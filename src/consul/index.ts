export { type Backoff, type BackoffOptions, createBackoff } from "./backoff.js";
export {
  type BlockingChange,
  type BlockingOutcome,
  type BlockingQueryOptions,
  nextBlockingIndex,
  runBlockingQuery,
} from "./blocking-query.js";
export { type CheckFeedDiff, type CheckRow, type CheckSnapshot, diffCheckFeed } from "./check-feed.js";
export { type Clock, systemClock } from "./clock.js";
export {
  type ConfigEntriesState,
  type ConfigEntryWatch,
  type ConfigEntryWatchOptions,
  type ConfigEntryWatchStatus,
  createConfigEntryWatch,
} from "./config-entry-watch.js";
export {
  type ConsulClient,
  type ConsulClientOptions,
  type ConsulQuery,
  type ConsulResponse,
  type ConsulTlsOptions,
  createConsulClient,
} from "./consul-client.js";
export { ConsulError, type ConsulErrorCode, consulErrorFromReason, consulErrorFromStatus } from "./consul-error.js";
export { type ConsulWatcher, type ConsulWatcherOptions, createConsulWatcher, defaultWatchTiming } from "./consul-watcher.js";
export type { WatchTiming } from "./datacenter-watch.js";
export { parseGoDuration } from "./go-duration.js";
export { type HealthEntryResult, healthFromChecks, instanceFromHealthEntry } from "./health-entry.js";
export { createTokenBucket, type TokenBucket, type TokenBucketOptions } from "./token-bucket.js";
export type { ConsulRequestEvent, ConsulWatcherHooks, ConsulWatcherStatus, WatchEndpoint, WatchError } from "./watcher-status.js";
