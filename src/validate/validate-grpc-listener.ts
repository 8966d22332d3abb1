import { fromBinary } from "@bufbuild/protobuf";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.js";
import {
  type HttpConnectionManager,
  HttpConnectionManagerSchema,
} from "../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { grpcHttpFilters } from "./grpc-http-filters.js";
import { grpcTypeUrls } from "./grpc-type-urls.js";
import { type GrpcRouteConfigurationOptions, grpcRouteConfigurationErrors } from "./validate-grpc-route-configuration.js";
import { toValidationResult, type ValidationError, type ValidationResult } from "./validation-result.js";

// Mirrors @grpc/grpc-js-xds 1.14.1 src/xds-resource-type/listener-resource-type.ts
// (ListenerResourceType.validateResource and validateHttpConnectionManager with client = true,
// gRFC A27/A39) with its defaults (fault injection support on). Server-side listeners (filter
// chains, for xDS-enabled gRPC servers) are out of scope: the bridge never sends them to gRPC.

/** Options of {@link validateGrpcListener}; `authority` is checked against an inline route_config. */
export type GrpcListenerOptions = GrpcRouteConfigurationOptions;

/** The HttpConnectionManager checks of validateHttpConnectionManager(hcm, client = true). */
function httpConnectionManagerErrors(hcm: HttpConnectionManager, prefix: string, options: GrpcListenerOptions): ValidationError[] {
  const errors: ValidationError[] = [];
  const names = new Set<string>();
  const last = hcm.httpFilters.length - 1;
  hcm.httpFilters.forEach((filter, i) => {
    const path = `${prefix}.http_filters[${i}]`;
    if (names.has(filter.name)) errors.push({ path: `${path}.name`, message: `duplicate HTTP filter name: ${filter.name}` });
    names.add(filter.name);
    const problem = grpcHttpFilters.validateTopLevel(filter);
    if (problem) errors.push({ path, message: problem });
    const url = grpcHttpFilters.topLevelUrl(filter);
    if (i < last && url === grpcTypeUrls.router) errors.push({ path, message: "router filter is before the end of the list" });
    if (i === last && url !== grpcTypeUrls.router) errors.push({ path, message: `final filter is ${url ?? "unset"}, not the router` });
  });
  if (hcm.httpFilters.length === 0) {
    errors.push({
      path: `${prefix}.http_filters`,
      message: "no HTTP filters: the router filter must be last (bridge rule; grpc-js-xds accepts an empty list)",
    });
  }
  const specifier = hcm.routeSpecifier;
  switch (specifier.case) {
    case "rds": {
      const source = specifier.value.configSource?.configSourceSpecifier.case;
      if (source !== "ads" && source !== "self") {
        errors.push({ path: `${prefix}.rds.config_source`, message: "rds.config_source.ads and rds.config_source.self both unset" });
      }
      break;
    }
    case "routeConfig":
      errors.push(...grpcRouteConfigurationErrors(specifier.value, `${prefix}.route_config`, options));
      break;
    default:
      errors.push({ path: prefix, message: `unexpected route_specifier ${specifier.case ?? "unset"}` });
  }
  return errors;
}

/**
 * Checks a Listener bound for proxyless gRPC clients against what @grpc/grpc-js-xds 1.14.1 accepts:
 * an `api_listener` holding an HttpConnectionManager whose filters have unique names, are all
 * supported on the client (or optional) and end with the router, with RDS over ADS/self or a valid
 * inline route_config; no listener filters, no use_original_dst.
 */
export function validateGrpcListener(listener: Listener, options: GrpcListenerOptions = {}): ValidationResult {
  const errors: ValidationError[] = [];
  const packed = listener.apiListener?.apiListener;
  if (packed) {
    if (packed.typeUrl === grpcTypeUrls.httpConnectionManager) {
      let hcm: HttpConnectionManager | undefined;
      try {
        hcm = fromBinary(HttpConnectionManagerSchema, packed.value);
      } catch (error) {
        errors.push({ path: "api_listener.api_listener", message: `cannot decode HttpConnectionManager: ${(error as Error).message}` });
      }
      if (hcm) errors.push(...httpConnectionManagerErrors(hcm, "api_listener.api_listener", options));
    } else {
      errors.push({
        path: "api_listener.api_listener",
        message: `api_listener.api_listener.type_url != ${grpcTypeUrls.httpConnectionManager}`,
      });
    }
  } else {
    errors.push({
      path: listener.apiListener ? "api_listener.api_listener" : "api_listener",
      message:
        "value is required: a gRPC client treats a listener without an api_listener HttpConnectionManager as nonexistent (bridge rule; grpc-js-xds ACKs it)",
    });
  }
  if (listener.listenerFilters.length > 0) errors.push({ path: "listener_filters", message: "listener_filters populated" });
  if (listener.useOriginalDst === true) errors.push({ path: "use_original_dst", message: "use_original_dst.value == true" });
  if (listener.filterChains.length > 0 || listener.defaultFilterChain) {
    errors.push({
      path: listener.filterChains.length > 0 ? "filter_chains" : "default_filter_chain",
      message:
        "server-side filter chains are not validated for gRPC: the bridge sends gRPC clients api_listener listeners only (bridge rule)",
    });
  }
  return toValidationResult(errors);
}
