import type { ServiceInstance } from "./service-instance.js";

/** Which instances receive traffic: the one place where the bridge decides that. */
export interface HealthPolicy {
  /** Route to instances with a warning check, at their `Weights.Warning` (default false: passing only). */
  readonly routeWarning: boolean;
}

/** The default policy: only instances whose every check passes are routable. */
export const passingOnly: HealthPolicy = { routeWarning: false };

/** Envoy refuses endpoint weights above this; Consul caps its own xDS weights here too. */
export const maxEndpointWeight = 128;

/** The routing decision for one instance. */
export type Routability = { readonly routable: true; readonly weight: number } | { readonly routable: false; readonly reason: string };

/**
 * Applies Consul's own weight mapping (agent/xds/endpoints.go) under a policy: maintenance or any
 * critical check → not routable; a warning check → `Weights.Warning` when the policy routes warnings,
 * else not routable; passing → `Weights.Passing`; a weight below 1 → not routable; capped at 128.
 */
export function routability(instance: ServiceInstance, policy: HealthPolicy): Routability {
  const { health, weights } = instance;
  if (health.maintenance !== "none") return { routable: false, reason: `${health.maintenance} maintenance` };
  if (health.status === "critical") return { routable: false, reason: "critical check" };
  if (health.status === "warning" && !policy.routeWarning) return { routable: false, reason: "warning check" };
  const weight = health.status === "warning" ? weights.warning : weights.passing;
  if (!Number.isFinite(weight) || weight < 1) return { routable: false, reason: `weight ${weight}` };
  return { routable: true, weight: Math.min(Math.floor(weight), maxEndpointWeight) };
}
