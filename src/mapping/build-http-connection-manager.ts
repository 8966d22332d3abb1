import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ApiVersion } from "../gen/envoy/config/core/v3/config_source_pb.js";
import { RouterSchema } from "../gen/envoy/extensions/filters/http/router/v3/router_pb.js";
import {
  type HttpConnectionManager,
  HttpConnectionManagerSchema,
} from "../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";

/** The router's filter name, as Envoy and grpc-js know it. */
export const routerFilterName = "envoy.filters.http.router";

/**
 * Builds an HttpConnectionManager that fetches `routeConfigName` over RDS on the ADS stream
 * (resource API V3) and ends its HTTP filters with the router (the only filter).
 */
export function buildHttpConnectionManager(statPrefix: string, routeConfigName: string): HttpConnectionManager {
  return create(HttpConnectionManagerSchema, {
    statPrefix,
    routeSpecifier: {
      case: "rds",
      value: { configSource: { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 }, routeConfigName },
    },
    httpFilters: [{ name: routerFilterName, configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } }],
  });
}
