import { create } from "@bufbuild/protobuf";
import { RouteSchema, type VirtualHost, VirtualHostSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { ClientKind } from "./client-kind.js";
import type { ServiceSettings } from "./service-settings.js";

/** Input of {@link buildVirtualHost}. */
export interface VirtualHostInput {
  /** Virtual host name (the service's resource name: unique within a route configuration). */
  readonly name: string;
  readonly domains: readonly string[];
  readonly clusterName: string;
  readonly kind: ClientKind;
  readonly settings: ServiceSettings;
}

/**
 * Builds the virtual host routing every request for `domains` to one cluster: prefix `/` for Envoy,
 * `""` for gRPC (gRPC paths always start with `/`, and "" is its catch-all); for Envoy in front of a
 * gRPC upstream the route timeout is disabled (0s) so streams outlive Envoy's 15 s default; with
 * `ring_hash` and a hash header, a header hash policy.
 */
export function buildVirtualHost(input: VirtualHostInput): VirtualHost {
  const { settings } = input;
  const route = create(RouteSchema, {
    match: { pathSpecifier: { case: "prefix", value: input.kind === "envoy" ? "/" : "" } },
    action: {
      case: "route",
      value: {
        clusterSpecifier: { case: "cluster", value: input.clusterName },
        timeout: input.kind === "envoy" && settings.protocol === "grpc" ? { seconds: 0n, nanos: 0 } : undefined,
        hashPolicy:
          settings.lbPolicy === "ring_hash" && settings.hashHeader !== undefined
            ? [{ policySpecifier: { case: "header", value: { headerName: settings.hashHeader } } }]
            : [],
      },
    },
  });
  return create(VirtualHostSchema, { name: input.name, domains: [...input.domains], routes: [route] });
}
