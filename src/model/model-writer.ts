import type { ReadOrigin } from "./provenance.js";
import type { ServiceInstance } from "./service-instance.js";

/**
 * What a catalog source writes services through: the {@link ServiceModel} itself, or something in
 * front of it that decides when a write reaches it (the bridge's WithdrawalGuard). Reads answer
 * with what the source last wrote, so a source builds on its own writes either way.
 */
export interface ModelWriter {
  /** Replaces the instances of `name` in `datacenter`; returns whether that changed anything. */
  setService(datacenter: string, name: string, instances: readonly ServiceInstance[], origin?: ReadOrigin): boolean;
  /** Removes `name` from `datacenter`; returns whether it was known. */
  removeService(datacenter: string, name: string, origin?: ReadOrigin): boolean;
  /** The instances last written for `name` in `datacenter`, or undefined when none are known. */
  instancesIn(datacenter: string, name: string): readonly ServiceInstance[] | undefined;
}
