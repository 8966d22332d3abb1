import { hash } from "node:crypto";
import { create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { typeUrlOf, type XdsTypeUrl } from "../resource-types/index.js";

/**
 * One xDS resource, encoded once as a google.protobuf.Any and shared by every stream that sends it.
 * Its digest identifies its content: equal name and bytes give an equal digest in every process.
 */
export interface EncodedResource {
  readonly typeUrl: XdsTypeUrl;
  readonly name: string;
  /** The encoded google.protobuf.Any that goes into DiscoveryResponse.resources as is. */
  readonly any: Uint8Array;
  /**
   * The first two 32-bit words of SHA-256 over the name and the encoded bytes, combined into versions
   * (plain numbers: a typed array per resource cost an ArrayBuffer and a native allocation × 50,000).
   */
  readonly digest: readonly [number, number];
  /** The digest as 32 hex characters, for logs and status. */
  readonly hash: string;
  /**
   * Names of resources of the next type this one needs: a cluster's ClusterLoadAssignment, a
   * listener's RouteConfigurations. The snapshot consistency check follows them.
   */
  readonly references: readonly string[];
}

/** Encodes `message` once as an Any of `typeUrl` and computes its content digest. */
export function encodeResource<Desc extends DescMessage>(
  typeUrl: XdsTypeUrl,
  schema: Desc,
  message: MessageShape<Desc>,
  name: string,
  references: readonly string[] = [],
): EncodedResource {
  if (typeUrlOf(schema) !== typeUrl) {
    throw new Error(`resource ${name}: schema ${schema.typeName} does not match ${typeUrl}`);
  }
  return encodeResourceValue(typeUrl, toBinary(schema, message), name, references);
}

/**
 * Wraps an already encoded message of `typeUrl` (e.g. one assembled from pre-encoded parts) exactly
 * as {@link encodeResource} would: same Any bytes, same digest for the same content.
 */
export function encodeResourceValue(
  typeUrl: XdsTypeUrl,
  value: Uint8Array,
  name: string,
  references: readonly string[] = [],
): EncodedResource {
  const any = toBinary(AnySchema, create(AnySchema, { typeUrl, value }));
  const nameBytes = Buffer.from(`${name}\u0000`, "utf8");
  const digestBytes = hash("sha256", Buffer.concat([nameBytes, any]), "buffer") as Buffer;
  const digest = Object.freeze([digestBytes.readUInt32BE(0), digestBytes.readUInt32BE(4)] as const);
  return Object.freeze({
    typeUrl,
    name,
    any,
    digest,
    hash: digestBytes.subarray(0, 16).toString("hex"),
    references: Object.freeze([...references]),
  });
}
