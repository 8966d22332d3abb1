export { type ConsulTlsOptions, createConsulClient } from "./consul-client.js";
export { type ConsulWatcher, createConsulWatcher } from "./consul-watcher.js";
export { parseGoDuration } from "./go-duration.js";
export type { AddressRule } from "./health-entry.js";
export { isObject } from "./is-object.js";
export type { WatchTiming } from "./watch-timing.js";
export type { ConsulRequestEvent, ConsulWatcherHooks } from "./watcher-status.js";
