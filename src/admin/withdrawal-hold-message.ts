import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  HeldServiceSchema,
  type WithdrawalHold as WithdrawalHoldMessage,
  WithdrawalHoldSchema,
} from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { WithdrawalHold } from "../model/withdrawal-guard.js";

/** Held services listed in one answer; the count says how many there are in all. */
const listedServices = 100;

/** A held withdrawal as the admin API sends it (undefined when none is held). */
export function withdrawalHoldMessage(hold: WithdrawalHold | undefined): WithdrawalHoldMessage | undefined {
  if (!hold) return undefined;
  return create(WithdrawalHoldSchema, {
    id: hold.id,
    since: timestampFromMs(hold.since),
    appliesAt: timestampFromMs(hold.appliesAt),
    endpointsHeld: hold.endpointsHeld,
    endpointsServed: hold.endpointsServed,
    filteredByAcls: hold.filteredByAcls,
    services: hold.services.slice(0, listedServices).map((held) => create(HeldServiceSchema, held)),
    serviceCount: hold.services.length,
  });
}
