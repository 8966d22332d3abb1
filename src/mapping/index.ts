// Public surface of the mapping: pure functions from the model (ModelView) to Envoy/xDS messages,
// and one builder per client kind that turns a service's mapping into that kind's resources, with
// warnings as data. Nothing here validates, encodes, logs or does I/O; the publisher (src/publish)
// does that. See docs/mapping.md for the rules and docs/architecture.md for the builders.
export { httpProtocolOptionsKey } from "./build-cluster.js";
export { buildEnvoyRouteConfiguration } from "./build-envoy-route-configuration.js";
export { routerFilterName } from "./build-http-connection-manager.js";
export {
  type ClientKind,
  type ClientKindOptions,
  clientKindMetadataKey,
  clientKinds,
  detectClientKind,
  isClientKind,
} from "./client-kind.js";
export type {
  Assembly,
  ClientKindBuilder,
  PartDraft,
  PartUpdate,
  ResourceDraft,
  ServiceContribution,
} from "./client-kind-builder.js";
export { createClientKindBuilders } from "./create-client-kind-builders.js";
export { domainClaimsFor, resolveDomainClaims } from "./domain-claims.js";
export { type ModelMapping, mapModel } from "./map-model.js";
export { mapService, type ServiceChainInput, type ServiceMapping } from "./map-service.js";
export { type MappingOptions, type ResolvedMappingOptions, resolveMappingOptions } from "./mapping-options.js";
export type { MappingWarning, MappingWarningCode } from "./mapping-warning.js";
export { envoyListenerName, envoyRouteConfigurationName, resourceNameFor } from "./resource-names.js";
export { defaultServiceSettings, readServiceSettings, type ServiceSettings, serviceMetaKeys } from "./service-settings.js";
