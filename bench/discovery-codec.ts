import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { DiscoveryRequestSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";

/** What a bench client needs of a DiscoveryResponse. */
export interface DecodedResponse {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** The `name` (field 1) of every resource: Cluster.name, ClusterLoadAssignment.cluster_name, Listener.name, RouteConfiguration.name. */
  readonly names: string[];
}

/** Node identity sent on a stream's first request. */
export interface BenchNode {
  readonly id: string;
  readonly userAgentName: string;
}

/** One length-delimited field (tag < 128, length < 2^28), for the hand encoder below. */
function field(tag: number, bytes: Buffer): Buffer[] {
  const head = [tag];
  let n = bytes.length;
  while (n >= 0x80) {
    head.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  head.push(n);
  return [Buffer.from(head), bytes];
}

/**
 * Encodes a DiscoveryRequest: by hand for the usual request without a node (an ACK: version_info = 1,
 * resource_names = 3, type_url = 4, response_nonce = 5, empty fields left out as protobuf-es leaves
 * them), with protobuf-es for the first one. A bench client answers a thousand pushes per fan-out on
 * the same two cores as the bridge, so its own cost is kept small.
 */
export function encodeDiscoveryRequest(request: {
  readonly typeUrl: string;
  readonly resourceNames: readonly string[];
  readonly versionInfo?: string;
  readonly responseNonce?: string;
  readonly node?: BenchNode;
}): Uint8Array {
  if (!request.node) {
    const parts: Buffer[] = [];
    if (request.versionInfo) parts.push(...field(0x0a, Buffer.from(request.versionInfo)));
    for (const name of request.resourceNames) parts.push(...field(0x1a, Buffer.from(name)));
    if (request.typeUrl) parts.push(...field(0x22, Buffer.from(request.typeUrl)));
    if (request.responseNonce) parts.push(...field(0x2a, Buffer.from(request.responseNonce)));
    return Buffer.concat(parts);
  }
  return toBinary(
    DiscoveryRequestSchema,
    create(DiscoveryRequestSchema, {
      typeUrl: request.typeUrl,
      resourceNames: [...request.resourceNames],
      versionInfo: request.versionInfo ?? "",
      responseNonce: request.responseNonce ?? "",
      ...(request.node ? { node: { id: request.node.id, userAgentName: request.node.userAgentName, locality: {} } } : {}),
    }),
  );
}

/**
 * Decodes the fields a client acts on (version, type, nonce, resource names) straight from the wire,
 * without materialising the resources: a bench client must cost far less than the proxy it stands for.
 */
export function decodeDiscoveryResponse(bytes: Uint8Array): DecodedResponse {
  const reader = new BinaryReader(bytes);
  let versionInfo = "";
  let typeUrl = "";
  let nonce = "";
  const names: string[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) versionInfo = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) names.push(resourceName(reader.bytes()));
    else if (field === 4 && wireType === WireType.LengthDelimited) typeUrl = reader.string();
    else if (field === 5 && wireType === WireType.LengthDelimited) nonce = reader.string();
    else reader.skip(wireType);
  }
  return { versionInfo, typeUrl, nonce, names };
}

/** Field 1 (the name) of the message inside an encoded google.protobuf.Any. */
function resourceName(any: Uint8Array): string {
  const reader = new BinaryReader(any);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 2 && wireType === WireType.LengthDelimited) {
      const value = new BinaryReader(reader.bytes());
      while (value.pos < value.len) {
        const [inner, innerType] = value.tag();
        if (inner === 1 && innerType === WireType.LengthDelimited) return value.string();
        value.skip(innerType);
      }
      return "";
    }
    reader.skip(wireType);
  }
  return "";
}
