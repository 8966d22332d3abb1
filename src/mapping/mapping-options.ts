import { isIP } from "node:net";
import { type HealthPolicy, passingOnly } from "../model/health-policy.js";
import type { EnvoyListenerAddress } from "./build-envoy-listener.js";

/** Options of the mapping from the model to xDS resources. */
export interface MappingOptions {
  /** Which instances are routable; default {@link passingOnly}. */
  healthPolicy?: HealthPolicy;
  /** Node-meta key whose value becomes the endpoint locality's zone; default `zone`. */
  zoneMetaKey?: string;
  /** Where Envoy's HTTP listener binds; default `0.0.0.0:10000`. */
  envoyListener?: Partial<EnvoyListenerAddress>;
}

/** {@link MappingOptions} with every default filled in and checked. */
export interface ResolvedMappingOptions {
  readonly healthPolicy: HealthPolicy;
  readonly zoneMetaKey: string;
  readonly envoyListener: EnvoyListenerAddress;
}

/** Fills in defaults and checks the listener address; throws on a configuration error (not on data). */
export function resolveMappingOptions(options: MappingOptions = {}): ResolvedMappingOptions {
  const address = options.envoyListener?.address ?? "0.0.0.0";
  const port = options.envoyListener?.port ?? 10000;
  if (isIP(address) === 0) throw new Error(`Envoy listener address must be an IP literal, got ${JSON.stringify(address)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Envoy listener port must be 1–65535, got ${port}`);
  return Object.freeze({
    healthPolicy: options.healthPolicy ?? passingOnly,
    zoneMetaKey: options.zoneMetaKey ?? "zone",
    envoyListener: Object.freeze({ address, port }),
  });
}
