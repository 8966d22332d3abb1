import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client, GetSyncStatusResponse } from "../gen/consulxdsbridge/admin/v1/admin_pb.js";

/** A response left unacknowledged for longer than this makes its client stale (exit status 3). */
export const staleAfterSeconds = 30;

/** What `status` exits with, and why (one line per reason, for stderr). */
export interface StatusVerdict {
  /**
   * 0 ready and in sync, 1 a NACK, 3 not ready or a stale client, 4 a mass withdrawal held back
   * (2, unreachable, is decided before).
   */
  readonly code: 0 | 1 | 3 | 4;
  readonly reasons: readonly string[];
}

/**
 * Decides `status`'s exit code from the admin API's answers, so scripts and probes can act on it:
 * a NACK (1) outranks not ready or stale (3), which outrank a held mass withdrawal (4: the bridge
 * serves the last good state and waits for the hold time or an operator); a client still within
 * {@link staleAfterSeconds} of its last response is catching up, not stale.
 */
export function statusVerdict(clients: readonly Client[], sync: GetSyncStatusResponse, now = Date.now()): StatusVerdict {
  const nacks: string[] = [];
  const stale: string[] = [];
  for (const client of clients) {
    for (const type of client.types) {
      const who = `${client.nodeId || "(no node id)"} ${type.shortName}`;
      if (type.lastNackMessage) nacks.push(`${who} rejected version ${type.lastNackVersion}`);
      else if (type.awaitingAck && type.lastSentAt && now - timestampMs(type.lastSentAt) > staleAfterSeconds * 1000) {
        stale.push(`${who} has not acknowledged version ${type.versionSent} for more than ${staleAfterSeconds} s`);
      }
    }
  }
  if (nacks.length > 0) return { code: 1, reasons: nacks };
  const notReady = sync.ready ? [] : [`the bridge is not ready: ${sync.notReadyReason || "(no reason given)"}`];
  if (notReady.length > 0 || stale.length > 0) return { code: 3, reasons: [...notReady, ...stale] };
  const hold = sync.withdrawalHold;
  if (hold) {
    return {
      code: 4,
      reasons: [
        `a mass withdrawal is held (hold ${hold.id}: ${hold.endpointsHeld} of ${hold.endpointsServed} endpoints, ${hold.serviceCount} services); ` +
          "it is applied after its hold time, or at once with ConfirmWithdrawal",
      ],
    };
  }
  return { code: 0, reasons: [] };
}
