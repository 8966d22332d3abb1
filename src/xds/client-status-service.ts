import { create, fromBinary, type JsonValue } from "@bufbuild/protobuf";
import { AnySchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { ClientResourceStatus } from "../gen/envoy/admin/v3/config_dump_shared_pb.js";
import type { Node } from "../gen/envoy/config/core/v3/base_pb.js";
import {
  type ClientConfig,
  ClientConfig_GenericXdsConfigSchema,
  ClientConfigSchema,
  ClientStatusDiscoveryService,
  type ClientStatusRequest,
  type ClientStatusResponse,
  ClientStatusResponseSchema,
  ConfigStatus,
} from "../gen/envoy/service/status/v3/csds_pb.js";
import type { StringMatcher } from "../gen/envoy/type/matcher/v3/string_pb.js";
import { adsTypeOrder, shortTypeName } from "../snapshot/index.js";
import type { TypeStatus } from "./sotw-stream.js";
import type { StreamStatus } from "./xds-server.js";

/** Options of {@link registerClientStatusService}. */
export interface ClientStatusServiceOptions {
  /** The live streams (XdsServer.streams). */
  streams: () => StreamStatus[];
}

/**
 * Serves CSDS (envoy.service.status.v3.ClientStatusDiscoveryService) on a router: for every
 * connected client, each resource it subscribed to, the version sent, and whether the client
 * acknowledged (SYNCED), has not answered yet (STALE) or rejected it (ERROR, with its message).
 * Streams of one node are merged into one ClientConfig.
 */
export function registerClientStatusService(router: ConnectRouter, options: ClientStatusServiceOptions): void {
  const fetch = (request: ClientStatusRequest) => clientStatus(options.streams(), request);
  router.service(ClientStatusDiscoveryService, {
    fetchClientStatus: (request) => fetch(request),
    async *streamClientStatus(requests) {
      for await (const request of requests) yield fetch(request);
    },
  });
}

/** Builds a CSDS response for the clients that match the request's node matchers. */
export function clientStatus(streams: StreamStatus[], request: ClientStatusRequest): ClientStatusResponse {
  const byNode = new Map<string, { node: Node | undefined; streams: StreamStatus[] }>();
  for (const stream of streams) {
    const node = stream.info.node;
    if (!matchesAny(node, request)) continue;
    const key = node ? `${node.id}\u0000${node.cluster}` : `stream-${stream.info.id}`;
    const entry = byNode.get(key) ?? { node, streams: [] };
    entry.streams.push(stream);
    byNode.set(key, entry);
  }
  const config: ClientConfig[] = [...byNode.values()].map(({ node, streams: nodeStreams }) =>
    create(ClientConfigSchema, {
      node: withProvenance(node, nodeStreams),
      genericXdsConfigs: nodeStreams.flatMap((stream) =>
        stream.types
          .slice()
          .sort((a, b) => adsTypeOrder.indexOf(a.typeUrl) - adsTypeOrder.indexOf(b.typeUrl))
          .flatMap((type) => resourceConfigs(stream, type, request.excludeResourceContents)),
      ),
    }),
  );
  return create(ClientStatusResponseSchema, { config });
}

function resourceConfigs(stream: StreamStatus, type: TypeStatus, excludeContents: boolean) {
  const rejected = type.lastNack !== undefined;
  const synced = !rejected && type.sentVersion !== undefined && type.ackedVersion === type.sentVersion;
  return stream.delivered(type.typeUrl).map(({ name, resource }) =>
    create(ClientConfig_GenericXdsConfigSchema, {
      typeUrl: type.typeUrl,
      name,
      versionInfo: resource ? (type.sentVersion ?? "") : "",
      xdsConfig: resource && !excludeContents ? fromBinary(AnySchema, resource.any) : undefined,
      lastUpdated: type.sentAt !== undefined ? timestampFromMs(type.sentAt) : undefined,
      configStatus: !resource ? ConfigStatus.NOT_SENT : rejected ? ConfigStatus.ERROR : synced ? ConfigStatus.SYNCED : ConfigStatus.STALE,
      clientStatus: !resource
        ? ClientResourceStatus.REQUESTED
        : rejected
          ? ClientResourceStatus.NACKED
          : synced
            ? ClientResourceStatus.ACKED
            : ClientResourceStatus.REQUESTED,
      errorState: type.lastNack
        ? { details: type.lastNack.message, versionInfo: type.lastNack.version, lastUpdateAttempt: timestampFromMs(type.lastNack.at) }
        : undefined,
    }),
  );
}

/** Node metadata key under which CSDS reports, per type, what the version sent was built from. */
export const provenanceMetadataKey = "consul-xds-bridge.provenance";

/**
 * The node as it connected, plus (CSDS has no field for it) the provenance of each type's version
 * sent — `{"CDS": {"consulIndex": {"dc1": 4711}, "answeredAt": "…Z"}, …}` — under
 * {@link provenanceMetadataKey}, so `status`, DumpConfig and CSDS tell the same story.
 */
function withProvenance(node: Node | undefined, streams: readonly StreamStatus[]): Node | undefined {
  const provenance: Record<string, JsonValue> = {};
  for (const stream of streams) {
    for (const type of stream.types) {
      if (!type.provenance) continue;
      provenance[shortTypeName(type.typeUrl)] = {
        consulIndex: { ...type.provenance.consulIndex },
        answeredAt: new Date(type.provenance.answeredAt).toISOString(),
      };
    }
  }
  if (!node || Object.keys(provenance).length === 0) return node;
  return { ...node, metadata: { ...node.metadata, [provenanceMetadataKey]: provenance } };
}

function matchesAny(node: Node | undefined, request: ClientStatusRequest): boolean {
  if (request.nodeMatchers.length === 0) return true;
  return request.nodeMatchers.some((matcher) => !matcher.nodeId || matchString(matcher.nodeId, node?.id ?? ""));
}

function matchString(matcher: StringMatcher, value: string): boolean {
  const fold = (text: string) => (matcher.ignoreCase ? text.toLowerCase() : text);
  const pattern = matcher.matchPattern;
  switch (pattern.case) {
    case "exact":
      return fold(value) === fold(pattern.value);
    case "prefix":
      return fold(value).startsWith(fold(pattern.value));
    case "suffix":
      return fold(value).endsWith(fold(pattern.value));
    case "contains":
      return fold(value).includes(fold(pattern.value));
    case "safeRegex":
      try {
        return new RegExp(`^(?:${pattern.value.regex})$`, matcher.ignoreCase ? "i" : "").test(value);
      } catch {
        return false;
      }
    default:
      return true;
  }
}
