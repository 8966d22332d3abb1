import { createRegistry, type DescFile, type Registry } from "@bufbuild/protobuf";
import { file_envoy_config_bootstrap_v3_bootstrap } from "../gen/envoy/config/bootstrap/v3/bootstrap_pb.js";
import { file_envoy_config_cluster_v3_cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { file_envoy_config_endpoint_v3_endpoint } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { file_envoy_config_listener_v3_listener } from "../gen/envoy/config/listener/v3/listener_pb.js";
import { file_envoy_config_route_v3_route } from "../gen/envoy/config/route/v3/route_pb.js";
import { file_envoy_config_route_v3_scoped_route } from "../gen/envoy/config/route/v3/scoped_route_pb.js";
import { file_envoy_extensions_filters_http_router_v3_router } from "../gen/envoy/extensions/filters/http/router/v3/router_pb.js";
import { file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager } from "../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { file_envoy_extensions_transport_sockets_tls_v3_secret } from "../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js";
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from "../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import { file_envoy_service_discovery_v3_discovery } from "../gen/envoy/service/discovery/v3/discovery_pb.js";

/** The generated files whose types (and, through imports, their dependencies' types) can appear in a resource. */
const ROOT_FILES: readonly DescFile[] = [
  file_envoy_config_bootstrap_v3_bootstrap,
  file_envoy_config_cluster_v3_cluster,
  file_envoy_config_endpoint_v3_endpoint,
  file_envoy_config_listener_v3_listener,
  file_envoy_config_route_v3_route,
  file_envoy_config_route_v3_scoped_route,
  file_envoy_extensions_filters_http_router_v3_router,
  file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager,
  file_envoy_extensions_transport_sockets_tls_v3_secret,
  file_envoy_extensions_upstreams_http_v3_http_protocol_options,
  file_envoy_service_discovery_v3_discovery,
];

let shared: Registry | undefined;

/** Collects files and, transitively, everything they import. */
function withDependencies(files: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return;
    seen.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  files.forEach(visit);
  return [...seen.values()];
}

/**
 * Every message type generated under src/gen for Envoy (resources, typed_config payloads such as
 * HttpConnectionManager and Router, and the well-known types), built once: the registry `Any`
 * payloads are unpacked through. Extra files widen it, e.g. for a filter the bridge starts to emit.
 */
export function envoyTypeRegistry(...extraFiles: DescFile[]): Registry {
  if (extraFiles.length > 0) return createRegistry(...withDependencies([...ROOT_FILES, ...extraFiles]));
  shared ??= createRegistry(...withDependencies(ROOT_FILES));
  return shared;
}
