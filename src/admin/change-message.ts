import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Change, ChangeSchema, NewVersionSchema } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { ChangeRecord } from "../observe/change-record.js";
import { provenanceMessage } from "./provenance-message.js";

/** A change-log record as the admin API's Change message. */
export function changeMessage(record: ChangeRecord): Change {
  return create(ChangeSchema, {
    seq: BigInt(record.seq),
    at: timestampFromMs(record.at),
    revision: BigInt(record.revision),
    service: record.service,
    datacenter: record.datacenter,
    instance: record.instance,
    node: record.node,
    address: record.address,
    kind: record.kind,
    from: record.from,
    to: record.to,
    why: record.why,
    routableBefore: record.routableBefore,
    routableAfter: record.routableAfter,
    endpoints: [...record.endpoints],
    endpointCount: record.endpointCount,
    versions: record.versions.map((v) => create(NewVersionSchema, v)),
    provenance: provenanceMessage(record.provenance),
    message: record.message,
  });
}
