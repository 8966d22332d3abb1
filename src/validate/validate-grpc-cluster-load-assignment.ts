import { isIPv4, isIPv6 } from "node:net";
import type { Address } from "../gen/envoy/config/core/v3/address_pb.js";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { toValidationResult, type ValidationError, type ValidationResult } from "./validation-result.js";

// Mirrors @grpc/grpc-js-xds 1.14.1 src/xds-resource-type/endpoint-resource-type.ts
// (EndpointResourceType.validateResource and validateAddress, gRFC A27/A61) with its default of
// dual-stack endpoints on, plus one bridge rule: a locality without a load_balancing_weight ≥ 1 is
// ACKed by grpc-js and then silently dropped, so it is reported here.

const UINT32_MAX = 0xffffffff;

/** Options of {@link validateGrpcClusterLoadAssignment}. */
export interface GrpcClusterLoadAssignmentOptions {
  /**
   * Report localities without a `load_balancing_weight` ≥ 1 (default true). grpc-js accepts them and
   * then ignores the locality (RPCs fail with "priority policy has empty priority list"); turn off
   * only to compare with grpc-js's own verdict.
   */
  requireLocalityWeight?: boolean;
}

/** Checks one address like validateAddress: port_value set, IP literal, not seen before in this CLA. */
function addressErrors(address: Address | undefined, path: string, seen: Set<string>, errors: ValidationError[]): void {
  if (address?.address.case !== "socketAddress") {
    errors.push({ path, message: "socket_address not set" });
    return;
  }
  const socket = address.address.value;
  const at = `${path}.socket_address`;
  if (socket.portSpecifier.case !== "portValue") {
    errors.push({ path: `${at}.port_value`, message: `Unsupported port_specifier: ${socket.portSpecifier.case ?? "unset"}` });
  }
  if (!(isIPv4(socket.address) || isIPv6(socket.address))) {
    errors.push({ path: `${at}.address`, message: `address is not a valid IPv4 or IPv6 address: ${socket.address}` });
  }
  // grpc-js compares the address text and port_value (0 when a named port is used).
  const port = socket.portSpecifier.case === "portValue" ? socket.portSpecifier.value : 0;
  const key = `${socket.address}\u0000${port}`;
  if (seen.has(key)) {
    errors.push({
      path: at,
      message: `address is a duplicate of another address in the same ClusterLoadAssignment: ${socket.address}:${port}`,
    });
  }
  seen.add(key);
}

/**
 * Checks a ClusterLoadAssignment bound for proxyless gRPC clients against what @grpc/grpc-js-xds
 * 1.14.1 accepts: every locality set and unique per priority, priorities contiguous from 0, total
 * weight per priority ≤ UINT32_MAX, every endpoint (and additional address) an IP-literal
 * socket_address with port_value, addresses unique in the whole CLA; plus locality weight ≥ 1.
 */
export function validateGrpcClusterLoadAssignment(
  assignment: ClusterLoadAssignment,
  options: GrpcClusterLoadAssignmentOptions = {},
): ValidationResult {
  const requireWeight = options.requireLocalityWeight ?? true;
  const errors: ValidationError[] = [];
  const seenLocalities = new Set<string>();
  const seenAddresses = new Set<string>();
  const totalWeights = new Map<number, number>();
  assignment.endpoints.forEach((group, index) => {
    const path = `endpoints[${index}]`;
    const locality = group.locality;
    if (!locality) {
      errors.push({ path: `${path}.locality`, message: "locality unset" });
      return;
    }
    const localityKey = JSON.stringify([locality.region, locality.zone, locality.subZone, group.priority]);
    if (seenLocalities.has(localityKey)) {
      errors.push({ path: `${path}.locality`, message: `locality is a duplicate of another locality at priority ${group.priority}` });
    }
    seenLocalities.add(localityKey);
    if (requireWeight && !(group.loadBalancingWeight !== undefined && group.loadBalancingWeight >= 1)) {
      errors.push({
        path: `${path}.load_balancing_weight`,
        message: `locality weight must be at least 1 (got ${group.loadBalancingWeight ?? "unset"}): grpc-js silently drops unweighted localities (bridge rule)`,
      });
    }
    group.lbEndpoints.forEach((lbEndpoint, lbIndex) => {
      const endpointPath = `${path}.lb_endpoints[${lbIndex}].endpoint`;
      const endpoint = lbEndpoint.hostIdentifier.case === "endpoint" ? lbEndpoint.hostIdentifier.value : undefined;
      addressErrors(endpoint?.address, `${endpointPath}.address`, seenAddresses, errors);
      endpoint?.additionalAddresses.forEach((additional, a) => {
        addressErrors(additional.address, `${endpointPath}.additional_addresses[${a}].address`, seenAddresses, errors);
      });
    });
    totalWeights.set(group.priority, (totalWeights.get(group.priority) ?? 0) + (group.loadBalancingWeight ?? 0));
  });
  for (const [priority, total] of totalWeights) {
    if (total > UINT32_MAX)
      errors.push({ path: "endpoints", message: `priority ${priority} has total weight greater than UINT32_MAX: ${total}` });
    if (priority > 0 && !totalWeights.has(priority - 1)) {
      errors.push({ path: "endpoints", message: `Endpoints have priority ${priority} but not ${priority - 1}` });
    }
  }
  return toValidationResult(errors);
}
