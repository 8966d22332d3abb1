import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { SocketAddress_Protocol } from "../gen/envoy/config/core/v3/address_pb.js";
import { type Listener, ListenerSchema } from "../gen/envoy/config/listener/v3/listener_pb.js";
import { HttpConnectionManagerSchema } from "../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { buildHttpConnectionManager } from "./build-http-connection-manager.js";
import { envoyListenerName, envoyRouteConfigurationName } from "./resource-names.js";

/** Where Envoy's HTTP listener binds. */
export interface EnvoyListenerAddress {
  /** IP literal; default `0.0.0.0`. */
  readonly address: string;
  /** 1–65535; default 10000. */
  readonly port: number;
}

/**
 * Builds Envoy's single HTTP listener: binds `address:port` (`::` with IPv4 compatibility), one filter chain with an
 * HttpConnectionManager that takes the bridge's RouteConfiguration over RDS (ADS, V3), router last.
 */
export function buildEnvoyListener(bind: EnvoyListenerAddress): Listener {
  const manager = buildHttpConnectionManager("consul_xds_bridge_http", envoyRouteConfigurationName);
  return create(ListenerSchema, {
    name: envoyListenerName,
    address: {
      address: {
        case: "socketAddress",
        value: {
          protocol: SocketAddress_Protocol.TCP,
          address: bind.address,
          portSpecifier: { case: "portValue", value: bind.port },
          // `::` also accepts IPv4 connections, as `0.0.0.0` users would expect of "all addresses".
          ipv4Compat: bind.address === "::",
        },
      },
    },
    filterChains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, manager) },
          },
        ],
      },
    ],
  });
}
