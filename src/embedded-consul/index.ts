export {
  createEmbeddedConsul,
  type ConnectionStats,
  type EmbeddedConsul,
  type EmbeddedConsulOptions,
} from "./embedded-consul.js";
export { CatalogStore, type CheckUpdateResult, type SeedInstance, type SeedService } from "./catalog-store.js";
export type { CheckStatus, ServiceWeights } from "./catalog-records.js";
export { FaultInjector, tooManyConnectionsText, type Fault, type FaultScope } from "./fault-injector.js";
export { compileFilter, type CompiledFilter } from "./bexpr-filter.js";
export type { DatacenterCatalog } from "./datacenter-catalog.js";
export type { WaiterRegistry } from "./waiter-registry.js";
