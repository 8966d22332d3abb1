export { type ConfigEntryWatch, createConfigEntryWatch } from "./config-entry-watch.js";
export { type ConsulTlsOptions, createConsulClient } from "./consul-client.js";
export { createConsulWatcher } from "./consul-watcher.js";
export { parseGoDuration } from "./go-duration.js";
export type { AddressRule } from "./health-entry.js";
export type { WatchTiming } from "./watch-timing.js";
export type { ConsulRequestEvent, ConsulWatcherHooks } from "./watcher-status.js";
