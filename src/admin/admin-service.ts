import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  AdminService,
  ClientSchema,
  ConfirmWithdrawalResponseSchema,
  GetSyncStatusResponseSchema,
  ListChangesResponseSchema,
  ListClientsResponseSchema,
  TypeStateSchema,
} from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import { ConfirmWithdrawalError, type WithdrawalHold } from "../model/withdrawal-guard.js";
import type { ChangeRecord } from "../observe/change-record.js";
import type { StatusReading } from "../observe/status-reading.js";
import { adsTypeOrder, type Snapshot, shortTypeName } from "../snapshot/index.js";
import type { StreamStatus } from "../xds/index.js";
import { changeMessage } from "./change-message.js";
import { dumpClientKindConfig, dumpNodeConfig } from "./dump-config.js";
import { provenanceMessage } from "./provenance-message.js";
import { withdrawalHoldMessage } from "./withdrawal-hold-message.js";

/** What the admin API reads. */
export interface AdminSources {
  /** Live xDS streams. */
  streams: () => StreamStatus[];
  /** The snapshot currently served to a group (client kind). */
  snapshot: (group: string) => Snapshot | undefined;
  /** The bridge's state. */
  status: () => StatusReading;
  /** The change log's recent records after a sequence number, oldest first (ChangeLog.recent). */
  changes: (afterSeq: number, limit?: number) => ChangeRecord[];
  /**
   * Applies the held withdrawal named `holdId` (0: the one in force) and returns it; throws a
   * ConfirmWithdrawalError when none or another is held (WithdrawalGuard.confirm).
   */
  confirmWithdrawal: (holdId: number) => WithdrawalHold;
}

/**
 * Registers consulxdsbridge.admin.v1.AdminService (ListClients, DumpConfig, GetSyncStatus,
 * ListChanges, ConfirmWithdrawal) on a router.
 */
export function registerAdminService(router: ConnectRouter, sources: AdminSources): void {
  router.service(AdminService, {
    listClients: () =>
      create(ListClientsResponseSchema, {
        clients: sources
          .streams()
          .sort((a, b) => a.info.id - b.info.id)
          .map(({ info, types }) =>
            create(ClientSchema, {
              streamId: BigInt(info.id),
              streamKind: info.kind === "ads" ? "ADS" : shortTypeName(info.kind),
              nodeId: info.node?.id ?? "",
              nodeCluster: info.node?.cluster ?? "",
              clientKind: info.group ?? "",
              address: info.peer,
              connectedAt: timestampFromMs(info.openedAt),
              userAgent: [info.node?.userAgentName, userAgentVersion(info.node)].filter(Boolean).join("/"),
              types: types
                .slice()
                .sort((a, b) => adsTypeOrder.indexOf(a.typeUrl) - adsTypeOrder.indexOf(b.typeUrl))
                .map((type) =>
                  create(TypeStateSchema, {
                    typeUrl: type.typeUrl,
                    shortName: shortTypeName(type.typeUrl),
                    subscribed: String(type.subscribed),
                    versionSent: type.sentVersion ?? "",
                    versionAcked: type.ackedVersion ?? "",
                    lastNackMessage: type.lastNack?.message ?? "",
                    lastNackVersion: type.lastNack?.version ?? "",
                    lastSentAt: type.sentAt !== undefined ? timestampFromMs(type.sentAt) : undefined,
                    awaitingAck: type.awaitingAck,
                    provenance: provenanceMessage(type.provenance),
                  }),
                ),
            }),
          ),
      }),
    dumpConfig: (request) =>
      request.nodeId ? dumpNodeConfig(sources.streams(), request.nodeId) : dumpClientKindConfig(request.clientKind, sources.snapshot),
    listChanges: (request) => {
      let records = sources.changes(Number(request.afterSeq));
      if (request.service) records = records.filter((record) => record.service === request.service);
      if (request.limit > 0) records = records.slice(-request.limit);
      return create(ListChangesResponseSchema, { changes: records.map(changeMessage) });
    },
    getSyncStatus: () => {
      const status = sources.status();
      return create(GetSyncStatusResponseSchema, {
        synced: status.synced,
        ready: status.ready,
        stalenessSeconds: status.stalenessSeconds,
        consulErrorClass: status.consulErrorClass,
        consulErrorMessage: status.consulErrorMessage,
        services: status.services,
        instances: status.instances,
        validationFailures: status.validationFailures,
        notReadyReason: status.notReadyReason ?? "",
        configEntriesState: status.configEntriesState ?? "",
        configEntriesReason: status.configEntriesReason ?? "",
        configEntries: status.configEntries ?? 0,
        withdrawalHold: withdrawalHoldMessage(status.withdrawalHold),
      });
    },
    confirmWithdrawal: (request) => {
      try {
        return create(ConfirmWithdrawalResponseSchema, { applied: withdrawalHoldMessage(sources.confirmWithdrawal(request.holdId)) });
      } catch (error) {
        if (error instanceof ConfirmWithdrawalError) throw new ConnectError(error.message, Code.FailedPrecondition);
        throw error;
      }
    },
  });
}

function userAgentVersion(node: StreamStatus["info"]["node"]): string {
  const version = node?.userAgentVersionType;
  return version?.case === "userAgentVersion" ? version.value : "";
}
