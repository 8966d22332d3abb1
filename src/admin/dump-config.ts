import { create, fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type DumpConfigResponse, DumpConfigResponseSchema, TypeConfigSchema } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import { clientKinds, isClientKind } from "../mapping/index.js";
import { truncateForLog } from "../observe/truncate-for-log.js";
import { adsTypeOrder, provenanceOf, type Snapshot, shortTypeName, type XdsTypeUrl } from "../snapshot/index.js";
import type { StreamStatus } from "../xds/index.js";
import { provenanceMessage } from "./provenance-message.js";

/**
 * What one connected node was sent, per type: the names it holds or asked for, the resources of
 * the version last sent and that version, exactly as ListClients and `status` report it (both read
 * the same stream state). For a type served on several of the node's streams, the newest wins.
 */
export function dumpNodeConfig(streams: readonly StreamStatus[], nodeId: string): DumpConfigResponse {
  const own = streams.filter((stream) => stream.info.node?.id === nodeId).sort((a, b) => b.info.id - a.info.id);
  if (own.length === 0) {
    const connected = [...new Set(streams.map((s) => s.info.node?.id).filter((id): id is string => !!id))].sort();
    const list =
      connected.length === 0
        ? "no client is connected"
        : `connected: ${connected
            .slice(0, 10)
            .map((id) => truncateForLog(id, 64))
            .join(", ")}${connected.length > 10 ? ", …" : ""}`;
    throw new ConnectError(`no connected client has node id ${JSON.stringify(truncateForLog(nodeId, 128))} (${list})`, Code.NotFound);
  }
  const used = new Set<number>();
  const types = adsTypeOrder.flatMap((typeUrl) => {
    for (const stream of own) {
      const type = stream.types.find((t) => t.typeUrl === typeUrl);
      if (!type) continue;
      used.add(stream.info.id);
      const delivered = stream.delivered(typeUrl as XdsTypeUrl);
      return [
        create(TypeConfigSchema, {
          typeUrl,
          shortName: shortTypeName(typeUrl),
          version: type.sentVersion ?? "",
          versionAcked: type.ackedVersion ?? "",
          awaitingAck: type.awaitingAck,
          lastNackMessage: type.lastNack?.message ?? "",
          lastNackVersion: type.lastNack?.version ?? "",
          names: delivered.map((entry) => entry.name),
          missing: delivered.filter((entry) => !entry.resource).map((entry) => entry.name),
          resources: delivered.flatMap((entry) => (entry.resource ? [fromBinary(AnySchema, entry.resource.any)] : [])),
          provenance: provenanceMessage(type.provenance),
        }),
      ];
    }
    return [];
  });
  return create(DumpConfigResponseSchema, {
    nodeId,
    clientKind: own[0]!.info.group ?? "",
    streamIds: [...used].sort((a, b) => a - b).map(BigInt),
    types,
  });
}

/**
 * Checks a client kind named in a request: unknown names are the caller's mistake
 * (invalid_argument); a known kind with nothing published yet is a state that passes (unavailable).
 */
export function dumpClientKindConfig(clientKind: string, snapshot: (group: string) => Snapshot | undefined): DumpConfigResponse {
  if (clientKind === "") {
    throw new ConnectError(`give nodeId (a connected client) or clientKind (${clientKinds.join(" or ")})`, Code.InvalidArgument);
  }
  if (!isClientKind(clientKind)) {
    throw new ConnectError(
      `unknown client kind ${JSON.stringify(truncateForLog(clientKind, 64))}: expected ${clientKinds.join(" or ")}`,
      Code.InvalidArgument,
    );
  }
  const served = snapshot(clientKind);
  if (!served) {
    throw new ConnectError(
      `nothing is served to ${clientKind} clients yet: the initial sync with Consul is not complete`,
      Code.Unavailable,
    );
  }
  return create(DumpConfigResponseSchema, {
    clientKind,
    types: adsTypeOrder.map((typeUrl) => {
      const typeSnapshot = served.get(typeUrl);
      return create(TypeConfigSchema, {
        typeUrl,
        shortName: shortTypeName(typeUrl),
        version: typeSnapshot.version,
        resources: [...typeSnapshot.resources.values()].map((resource) => fromBinary(AnySchema, resource.any)),
        provenance: provenanceMessage(provenanceOf(typeSnapshot)),
      });
    }),
  });
}
