export type { CheckStatus, ServiceWeights } from "./catalog-records.js";
export type { SeedInstance, SeedService } from "./catalog-seed.js";
export { CatalogStore, type CheckUpdateResult } from "./catalog-store.js";
export type { DatacenterCatalog } from "./datacenter-catalog.js";
export {
  type ConnectionStats,
  createEmbeddedConsul,
  type EmbeddedConsul,
  type EmbeddedConsulOptions,
} from "./embedded-consul.js";
export { type Fault, FaultInjector, type FaultScope, tooManyConnectionsText } from "./fault-injector.js";
export type { WaiterRegistry } from "./waiter-registry.js";
