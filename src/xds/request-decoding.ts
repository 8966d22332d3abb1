import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
  type DiscoveryRequest,
  DiscoveryRequestSchema,
} from "../gen/envoy/service/discovery/v3/discovery_pb.js";

/** A decoding failure as the stream reports it: INVALID_ARGUMENT naming the message type. */
function malformed(typeName: string, error: unknown): ConnectError {
  return new ConnectError(`malformed ${typeName}: ${(error as Error).message}`, Code.InvalidArgument);
}

/**
 * Decodes a DiscoveryRequest. Every client sends one per response it receives, so the usual shape —
 * only version_info (1), resource_names (3), type_url (4) and response_nonce (5), all strings — is
 * read directly from the wire, into the same object protobuf-es would build; a request with anything
 * else (a node, an error_detail, resource locators, unknown fields) is decoded by protobuf-es itself.
 * Throws INVALID_ARGUMENT for bytes that are not a DiscoveryRequest.
 */
export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest {
  try {
    const reader = new BinaryReader(bytes);
    let versionInfo = "";
    let typeUrl = "";
    let responseNonce = "";
    const resourceNames: string[] = [];
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (wireType !== WireType.LengthDelimited) return fromBinary(DiscoveryRequestSchema, bytes);
      if (field === 1) versionInfo = reader.string();
      else if (field === 3) resourceNames.push(reader.string());
      else if (field === 4) typeUrl = reader.string();
      else if (field === 5) responseNonce = reader.string();
      else return fromBinary(DiscoveryRequestSchema, bytes);
    }
    return {
      $typeName: DiscoveryRequestSchema.typeName,
      versionInfo,
      node: undefined,
      resourceNames,
      resourceLocators: [],
      typeUrl,
      responseNonce,
      errorDetail: undefined,
    };
  } catch (error) {
    throw malformed("DiscoveryRequest", error);
  }
}

/**
 * Decodes a DeltaDiscoveryRequest the same way: type_url (2), resource_names_subscribe (3),
 * resource_names_unsubscribe (4) and response_nonce (6) directly, anything else by protobuf-es.
 */
export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest {
  try {
    const reader = new BinaryReader(bytes);
    let typeUrl = "";
    let responseNonce = "";
    const resourceNamesSubscribe: string[] = [];
    const resourceNamesUnsubscribe: string[] = [];
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (wireType !== WireType.LengthDelimited) return fromBinary(DeltaDiscoveryRequestSchema, bytes);
      if (field === 2) typeUrl = reader.string();
      else if (field === 3) resourceNamesSubscribe.push(reader.string());
      else if (field === 4) resourceNamesUnsubscribe.push(reader.string());
      else if (field === 6) responseNonce = reader.string();
      else return fromBinary(DeltaDiscoveryRequestSchema, bytes);
    }
    return {
      $typeName: DeltaDiscoveryRequestSchema.typeName,
      node: undefined,
      typeUrl,
      resourceNamesSubscribe,
      resourceNamesUnsubscribe,
      resourceLocatorsSubscribe: [],
      resourceLocatorsUnsubscribe: [],
      initialResourceVersions: {},
      responseNonce,
      errorDetail: undefined,
    };
  } catch (error) {
    throw malformed("DeltaDiscoveryRequest", error);
  }
}
