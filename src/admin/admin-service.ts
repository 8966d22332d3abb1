import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  AdminService,
  ClientSchema,
  GetSyncStatusResponseSchema,
  ListClientsResponseSchema,
  TypeStateSchema,
} from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { StatusReading } from "../observe/status-reading.js";
import { adsTypeOrder, type Snapshot, shortTypeName } from "../snapshot/index.js";
import type { StreamStatus } from "../xds/index.js";
import { dumpClientKindConfig, dumpNodeConfig } from "./dump-config.js";

/** What the admin API reads. */
export interface AdminSources {
  /** Live xDS streams. */
  streams: () => StreamStatus[];
  /** The snapshot currently served to a group (client kind). */
  snapshot: (group: string) => Snapshot | undefined;
  /** The bridge's state. */
  status: () => StatusReading;
}

/** Registers consulxdsbridge.admin.v1.AdminService (ListClients, DumpConfig, GetSyncStatus) on a router. */
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
                  }),
                ),
            }),
          ),
      }),
    dumpConfig: (request) =>
      request.nodeId ? dumpNodeConfig(sources.streams(), request.nodeId) : dumpClientKindConfig(request.clientKind, sources.snapshot),
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
      });
    },
  });
}

function userAgentVersion(node: StreamStatus["info"]["node"]): string {
  const version = node?.userAgentVersionType;
  return version?.case === "userAgentVersion" ? version.value : "";
}
