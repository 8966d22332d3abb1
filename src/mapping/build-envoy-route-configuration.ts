import { create } from "@bufbuild/protobuf";
import type { VirtualHost } from "../gen/envoy/config/route/v3/route_components_pb.js";
import { type RouteConfiguration, RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";
import { envoyRouteConfigurationName } from "./resource-names.js";

/**
 * Builds the RouteConfiguration of Envoy's HTTP listener from one virtual host per service. Called
 * with no virtual hosts it gives the "shell" whose encoding an incremental publisher extends with
 * pre-encoded virtual hosts (field 2, one length-delimited record each): keep every other field out
 * of it, or such assembled bytes stop matching this message's own encoding.
 */
export function buildEnvoyRouteConfiguration(virtualHosts: readonly VirtualHost[]): RouteConfiguration {
  return create(RouteConfigurationSchema, { name: envoyRouteConfigurationName, virtualHosts: [...virtualHosts] });
}
