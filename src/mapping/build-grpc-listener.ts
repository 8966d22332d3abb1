import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type Listener, ListenerSchema } from "../gen/envoy/config/listener/v3/listener_pb.js";
import { HttpConnectionManagerSchema } from "../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { buildHttpConnectionManager } from "./build-http-connection-manager.js";

/**
 * Builds the Listener a proxyless gRPC client resolves for `xds:///<name>`: named exactly `name`,
 * an api_listener HttpConnectionManager that takes RouteConfiguration `routeConfigName` over ADS.
 */
export function buildGrpcListener(name: string, routeConfigName: string): Listener {
  return create(ListenerSchema, {
    name,
    apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, buildHttpConnectionManager(name, routeConfigName)) },
  });
}
