import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";

/**
 * Which kind of xDS client a node is: a full Envoy proxy (HTTP listener, DNS clusters) or a
 * proxyless gRPC client (one api_listener per `xds:///` target). Each kind gets its own snapshot.
 */
export type ClientKind = "envoy" | "grpc";

/** Every client kind, in a fixed order (also the snapshot group names). */
export const clientKinds: readonly ClientKind[] = ["envoy", "grpc"];

/** The node metadata key that overrides detection: `"envoy"` or `"grpc"` (any other value is ignored). */
export const clientKindMetadataKey = "consul-xds-bridge.client-kind";

/** Options of {@link detectClientKind}. */
export interface ClientKindOptions {
  /** Kind of a node that names neither kind (no node, unknown user agent); default `"envoy"`. */
  defaultKind?: ClientKind;
  /** Node metadata key holding an explicit kind; default {@link clientKindMetadataKey}. */
  metadataKey?: string;
}

/** True for the strings that name a client kind. */
export function isClientKind(value: unknown): value is ClientKind {
  return value === "envoy" || value === "grpc";
}

/**
 * Decides a node's client kind: the metadata key when it holds `"envoy"` or `"grpc"`; else
 * `user_agent_name` — `envoy` for Envoy, names starting with `grpc` (grpc-js sends "gRPC Node Pure JS",
 * other gRPC languages "gRPC Go", "gRPC Java"…) for gRPC, case-insensitively; else the default kind.
 */
export function detectClientKind(node: Node | undefined, options: ClientKindOptions = {}): ClientKind {
  const override = node?.metadata?.[options.metadataKey ?? clientKindMetadataKey];
  if (typeof override === "string") {
    const value = override.trim().toLowerCase();
    if (isClientKind(value)) return value;
  }
  const agent = (node?.userAgentName ?? "").trim().toLowerCase();
  if (agent === "envoy") return "envoy";
  if (agent.startsWith("grpc")) return "grpc";
  return options.defaultKind ?? "envoy";
}
