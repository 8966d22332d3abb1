import { clusterType, endpointType, listenerType, routeType } from "../resource-types/index.js";
import { chainDrafts } from "./chain-drafts.js";
import type { ClientKindBuilder, ResourceDraft, ServiceContribution } from "./client-kind-builder.js";
import type { ServiceMapping } from "./map-service.js";

/**
 * The proxyless gRPC builder: per service a client of `xds:///<name>` resolves a listener named
 * `<name>`, its route configuration (validated against that authority, as the client dials it),
 * the cluster and its assignment — and, for a name escaping changed, the same listener and route
 * configuration under the percent-decoded spelling that gRPC C-core asks for (see
 * GrpcServiceResources.decodedAlias). Services whose instances are all hostnames are not served (gRPC
 * takes IP literals only). gRPC clients have no shared resources.
 */
export function createGrpcBuilder(): ClientKindBuilder {
  return {
    kind: "grpc",
    fixedResources: [],
    assembly: undefined,
    contribute(mapping: ServiceMapping): ServiceContribution {
      const grpc = mapping.grpc;
      if (!grpc) return { resources: [] };
      const name = mapping.resourceName;
      const chain = mapping.chain?.grpc;
      const resources: ResourceDraft[] = [
        ...(chain
          ? chainDrafts(chain.clusters, chain.assignments)
          : ([
              { typeUrl: clusterType, name, message: grpc.cluster, references: [name] },
              { typeUrl: endpointType, name, message: grpc.assignment, references: [] },
            ] satisfies ResourceDraft[])),
        { typeUrl: listenerType, name, message: grpc.listener, references: [name] },
        { typeUrl: routeType, name, message: grpc.routeConfiguration, references: [], authority: name },
      ];
      const alias = grpc.decodedAlias;
      if (alias) {
        resources.push(
          { typeUrl: listenerType, name: alias.name, message: alias.listener, references: [alias.name] },
          { typeUrl: routeType, name: alias.name, message: alias.routeConfiguration, references: [], authority: alias.name },
        );
      }
      return { resources };
    },
  };
}
