import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";
import { type ClientKind, type ClientKindOptions, detectClientKind } from "../mapping/index.js";

/**
 * The SnapshotCache `nodeGroup` function that matches the publisher's groups: each client lands in
 * the group named after its kind (`"envoy"` or `"grpc"`, see detectClientKind), so Envoy never sees
 * gRPC api_listeners and gRPC clients never see Envoy's HTTP listener.
 */
export function createClientKindNodeGroup(options: ClientKindOptions = {}): (node: Node | undefined) => ClientKind {
  return (node) => detectClientKind(node, options);
}
