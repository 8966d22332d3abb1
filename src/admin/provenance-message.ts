import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Provenance as ProvenanceMessage, ProvenanceSchema } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { Provenance } from "../model/provenance.js";

/** A version's provenance as the admin API sends it (undefined when unknown). */
export function provenanceMessage(provenance: Provenance | undefined): ProvenanceMessage | undefined {
  if (!provenance) return undefined;
  return create(ProvenanceSchema, {
    consulIndex: Object.fromEntries(Object.entries(provenance.consulIndex).map(([dc, index]) => [dc, BigInt(index)])),
    answeredAt: timestampFromMs(provenance.answeredAt),
  });
}
