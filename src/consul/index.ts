export { type ConfigEntryWatch, createConfigEntryWatch } from "./config-entry-watch.js";
export { type ConsulTlsOptions, createConsulClient } from "./consul-client.js";
export { type ConsulWatcher, createConsulWatcher } from "./consul-watcher.js";
export { parseGoDuration } from "./go-duration.js";
export { isObject } from "./is-object.js";
export type { WatchTiming } from "./watch-timing.js";
export type { ConsulRequestEvent, ConsulWatcherHooks } from "./watcher-status.js";
