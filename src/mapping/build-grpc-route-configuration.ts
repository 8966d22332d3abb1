import { create } from "@bufbuild/protobuf";
import { type RouteConfiguration, RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";
import { buildVirtualHost } from "./build-virtual-host.js";
import type { ServiceSettings } from "./service-settings.js";

/**
 * Builds the RouteConfiguration a proxyless gRPC client of `xds:///<name>` receives: named `name`,
 * one virtual host whose only domain is `name` (the target's authority, which grpc-js matches
 * against), routing every RPC to the service's cluster.
 */
export function buildGrpcRouteConfiguration(name: string, clusterName: string, settings: ServiceSettings): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name,
    virtualHosts: [buildVirtualHost({ name, domains: [name], clusterName, kind: "grpc", settings })],
  });
}
