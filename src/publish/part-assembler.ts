import { toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.js";
import { RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";
import { type EncodedResource, encodeResourceValue, routeType } from "../snapshot/index.js";

/** RouteConfiguration.virtual_hosts. */
const VIRTUAL_HOSTS_FIELD = 2;

/**
 * Keeps Envoy's big RouteConfiguration (one virtual host per service) as pre-encoded virtual hosts
 * and assembles its bytes on demand: the shell's encoding followed by one length-delimited field-2
 * record per virtual host, in name order — exactly what `toBinary` gives for the whole message when
 * the shell holds only fields numbered below 2 (the name). A change to one service then costs one
 * virtual host's encoding plus a byte copy, not re-encoding ten thousand messages.
 */
export class RouteConfigurationAssembler {
  private readonly shellBytes: Uint8Array;
  private readonly hosts = new Map<string, Uint8Array>();
  private order: string[] = [];
  private assembled: EncodedResource | undefined;

  /** `shell`: the RouteConfiguration without virtual hosts (only `name` set, see above). */
  constructor(private readonly shell: RouteConfiguration) {
    this.shellBytes = toBinary(RouteConfigurationSchema, shell);
  }

  /** Sets (or replaces) the encoded virtual host of `name`. */
  set(name: string, encoded: Uint8Array): void {
    if (!this.hosts.has(name)) this.order.splice(insertionPoint(this.order, name), 0, name);
    else if (sameBytes(this.hosts.get(name)!, encoded)) return;
    this.hosts.set(name, encoded);
    this.assembled = undefined;
  }

  /** Removes the virtual host of `name`, if present. */
  delete(name: string): void {
    if (!this.hosts.delete(name)) return;
    this.order.splice(insertionPoint(this.order, name), 1);
    this.assembled = undefined;
  }

  /** The encoded virtual host of `name`, if present. */
  get(name: string): Uint8Array | undefined {
    return this.hosts.get(name);
  }

  /** Number of virtual hosts. */
  get size(): number {
    return this.hosts.size;
  }

  /** The whole RouteConfiguration as an EncodedResource, assembled once per change. */
  resource(): EncodedResource {
    if (!this.assembled) {
      const writer = new BinaryWriter();
      writer.raw(this.shellBytes);
      for (const name of this.order) writer.tag(VIRTUAL_HOSTS_FIELD, WireType.LengthDelimited).bytes(this.hosts.get(name)!);
      this.assembled = encodeResourceValue(routeType, writer.finish(), this.shell.name);
    }
    return this.assembled;
  }
}

/** Index of the first element ≥ `name` (UTF-16 code-unit order, like `<`). */
function insertionPoint(sorted: readonly string[], name: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < name) low = mid + 1;
    else high = mid;
  }
  return low;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
