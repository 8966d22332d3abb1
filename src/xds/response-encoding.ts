import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { EncodedDiscoveryResponse } from "../gen/consulxdsbridge/xds/v1/encoded_discovery_response_pb.js";
import type { EncodedResource } from "../snapshot/index.js";
import { type FramedMessage, joinBelowBytes } from "./grpc-frame-writer.js";

/** A delta response as the DeltaStream plans it: what to upsert and what to remove, for one type. */
export interface DeltaResponseMessage {
  readonly typeUrl: string;
  /** The type snapshot's version, for debugging only (clients use the per-resource versions). */
  readonly systemVersionInfo: string;
  readonly nonce: string;
  /** Upserted resources; each goes out as a Resource carrying its content hash as its version. */
  readonly resources: readonly EncodedResource[];
  readonly removedResources: readonly string[];
  /** An encoded envoy.config.core.v3.ControlPlane (empty: absent). */
  readonly controlPlane: Uint8Array;
}

/** Lists at most this long are written entry by entry; longer ones as one block cached per list. */
const entriesUpTo = 4;

const anyEntries = new WeakMap<Uint8Array, Uint8Array>();
const anyBlocks = new WeakMap<readonly Uint8Array[], Uint8Array>();
const deltaEntries = new WeakMap<EncodedResource, Uint8Array>();
const deltaBlocks = new WeakMap<readonly EncodedResource[], Uint8Array>();

/**
 * The wire bytes of a SotW DiscoveryResponse, as parts: the per-stream fields (version, type URL,
 * nonce, control plane) first, then field 2 with each resource's pre-encoded Any. Protobuf allows
 * fields in any order, so the resource part — the same bytes for every stream that receives the same
 * content — is encoded once (per Any, or per shared list) and written by reference to every stream.
 */
export function encodeSotwResponse(message: EncodedDiscoveryResponse): FramedMessage {
  const head = new FieldWriter();
  head.string(0x0a, message.versionInfo);
  head.raw(constantField(0x22, message.typeUrl));
  head.string(0x2a, message.nonce);
  if (message.controlPlane.length > 0) head.raw(constantField(0x32, message.controlPlane));
  return head.frame(resourceParts(message.resources, anyEntries, anyBlocks, anyEntry));
}

/**
 * The wire bytes of a DeltaDiscoveryResponse, as parts, in the same way: per-stream fields first,
 * then each upserted resource as an envoy.service.discovery.v3.Resource {name, version, resource},
 * encoded once per resource content and shared by every stream that sends it.
 */
export function encodeDeltaResponse(message: DeltaResponseMessage): FramedMessage {
  const head = new FieldWriter();
  head.string(0x0a, message.systemVersionInfo);
  head.raw(constantField(0x22, message.typeUrl));
  head.string(0x2a, message.nonce);
  for (const name of message.removedResources) head.string(0x32, name, true);
  if (message.controlPlane.length > 0) head.raw(constantField(0x3a, message.controlPlane));
  return head.frame(resourceParts(message.resources, deltaEntries, deltaBlocks, deltaEntry));
}

/**
 * Writes the few length-delimited fields of a response's per-stream part into one buffer. A response
 * to each of thousands of streams needs its own nonce, so this runs once per stream and response;
 * protobuf-es's BinaryWriter (chunked, growing) was a visible share of a fan-out's CPU and garbage.
 */
class FieldWriter {
  private readonly parts: Array<string | Uint8Array> = [];
  private readonly tags: number[] = [];
  private length = 0;

  /** A string field, left out when empty as proto3 does a singular one — unless it is an element of a repeated field (`always`), which must be kept. */
  string(tag: number, value: string, always = false): void {
    if (value === "" && !always) return;
    const bytes = Buffer.byteLength(value, "utf8");
    this.parts.push(value);
    this.tags.push(tag);
    this.length += 1 + varintLength(bytes) + bytes;
  }

  /** A field already encoded whole (tag, length and value). */
  raw(field: Uint8Array): void {
    this.parts.push(field);
    this.tags.push(-1);
    this.length += field.length;
  }

  /**
   * The whole gRPC frame of the message made of these fields followed by `rest`: one buffer holding
   * the frame prefix, the fields and the small parts of `rest` that lead, then the remaining parts
   * as they are (large shared blocks are never copied).
   */
  frame(rest: readonly Uint8Array[]): FramedMessage {
    let restLength = 0;
    let inline = 0;
    let inlineBytes = 0;
    for (let i = 0; i < rest.length; i++) {
      const length = rest[i]!.length;
      restLength += length;
      if (inline === i && length < joinBelowBytes) {
        inline++;
        inlineBytes += length;
      }
    }
    const out = Buffer.allocUnsafe(5 + this.length + inlineBytes);
    out[0] = 0;
    out.writeUInt32BE(this.length + restLength, 1);
    let offset = 5;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      if (typeof part !== "string") {
        out.set(part, offset);
        offset += part.length;
        continue;
      }
      out[offset++] = this.tags[i]!;
      offset = writeVarint(out, offset, Buffer.byteLength(part, "utf8"));
      offset += out.write(part, offset, "utf8");
    }
    for (let i = 0; i < inline; i++) {
      out.set(rest[i]!, offset);
      offset += rest[i]!.length;
    }
    return inline === rest.length ? [out] : [out, ...rest.slice(inline)];
  }
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value >>>= 7;
    length++;
  }
  return length;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[offset++] = value;
  return offset;
}

const constantFields = new Map<number, Map<string | Uint8Array, Uint8Array>>();

/** A whole field whose value repeats on every response (type URL, control plane), encoded once. */
function constantField(tag: number, value: string | Uint8Array): Uint8Array {
  let byValue = constantFields.get(tag);
  if (!byValue) constantFields.set(tag, (byValue = new Map()));
  let field = byValue.get(value);
  if (!field) {
    const writer = new BinaryWriter().tag(tag >>> 3, WireType.LengthDelimited);
    byValue.set(value, (field = typeof value === "string" ? writer.string(value).finish() : writer.bytes(value).finish()));
  }
  return field;
}

function resourceParts<T extends object>(
  list: readonly T[],
  entries: WeakMap<T, Uint8Array>,
  blocks: WeakMap<readonly T[], Uint8Array>,
  encode: (item: T) => Uint8Array,
): Uint8Array[] {
  const entryOf = (item: T) => {
    let entry = entries.get(item);
    if (!entry) entries.set(item, (entry = encode(item)));
    return entry;
  };
  if (list.length <= entriesUpTo) return list.map(entryOf);
  let block = blocks.get(list);
  if (!block) {
    const all = list.map(entryOf);
    blocks.set(list, (block = Buffer.concat(all)));
  }
  return [block];
}

/** Field 2 of DiscoveryResponse holding one encoded Any. */
function anyEntry(any: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(any).finish();
}

/** Field 2 of DeltaDiscoveryResponse holding one Resource: name (3), version (1), the Any (2). */
function deltaEntry(resource: EncodedResource): Uint8Array {
  const body = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .string(resource.hash)
    .tag(2, WireType.LengthDelimited)
    .bytes(resource.any)
    .tag(3, WireType.LengthDelimited)
    .string(resource.name)
    .finish();
  return new BinaryWriter().tag(2, WireType.LengthDelimited).bytes(body).finish();
}
