import { fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { FilterConfigSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { HttpFilter } from "../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js";
import { grpcTypeUrls } from "./grpc-type-urls.js";
import { readStringFields } from "./read-string-fields.js";

// Mirrors @grpc/grpc-js-xds 1.14.1 src/http-filter.ts (getTopLevelFilterUrl, validateTopLevelFilter,
// validateOverrideFilter) with the filter registry that `register()` fills by default: router and
// fault injection on the client; RBAC is registered only with GRPC_XDS_EXPERIMENTAL_RBAC=true and
// has no client filter anyway. HTTPFault payloads are not parsed here (the type is not generated).

/** Type URLs with a client-side filter (registry entries with `httpFilterConstructor`). */
const CLIENT_FILTERS: ReadonlySet<string> = new Set([grpcTypeUrls.router, grpcTypeUrls.fault]);
/** Type URLs whose per-route override config gRPC can parse. */
const OVERRIDE_FILTERS: ReadonlySet<string> = new Set([grpcTypeUrls.router, grpcTypeUrls.fault]);

/** The filter type a config names: its own type URL, or the one inside a (udpa|xds) TypedStruct. */
function filterTypeUrl(config: Any): string {
  if (config.typeUrl === grpcTypeUrls.typedStructXds || config.typeUrl === grpcTypeUrls.typedStructUdpa) {
    return readStringFields(config.value, 1).at(-1) ?? "";
  }
  return config.typeUrl;
}

/** What gRPC's client-side HTTP filter handling decides about HttpConnectionManager filters and overrides. */
export const grpcHttpFilters = {
  /** The filter type URL of a top-level filter (TypedStruct unwrapped), or undefined when typed_config is unset or unreadable. */
  topLevelUrl(filter: HttpFilter): string | undefined {
    if (filter.configType.case !== "typedConfig") return undefined;
    try {
      return filterTypeUrl(filter.configType.value);
    } catch {
      return undefined;
    }
  },

  /** Mirrors validateTopLevelFilter(filter, client = true): an error text, or undefined when the filter is usable. */
  validateTopLevel(filter: HttpFilter): string | undefined {
    if (filter.configType.case !== "typedConfig") return `${filter.name} filter validation failed: typed_config unset`;
    const url = grpcHttpFilters.topLevelUrl(filter);
    if (url === undefined) return `${filter.name} filter validation failed: cannot parse TypedStruct`;
    if (CLIENT_FILTERS.has(url) || filter.isOptional) return undefined;
    return `${filter.name} filter validation failed: filter is not optional and gRPC has no client filter for ${url}`;
  },

  /** Mirrors validateOverrideFilter: an error text for a typed_per_filter_config entry gRPC would reject. */
  validateOverride(config: Any): string | undefined {
    let real = config;
    let optional = false;
    if (config.typeUrl === grpcTypeUrls.filterConfig) {
      try {
        const filterConfig = fromBinary(FilterConfigSchema, config.value);
        optional = filterConfig.isOptional;
        if (!filterConfig.config) return "FilterConfig config field is empty";
        real = filterConfig.config;
      } catch {
        return "failed to parse FilterConfig message";
      }
    }
    let url: string;
    try {
      url = filterTypeUrl(real);
    } catch {
      return "failed to parse TypedStruct message";
    }
    if (OVERRIDE_FILTERS.has(url) || optional) return undefined;
    return `filter is not optional and gRPC has no filter for type URL ${url}`;
  },
};
