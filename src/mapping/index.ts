// Public surface of the mapping: pure functions from the model (ModelView) to Envoy/xDS messages
// for each client kind, with warnings as data. Nothing here validates, encodes, logs or does I/O;
// the publisher (src/publish) does that. See docs/mapping.md for the rules.
export { buildCluster, type ClusterInput, httpProtocolOptionsKey } from "./build-cluster.js";
export { buildEnvoyListener, type EnvoyListenerAddress } from "./build-envoy-listener.js";
export { buildEnvoyRouteConfiguration } from "./build-envoy-route-configuration.js";
export { buildEnvoyVirtualHost, type VirtualHostSource } from "./build-envoy-virtual-host.js";
export { buildGrpcListener } from "./build-grpc-listener.js";
export { buildGrpcRouteConfiguration } from "./build-grpc-route-configuration.js";
export { buildHttpConnectionManager, routerFilterName } from "./build-http-connection-manager.js";
export {
  buildLoadAssignment,
  type EndpointCandidate,
  type LoadAssignmentInput,
  type LoadAssignmentResult,
} from "./build-load-assignment.js";
export { buildVirtualHost, type VirtualHostInput } from "./build-virtual-host.js";
export {
  type ClientKind,
  type ClientKindOptions,
  clientKindMetadataKey,
  clientKinds,
  detectClientKind,
  isClientKind,
} from "./client-kind.js";
export { compareDomainClaims, type DomainClaim, domainClaimsFor, resolveDomainClaims } from "./domain-claims.js";
export { classifyEndpointAddress, type EndpointAddress } from "./endpoint-address.js";
export { type ClientResources, compareByResourceName, type ModelMapping, mapModel } from "./map-model.js";
export {
  type EnvoyServiceResources,
  type GrpcServiceResources,
  mapService,
  type ServiceMapping,
  servedDatacenters,
} from "./map-service.js";
export { type MappingOptions, type ResolvedMappingOptions, resolveMappingOptions } from "./mapping-options.js";
export type { MappingWarning, MappingWarningCode } from "./mapping-warning.js";
export { envoyListenerName, envoyRouteConfigurationName, resourceNameFor } from "./resource-names.js";
export {
  defaultServiceSettings,
  type LbPolicyName,
  readServiceSettings,
  type ServiceSettings,
  serviceMetaKeys,
  serviceMetaPrefix,
  type UnhealthyMode,
  type UpstreamProtocol,
} from "./service-settings.js";
