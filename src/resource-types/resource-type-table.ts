import type { DescMessage } from "@bufbuild/protobuf";
import { ClusterSchema } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { ClusterLoadAssignmentSchema } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../gen/envoy/config/listener/v3/listener_pb.js";
import { RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";
import { clusterType, endpointType, listenerType, routeType, type XdsTypeUrl } from "./type-urls.js";

/** What every layer needs to know about one served resource type; one row per type, nowhere else. */
export interface ResourceType {
  readonly typeUrl: XdsTypeUrl;
  /** The name operators know the type by. */
  readonly shortName: "CDS" | "EDS" | "LDS" | "RDS";
  readonly schema: DescMessage;
  /**
   * State of the world: a response carries every subscribed resource (a missing one is deleted) and
   * the wildcard subscription exists. Otherwise responses may carry only what changed.
   */
  readonly fullStateInSotw: boolean;
  /**
   * The type whose resources this one's `references` name (a cluster its ClusterLoadAssignment, a
   * listener its RouteConfiguration); the snapshot consistency check and last-good fallback follow it.
   */
  readonly childType: XdsTypeUrl | undefined;
}

/**
 * The served types in ADS order — make before break: clusters first, then their endpoints (so a new
 * cluster can finish warming), then listeners and the routes that point at them. The order matters.
 */
export const resourceTypes: readonly ResourceType[] = Object.freeze([
  { typeUrl: clusterType, shortName: "CDS", schema: ClusterSchema, fullStateInSotw: true, childType: endpointType },
  { typeUrl: endpointType, shortName: "EDS", schema: ClusterLoadAssignmentSchema, fullStateInSotw: false, childType: undefined },
  { typeUrl: listenerType, shortName: "LDS", schema: ListenerSchema, fullStateInSotw: true, childType: routeType },
  { typeUrl: routeType, shortName: "RDS", schema: RouteConfigurationSchema, fullStateInSotw: false, childType: undefined },
] as const satisfies readonly ResourceType[]);

const byUrl = new Map<string, ResourceType>(resourceTypes.map((type) => [type.typeUrl, type]));

/** The served type URLs in ADS order. */
export const adsTypeOrder: readonly XdsTypeUrl[] = Object.freeze(resourceTypes.map((type) => type.typeUrl));

/** Parent → child type pairs (cluster → endpoint, listener → route), in ADS order. */
export const parentChildTypes: ReadonlyArray<readonly [XdsTypeUrl, XdsTypeUrl]> = Object.freeze(
  resourceTypes.flatMap((type) => (type.childType ? [[type.typeUrl, type.childType] as const] : [])),
);

/** The row of a served type. */
export function resourceType(typeUrl: XdsTypeUrl): ResourceType {
  return byUrl.get(typeUrl)!;
}

/** True for the type URLs the bridge serves. */
export function isXdsTypeUrl(typeUrl: string): typeUrl is XdsTypeUrl {
  return byUrl.has(typeUrl);
}

/** True for LDS and CDS (see {@link ResourceType.fullStateInSotw}). */
export function isFullStateType(typeUrl: XdsTypeUrl): boolean {
  return resourceType(typeUrl).fullStateInSotw;
}

/** True when resources of `typeUrl` are children of another type (endpoints, routes). */
export function isChildType(typeUrl: XdsTypeUrl): boolean {
  return parentChildTypes.some(([, child]) => child === typeUrl);
}

/** The short name operators know a type by (CDS, EDS, LDS, RDS); anything else as given, "(empty)" for "". */
export function shortTypeName(typeUrl: string): string {
  return byUrl.get(typeUrl)?.shortName ?? (typeUrl === "" ? "(empty)" : typeUrl);
}

/** One ADS send phase: "make" never removes a full-state resource, "break" does, "final" is the only phase of its type. */
export interface AdsPhase {
  readonly typeUrl: XdsTypeUrl;
  readonly mode: "make" | "break" | "final";
}

/**
 * The ADS send phases of incremental (delta) xDS, where every type can remove: each type's upserts
 * in ADS order, then the removals — of listeners and their routes before the clusters and endpoints
 * they stop using (parents in reverse order, each followed by its child).
 */
export const deltaAdsPhases: ReadonlyArray<{ readonly typeUrl: XdsTypeUrl; readonly mode: "make" | "break" }> = Object.freeze([
  ...resourceTypes.map((type) => ({ typeUrl: type.typeUrl, mode: "make" as const })),
  ...[...parentChildTypes].reverse().flatMap(([parent, child]) => [
    { typeUrl: parent, mode: "break" as const },
    { typeUrl: child, mode: "break" as const },
  ]),
]);

/**
 * The ADS send phases, derived from the table: every type in ADS order (full-state types in "make"
 * mode, keeping resources that are going away), then the removals of full-state types in reverse order
 * (listeners before the clusters they route to).
 */
export const adsPhases: readonly AdsPhase[] = Object.freeze([
  ...resourceTypes.map((type): AdsPhase => ({ typeUrl: type.typeUrl, mode: type.fullStateInSotw ? "make" : "final" })),
  ...resourceTypes
    .filter((type) => type.fullStateInSotw)
    .reverse()
    .map((type): AdsPhase => ({ typeUrl: type.typeUrl, mode: "break" })),
]);
