// Public surface of Consul's discovery chain: what a service's config entries (routers, splitters,
// resolvers, service-defaults) make of it, compiled purely from a ConfigEntriesView. The mapping turns
// a chain into resources; the publisher keeps each service's last good chain; the embedded catalog
// checks proposed entries with it, as Consul does when an entry is written.
export { checkConfigEntryGraph } from "./check-config-entry-graph.js";
export { compileDiscoveryChain } from "./compile-discovery-chain.js";
export type {
  ChainCompilation,
  ChainContext,
  ChainDependencies,
  ChainEndpointSource,
  ChainProblem,
  ChainRoute,
  ChainSplit,
  ChainTarget,
  DiscoveryChain,
} from "./discovery-chain.js";
