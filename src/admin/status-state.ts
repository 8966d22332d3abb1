import { type HealthPolicy, routability } from "../model/health-policy.js";
import type { ModelView } from "../model/service-model.js";
import type { ChangeToAckSample } from "../observe/bridge-metrics.js";
import type { BuildInfo } from "../observe/build-info.js";
import type { ChangeProvenance, ChangeRecord } from "../observe/change-record.js";
import { instanceState, readableCause } from "../observe/diff-service-instances.js";
import type { StatusReading } from "../observe/status-reading.js";
import { truncateForLog } from "../observe/truncate-for-log.js";
import { adsTypeOrder, shortTypeName } from "../snapshot/index.js";
import type { StreamStatus, TypeStatus } from "../xds/index.js";

/** What the status page reads. */
export interface StatusPageSources {
  streams: () => StreamStatus[];
  view: () => ModelView;
  status: () => StatusReading;
  /** The change log's records after a sequence number (ChangeLog.recent). */
  changes: (afterSeq: number, limit?: number) => ChangeRecord[];
  /** Calls the listener with each batch of new change records; returns a function that stops it. */
  onChanges: (listener: () => void) => () => void;
  /** Recent change-to-ACK measurements (BridgeMetrics.recentChangeToAck). */
  latencies: () => readonly ChangeToAckSample[];
  healthPolicy: HealthPolicy;
  buildInfo: BuildInfo;
  /** Where a published version came from, once the publisher records it; absent: not shown. */
  provenance?: (typeUrl: string, version: string) => ChangeProvenance | undefined;
}

/** Most services, instances per service, clients and changes one state document carries. */
export const statusLimits = { services: 500, instances: 100, clients: 500, changes: 100 } as const;

/** A client's state for one type, as the page and `status` name it. */
export type TypeStateName = "SYNCED" | "STALE" | "NACKED" | "WAITING";

function typeState(type: TypeStatus): TypeStateName {
  if (type.lastNack) return "NACKED";
  if (type.sentVersion === undefined) return "WAITING";
  return type.ackedVersion === type.sentVersion && !type.awaitingAck ? "SYNCED" : "STALE";
}

/**
 * The status page's whole state as one JSON-ready object: the bridge and Consul, every service
 * with its instances (health, routable, why), every client with its state per type (and the
 * client's NACK text), the recent changes and change-to-ACK samples. Lists are capped
 * ({@link statusLimits}) and carry their full counts, so a large catalog cannot make it huge.
 */
export function statusState(sources: StatusPageSources, now = Date.now()) {
  const status = sources.status();
  const view = sources.view();
  const names = [...view.services.keys()].sort();
  const services = names.slice(0, statusLimits.services).map((name) => {
    const instances = [...view.services.get(name)!.values()].flatMap((state) => state.instances);
    let routable = 0;
    const listed = instances.map((instance) => {
      const verdict = routability(instance, sources.healthPolicy);
      if (verdict.routable) routable += 1;
      return {
        id: instance.id,
        node: instance.node,
        datacenter: instance.datacenter,
        address: instance.address.includes(":") ? `[${instance.address}]:${instance.port}` : `${instance.address}:${instance.port}`,
        state: instanceState(instance),
        routable: verdict.routable,
        weight: verdict.routable ? verdict.weight : 0,
        why: verdict.routable ? "" : (readableCause(instance) ?? verdict.reason),
      };
    });
    return { name, instanceCount: instances.length, routable, instances: listed.slice(0, statusLimits.instances) };
  });
  const streams = sources.streams().sort((a, b) => a.info.id - b.info.id);
  const clients = streams.slice(0, statusLimits.clients).map(({ info, types }) => ({
    streamId: info.id,
    nodeId: truncateForLog(info.node?.id ?? "", 128),
    cluster: truncateForLog(info.node?.cluster ?? "", 128),
    clientKind: info.group ?? "",
    address: info.peer,
    streamKind: info.kind === "ads" ? "ADS" : shortTypeName(info.kind),
    connectedAt: info.openedAt,
    types: types
      .slice()
      .sort((a, b) => adsTypeOrder.indexOf(a.typeUrl) - adsTypeOrder.indexOf(b.typeUrl))
      .map((type) => ({
        type: shortTypeName(type.typeUrl),
        state: typeState(type),
        versionSent: type.sentVersion ?? "",
        versionAcked: type.ackedVersion ?? "",
        sentAt: type.sentAt ?? null,
        nack: type.lastNack
          ? { version: type.lastNack.version, message: truncateForLog(type.lastNack.message, 2048), at: type.lastNack.at }
          : null,
        provenance: (type.sentVersion !== undefined && sources.provenance?.(type.typeUrl, type.sentVersion)) || null,
      })),
  }));
  return {
    now,
    bridge: {
      version: sources.buildInfo.version,
      commit: sources.buildInfo.commit ?? null,
      synced: status.synced,
      ready: status.ready,
      notReadyReason: status.notReadyReason ?? null,
      stalenessSeconds: Number.isFinite(status.stalenessSeconds) ? status.stalenessSeconds : null,
      consulError: status.consulErrorClass ? { class: status.consulErrorClass, message: status.consulErrorMessage } : null,
      validationFailures: status.validationFailures,
      withdrawalHold: status.withdrawalHold
        ? {
            id: status.withdrawalHold.id,
            endpointsHeld: status.withdrawalHold.endpointsHeld,
            endpointsServed: status.withdrawalHold.endpointsServed,
            services: [...new Set(status.withdrawalHold.services.map((s) => s.service))].slice(0, statusLimits.services),
            appliesAt: status.withdrawalHold.appliesAt,
            filteredByAcls: status.withdrawalHold.filteredByAcls,
          }
        : null,
    },
    serviceCount: names.length,
    instanceCount: status.instances,
    services,
    clientCount: streams.length,
    clients,
    changes: sources.changes(0, statusLimits.changes),
    latencies: sources.latencies(),
  };
}

/** The status page's state document. */
export type StatusState = ReturnType<typeof statusState>;
