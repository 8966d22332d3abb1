import type { ServiceInstance, ServiceState } from "./service-instance.js";

/**
 * The instances whose Service Meta and addresses shape a service's resources in one datacenter:
 * its instances, or, while it has none (a redeploy's gap, a vanished service kept through its
 * grace), the last ones it had, so those resources do not change while only its endpoints are gone.
 */
export function settingInstances(state: ServiceState): readonly ServiceInstance[] {
  return state.instances.length === 0 ? (state.lastInstances ?? []) : state.instances;
}
