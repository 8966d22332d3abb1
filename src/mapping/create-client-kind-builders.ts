import type { ClientKindBuilder } from "./client-kind-builder.js";
import { createEnvoyBuilder } from "./envoy-builder.js";
import { createGrpcBuilder } from "./grpc-builder.js";
import type { ResolvedMappingOptions } from "./mapping-options.js";

/** The client kinds the bridge serves, each with its builder: Envoy first (its snapshots are the base the others share). */
export function createClientKindBuilders(options: ResolvedMappingOptions): ClientKindBuilder[] {
  return [createEnvoyBuilder(options), createGrpcBuilder()];
}
