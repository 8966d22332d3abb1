export {
  createConsulClient,
  type ConsulClient,
  type ConsulClientOptions,
  type ConsulQuery,
  type ConsulResponse,
  type ConsulTlsOptions,
} from "./consul-client.js";
export { ConsulError, consulErrorFromReason, consulErrorFromStatus, type ConsulErrorCode } from "./consul-error.js";
export { createConsulWatcher, defaultWatchTiming, type ConsulWatcher, type ConsulWatcherOptions } from "./consul-watcher.js";
export type { WatchTiming } from "./datacenter-watch.js";
export type { ConsulRequestEvent, ConsulWatcherHooks, ConsulWatcherStatus, WatchEndpoint, WatchError } from "./watcher-status.js";
export {
  nextBlockingIndex,
  runBlockingQuery,
  type BlockingChange,
  type BlockingOutcome,
  type BlockingQueryOptions,
} from "./blocking-query.js";
export { healthFromChecks, instanceFromHealthEntry, type HealthEntryResult } from "./health-entry.js";
export { diffCheckFeed, type CheckFeedDiff, type CheckRow, type CheckSnapshot } from "./check-feed.js";
export { createBackoff, type Backoff, type BackoffOptions } from "./backoff.js";
export { createTokenBucket, type TokenBucket, type TokenBucketOptions } from "./token-bucket.js";
export { systemClock, type Clock } from "./clock.js";
export { parseGoDuration } from "./go-duration.js";
