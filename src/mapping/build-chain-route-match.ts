import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type HeaderMatcherSchema, type RouteMatch, RouteMatchSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import type { HeaderMatch, HttpRouteMatch } from "../model/config-entry.js";
import type { ClientKind } from "./client-kind.js";

/** Why a route cannot be given to gRPC clients at all (it could never match a gRPC call). */
export interface UnmatchableRoute {
  readonly field: string;
  readonly reason: string;
}

/**
 * Builds the RouteMatch of a chain route, as Consul's makeRouteMatchForDiscoveryRoute does:
 * PathExact → `path`, PathPrefix → `prefix`, PathRegex → `safe_regex`, else prefix `/` (`""` for
 * the catch-all of a gRPC route configuration, gRPC's own catch-all); headers; methods as a
 * `:method` regex; query parameters. Envoy gets `string_match` header matchers; gRPC clients get the
 * older per-kind specifiers (exact_match, prefix_match…), which grpc-js and C-core 1.51 both read.
 * For gRPC, whose calls are always POST and never carry a query string, `Methods` is decided here
 * and a route that could never match is returned as unmatchable instead.
 */
export function buildChainRouteMatch(match: HttpRouteMatch | undefined, kind: ClientKind): RouteMatch | UnmatchableRoute {
  if (!match) return create(RouteMatchSchema, { pathSpecifier: { case: "prefix", value: kind === "envoy" ? "/" : "" } });
  const headers = match.header.map((header) => headerMatcher(header, kind));
  if (match.methods.length > 0) {
    if (kind === "grpc") {
      if (!match.methods.includes("POST")) {
        return {
          field: "Match.HTTP.Methods",
          reason: `gRPC calls are POST requests, so a route for ${match.methods.join(", ")} never matches one`,
        };
      }
    } else {
      headers.push({
        name: ":method",
        headerMatchSpecifier: {
          case: "stringMatch",
          value: { matchPattern: { case: "safeRegex", value: { regex: match.methods.join("|") } } },
        },
      });
    }
  }
  if (kind === "grpc" && match.queryParam.length > 0) {
    return {
      field: "Match.HTTP.QueryParam",
      reason: "gRPC calls carry no query string, so a route on query parameters never matches one (gRFC A28 ignores them)",
    };
  }
  const pathSpecifier: MessageInitShape<typeof RouteMatchSchema>["pathSpecifier"] =
    match.pathExact !== undefined
      ? { case: "path", value: match.pathExact }
      : match.pathPrefix !== undefined
        ? { case: "prefix", value: match.pathPrefix }
        : match.pathRegex !== undefined
          ? { case: "safeRegex", value: { regex: match.pathRegex } }
          : { case: "prefix", value: "/" };
  return create(RouteMatchSchema, {
    pathSpecifier,
    ...(match.caseInsensitive ? { caseSensitive: false } : {}),
    headers,
    queryParameters: match.queryParam.map((param) => ({
      name: param.name,
      queryParameterMatchSpecifier:
        param.exact !== undefined
          ? { case: "stringMatch" as const, value: { matchPattern: { case: "exact" as const, value: param.exact } } }
          : param.regex !== undefined
            ? { case: "stringMatch" as const, value: { matchPattern: { case: "safeRegex" as const, value: { regex: param.regex } } } }
            : { case: "presentMatch" as const, value: true },
    })),
  });
}

/** True when {@link buildChainRouteMatch} refused the route. */
export function isUnmatchable(match: RouteMatch | UnmatchableRoute): match is UnmatchableRoute {
  return "reason" in match;
}

type HeaderMatcherInit = MessageInitShape<typeof HeaderMatcherSchema>;

function headerMatcher(header: HeaderMatch, kind: ClientKind): HeaderMatcherInit {
  let specifier: HeaderMatcherInit["headerMatchSpecifier"];
  if (kind === "envoy") {
    const pattern =
      header.exact !== undefined
        ? ({ case: "exact", value: header.exact } as const)
        : header.regex !== undefined
          ? ({ case: "safeRegex", value: { regex: header.regex } } as const)
          : header.prefix !== undefined
            ? ({ case: "prefix", value: header.prefix } as const)
            : header.suffix !== undefined
              ? ({ case: "suffix", value: header.suffix } as const)
              : undefined;
    specifier = pattern ? { case: "stringMatch", value: { matchPattern: pattern } } : { case: "presentMatch", value: true };
  } else {
    specifier =
      header.exact !== undefined
        ? { case: "exactMatch", value: header.exact }
        : header.regex !== undefined
          ? { case: "safeRegexMatch", value: { regex: header.regex } }
          : header.prefix !== undefined
            ? { case: "prefixMatch", value: header.prefix }
            : header.suffix !== undefined
              ? { case: "suffixMatch", value: header.suffix }
              : { case: "presentMatch", value: true };
  }
  return { name: header.name.toLowerCase(), headerMatchSpecifier: specifier, invertMatch: header.invert };
}
