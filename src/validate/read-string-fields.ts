import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/**
 * Reads every occurrence of one string field from encoded protobuf bytes, for the few payloads
 * gRPC inspects whose types are not generated here (TypedStruct.type_url, aggregate
 * ClusterConfig.clusters). Throws on malformed bytes.
 */
export function readStringFields(bytes: Uint8Array, fieldNumber: number): string[] {
  const reader = new BinaryReader(bytes);
  const values: string[] = [];
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    if (number === fieldNumber && wireType === WireType.LengthDelimited) values.push(reader.string());
    else reader.skip(wireType, number);
  }
  return values;
}
