// Shared by the mapping and publish tests: map Consul-shaped inputs and assert that every resource
// produced is valid for the client kind it goes to (Envoy's rules; Envoy's plus grpc-js-xds's for
// gRPC, with the target authority), plus the cross-resource rules Envoy enforces at load time.
import assert from "node:assert/strict";
import type { LbEndpoint } from "../../src/gen/envoy/config/endpoint/v3/endpoint_components_pb.js";
import type { ClusterLoadAssignment } from "../../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import type { RouteConfiguration } from "../../src/gen/envoy/config/route/v3/route_pb.js";
import { type MappingOptions, type ModelMapping, mapModel, resolveMappingOptions } from "../../src/mapping/index.js";
import { validateDraft } from "../../src/publish/index.js";
import { type HealthEntryJson, modelOf } from "./consul-entries.js";

/**
 * Asserts that every resource of a mapping passes the publisher's own validation gate for its client
 * kind (with what the builders pass it, e.g. a gRPC route configuration's authority), and Envoy's
 * load-time rules.
 */
export function assertAllValid(mapping: ModelMapping): void {
  for (const kind of ["envoy", "grpc"] as const) {
    const resources = mapping[kind];
    for (const draft of resources.drafts) {
      const result = validateDraft(draft, kind);
      assert.ok(
        result.valid,
        `${draft.message.$typeName} ${draft.name} for ${kind} is invalid: ${result.valid ? "" : JSON.stringify(result.errors)}`,
      );
    }
    assertUnique(
      resources.clusters.map((c) => c.name),
      `${kind} cluster names`,
    );
    assertUnique(
      resources.assignments.map((c) => c.clusterName),
      `${kind} assignment names`,
    );
    assertUnique(
      resources.listeners.map((l) => l.name),
      `${kind} listener names`,
    );
    assertUnique(
      resources.routeConfigurations.map((r) => r.name),
      `${kind} route configuration names`,
    );
    for (const route of resources.routeConfigurations) assertRouteConfigurationLoads(route);
  }
}

/** Envoy's load-time checks on a route configuration: virtual host names and domains unique (domains case-insensitively). */
export function assertRouteConfigurationLoads(route: RouteConfiguration): void {
  assertUnique(
    route.virtualHosts.map((v) => v.name),
    `virtual host names of ${route.name}`,
  );
  assertUnique(
    route.virtualHosts.flatMap((v) => v.domains.map((d) => d.toLowerCase())),
    `domains of ${route.name}`,
  );
}

function assertUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    assert.ok(!seen.has(value), `duplicate in ${what}: ${value}`);
    seen.add(value);
  }
}

/** Maps health entries (grouped into a synced model) and asserts every resource valid. */
export function mapEntries(
  entries: readonly HealthEntryJson[],
  options: {
    localDatacenter?: string;
    failoverDatacenters?: readonly string[];
    services?: Record<string, readonly string[]>;
    mapping?: MappingOptions;
  } = {},
): ModelMapping {
  const model = modelOf(entries, options);
  const mapping = mapModel(model.view(), resolveMappingOptions(options.mapping));
  assertAllValid(mapping);
  return mapping;
}

/** A compact view of one endpoint: "address:port" plus health and weight. */
export interface EndpointSummary {
  address: string;
  health: number;
  weight: number | undefined;
}

/** The endpoints of an assignment per priority, with locality and weights: what the tables compare. */
export function summarize(
  assignment: ClusterLoadAssignment,
): Array<{ priority: number; region: string; zone: string; weight: number | undefined; endpoints: EndpointSummary[] }> {
  return assignment.endpoints.map((group) => ({
    priority: group.priority,
    region: group.locality?.region ?? "",
    zone: group.locality?.zone ?? "",
    weight: group.loadBalancingWeight,
    endpoints: group.lbEndpoints.map(endpointSummary),
  }));
}

function endpointSummary(lbEndpoint: LbEndpoint): EndpointSummary {
  const endpoint = lbEndpoint.hostIdentifier.case === "endpoint" ? lbEndpoint.hostIdentifier.value : undefined;
  const socket = endpoint?.address?.address.case === "socketAddress" ? endpoint.address.address.value : undefined;
  const port = socket?.portSpecifier.case === "portValue" ? socket.portSpecifier.value : 0;
  return { address: `${socket?.address ?? "?"}:${port}`, health: lbEndpoint.healthStatus, weight: lbEndpoint.loadBalancingWeight };
}

/** Every "address:port" of an assignment, in order. */
export function addressesOf(assignment: ClusterLoadAssignment): string[] {
  return assignment.endpoints.flatMap((group) => group.lbEndpoints.map((e) => endpointSummary(e).address));
}
