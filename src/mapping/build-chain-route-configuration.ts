import { create, toBinary } from "@bufbuild/protobuf";
import { type Route, VirtualHostSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import { type RouteConfiguration, RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";

/**
 * A RouteConfiguration holding one virtual host with a chain's routes: what a proxyless gRPC client
 * of `xds:///<name>` gets (`name` and the only domain are the target's authority), and what Envoy
 * gets when a single virtual host is checked on its own.
 */
export function buildChainRouteConfiguration(
  name: string,
  virtualHost: string,
  domains: readonly string[],
  routes: readonly Route[],
): RouteConfiguration {
  return create(RouteConfigurationSchema, { name, virtualHosts: [{ name: virtualHost, domains: [...domains], routes: [...routes] }] });
}

/** A key equal for equal route lists (their encoding), so a virtual host is rebuilt only when its routes change. */
export function chainRoutesKey(routes: readonly Route[]): string {
  return Buffer.from(toBinary(VirtualHostSchema, create(VirtualHostSchema, { routes: [...routes] }))).toString("base64");
}
