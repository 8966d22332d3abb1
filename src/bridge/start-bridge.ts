import type { Logger } from "pino";
import { type AdminServer, listenAdmin } from "../admin/admin-server.js";
import {
  type AddressRule,
  type ConfigEntryWatch,
  type ConsulTlsOptions,
  type ConsulWatcherHooks,
  createConfigEntryWatch,
  createConsulClient,
  createConsulWatcher,
  type WatchTiming,
} from "../consul/index.js";
import type { MappingOptions } from "../mapping/index.js";
import type { CatalogSource, CatalogSourceFatal } from "../model/catalog-source.js";
import { ConfigEntryStore } from "../model/config-entry-store.js";
import { passingOnly } from "../model/health-policy.js";
import type { ServiceModel } from "../model/service-model.js";
import type { WithdrawalGuard } from "../model/withdrawal-guard.js";
import { BridgeMetrics } from "../observe/bridge-metrics.js";
import { ChangeLog } from "../observe/change-log.js";
import { silentLogger } from "../observe/create-logger.js";
import { holdSentence } from "../observe/describe-withdrawal-hold.js";
import { createReadiness, type Readiness } from "../observe/readiness.js";
import type { StatusReading } from "../observe/status-reading.js";
import { xdsLogHooks } from "../observe/xds-log-hooks.js";
import { createSnapshotPublisher, type SnapshotPublisher } from "../publish/index.js";
import type { SnapshotCache } from "../snapshot/index.js";
import {
  listenXds,
  registerClientStatusService,
  registerHealthService,
  type XdsListener,
  XdsServer,
  type XdsServerHooks,
  type XdsTlsOptions,
} from "../xds/index.js";
import { type BridgeGuardSettings, createGuardedModel } from "./bridge-guards.js";

/** Everything the bridge needs to run; the CLI builds it from flags and environment. */
export interface BridgeConfig extends BridgeGuardSettings {
  consul: {
    /** Base URL of Consul's HTTP API, e.g. http://127.0.0.1:8500. */
    address: string;
    /** ACL token, sent only as the X-Consul-Token header. */
    token?: string | undefined;
    tls?: ConsulTlsOptions | undefined;
    /** The datacenter to serve; default the agent's own. */
    datacenter?: string | undefined;
    /** Datacenters whose instances are failover targets, in priority order. */
    failoverDatacenters?: readonly string[] | undefined;
    /** Which address failover-datacenter instances are reached at (default `wan`, as Consul's Envoy integration). */
    remoteDatacenterAddress?: AddressRule | undefined;
    /** Only services whose names start with this are bridged. */
    prefix?: string | undefined;
    /** Only services with this tag are bridged. */
    tag?: string | undefined;
    /** Read with ?stale (any Consul server answers). */
    stale?: boolean | undefined;
    /** Most sockets held open to Consul (default 16). */
    maxSockets?: number | undefined;
    /** Blocking-query timing (tests shorten it). */
    timing?: Partial<WatchTiming> | undefined;
  };
  xds: {
    host: string;
    port: number;
    tls?: XdsTlsOptions | undefined;
    maxStreams?: number | undefined;
    maxResourceNamesPerRequest?: number | undefined;
    maxRequestBytes?: number | undefined;
    /** Close connections after about this long (±10 %), so clients spread over replicas (default: never). */
    maxConnectionAgeMs?: number | undefined;
    /** How long an aged connection's streams may run after its GOAWAY (default 30 s). */
    maxConnectionAgeGraceMs?: number | undefined;
    /** How often REST-polling Envoys are told to poll endpoints (default 5 s). */
    restEdsRefreshDelayMs?: number | undefined;
  };
  /** The operators' port (metrics, health, admin API); absent: not served. */
  admin?: { host: string; port: number } | undefined;
  mapping?: MappingOptions | undefined;
  /** Coalescing window for model changes, in ms (default 50; 0 = next tick). */
  debounceMs?: number | undefined;
  /** Consul data older than this makes the bridge not ready (default 120 s). */
  maxStalenessSeconds?: number | undefined;
  logger?: Logger | undefined;
  /** Extra xDS hooks (tests). */
  xdsHooks?: XdsServerHooks | undefined;
  /** Extra Consul watcher hooks, called after the bridge's own (tests, benchmarks). */
  consulHooks?: ConsulWatcherHooks | undefined;
  /** Traffic policy from Consul's config entries (docs/traffic-policy.md); default on. */
  configEntries?: { enabled?: boolean | undefined; downstreamService?: string | undefined } | undefined;
}

/** A running bridge. */
export interface Bridge {
  /** The address the xDS port is bound to, as the socket reports it (e.g. "127.0.0.1", "::"). */
  readonly xdsHost: string;
  readonly xdsPort: number;
  /** The address the admin port is bound to; undefined when no admin port was configured. */
  readonly adminHost: string | undefined;
  /** Undefined when no admin port was configured. */
  readonly adminPort: number | undefined;
  readonly model: ServiceModel;
  /** Holds mass withdrawals between the watcher and the model. */
  readonly withdrawalGuard: WithdrawalGuard;
  /** Where the model's content comes from (the Consul watcher). */
  readonly watcher: CatalogSource;
  /** The config entries applied (empty when they are not read). */
  readonly configEntries: ConfigEntryStore;
  /** The config-entry watch; undefined with `configEntries.enabled` false. */
  readonly configEntryWatch: ConfigEntryWatch | undefined;
  readonly publisher: SnapshotPublisher;
  readonly cache: SnapshotCache;
  readonly xdsServer: XdsServer;
  readonly metrics: BridgeMetrics;
  readonly readiness: Readiness;
  /** Every real change of an instance, as logged; the recent ones are kept for the status page and admin API. */
  readonly changeLog: ChangeLog;
  /** The bridge's state now. */
  status(): StatusReading;
  /**
   * Resolves if the source of the model stops for good (a configuration mistake retrying cannot
   * fix, such as an unknown `--datacenter`); it is logged, and `serve` exits with status 2.
   */
  readonly fatal: Promise<CatalogSourceFatal>;
  /**
   * Stops in order: stop accepting xDS connections and end streams cleanly (status OK), close the
   * admin port, stop watching Consul. Connections still open after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the bridge: Consul watcher → model → snapshot publisher → cache → xDS server, with the
 * gRPC health service and CSDS on the xDS port and the admin port beside it. Resolves once both
 * ports are bound; Consul is read in the background and no client gets configuration before the
 * initial sync completes.
 */
export async function startBridge(config: BridgeConfig): Promise<Bridge> {
  const logger = config.logger ?? silentLogger;
  const metrics = new BridgeMetrics();
  const consulLog = logger.child({ component: "consul" });
  const { model, guard: withdrawalGuard } = createGuardedModel({
    localDatacenter: config.consul.datacenter ?? "",
    failoverDatacenters: config.consul.failoverDatacenters ?? [],
    vanishedServiceGraceMs: config.vanishedServiceGraceMs,
    maxWithdrawalPercent: config.maxWithdrawalPercent,
    withdrawalHoldMs: config.withdrawalHoldMs,
    healthPolicy: config.mapping?.healthPolicy ?? passingOnly,
    clock: config.clock,
    metrics,
    log: consulLog,
  });
  const client = createConsulClient({
    address: config.consul.address,
    token: config.consul.token,
    tls: config.consul.tls,
    maxSockets: config.consul.maxSockets,
  });
  const watcher: CatalogSource = createConsulWatcher({
    client,
    model,
    writer: withdrawalGuard,
    datacenter: config.consul.datacenter,
    failoverDatacenters: config.consul.failoverDatacenters,
    remoteDatacenterAddress: config.consul.remoteDatacenterAddress,
    prefix: config.consul.prefix,
    tag: config.consul.tag,
    stale: config.consul.stale,
    logger: consulLog,
    ...(config.consul.timing ? { timing: config.consul.timing } : {}),
    hooks: {
      onRequest: (event) => {
        metrics.consulRequest(event.endpoint, event.outcome === "error" ? (event.errorCode ?? "internal") : "ok", event.durationMs);
        config.consulHooks?.onRequest?.(event);
      },
      onErrorClassChange: (previous, next) => {
        const error = watcher.status.error;
        if (next)
          consulLog.warn(
            { class: next, previous, endpoint: error?.endpoint, datacenter: error?.datacenter, error: error?.message },
            "Consul requests failing",
          );
        else consulLog.info({ previous }, "Consul requests succeed again");
        config.consulHooks?.onErrorClassChange?.(previous, next);
      },
      onSynced: () => {
        consulLog.info({ services: model.view().services.size }, "initial sync with Consul complete");
        config.consulHooks?.onSynced?.();
      },
    },
  });

  const fatal = new Promise<CatalogSourceFatal>((resolve) => {
    const stop = watcher.onStatusChange((state) => {
      if (!state.fatal) return;
      stop();
      consulLog.error(state.fatal.message);
      resolve(state.fatal);
    });
  });
  // Config entries: five blocking queries of their own, on a client of their own, so they never
  // take a socket the catalog reads need.
  const configEntries = new ConfigEntryStore();
  const entriesEnabled = config.configEntries?.enabled ?? true;
  const configClient = entriesEnabled
    ? createConsulClient({ address: config.consul.address, token: config.consul.token, tls: config.consul.tls, maxSockets: 5 })
    : undefined;
  const timing = config.consul.timing;
  const configEntryWatch = configClient
    ? createConfigEntryWatch({
        client: configClient,
        store: configEntries,
        datacenter: config.consul.datacenter,
        stale: config.consul.stale,
        timing: {
          ...(timing?.waitMs !== undefined ? { waitMs: timing.waitMs } : {}),
          ...(timing?.timeoutMarginMs !== undefined ? { timeoutMarginMs: timing.timeoutMarginMs } : {}),
          ...(timing?.rateLimit !== undefined ? { rateLimit: timing.rateLimit } : {}),
          ...(timing?.backoff !== undefined ? { backoff: timing.backoff } : {}),
        },
        logger: consulLog,
        onRequest: (event) => {
          metrics.consulRequest(event.endpoint, event.outcome === "error" ? (event.errorCode ?? "internal") : "ok");
          config.consulHooks?.onRequest?.(event);
        },
      })
    : undefined;
  if (!configEntryWatch) configEntries.markSynced();

  let validationFailures = 0;
  const changeLog = new ChangeLog({
    model,
    snapshot: (clientKind) => publisher.cache.getSnapshot(clientKind),
    healthPolicy: config.mapping?.healthPolicy ?? passingOnly,
    logger,
  });
  const publisher = createSnapshotPublisher({
    model,
    configEntries,
    downstreamService: config.configEntries?.downstreamService,
    mapping: config.mapping,
    debounceMs: config.debounceMs,
    logger: logger.child({ component: "publish" }),
    onPublish: (report) => changeLog.published(report),
    onValidationFailure: (failure) => {
      validationFailures += 1;
      metrics.validationFailure(failure.typeUrl);
    },
  });
  const cache = publisher.cache;
  metrics.trackCache(cache);

  const readiness = createReadiness({
    synced: () => watcher.status.synced,
    stalenessSeconds: () => watcher.status.stalenessSeconds(),
    maxStalenessSeconds: config.maxStalenessSeconds,
  });
  const status = (): StatusReading => {
    const view = model.view();
    let instances = 0;
    for (const perDc of view.services.values()) for (const state of perDc.values()) instances += state.instances.length;
    const error = watcher.status.error;
    const notReadyReason = readiness.reason();
    return {
      synced: watcher.status.synced,
      ready: notReadyReason === undefined,
      notReadyReason,
      stalenessSeconds: watcher.status.stalenessSeconds(),
      consulErrorClass: error?.code ?? "",
      consulErrorMessage: error?.message ?? "",
      services: view.services.size,
      instances,
      validationFailures,
      configEntriesState: configEntryWatch?.status.state ?? "",
      configEntriesReason: configEntryWatch?.status.reason ?? configEntryWatch?.status.error?.message ?? "",
      configEntries: configEntries.view().entries.size,
      withdrawalHold: withdrawalGuard.hold,
    };
  };
  metrics.setStatusSource(status);

  const xdsServer = new XdsServer({
    cache,
    hooks: [xdsLogHooks(logger), metrics.xdsHooks, ...(config.xdsHooks ? [config.xdsHooks] : [])],
    maxStreams: config.xds.maxStreams,
    maxResourceNamesPerRequest: config.xds.maxResourceNamesPerRequest,
    restEdsRefreshDelayMs: config.xds.restEdsRefreshDelayMs,
  });

  let xdsListener: XdsListener | undefined;
  let admin: AdminServer | undefined;
  const stopAll = async (graceMs: number) => {
    await xdsListener?.close(graceMs);
    await admin?.close();
    publisher.close();
    changeLog.close();
    readiness.close();
    await Promise.all([watcher.close(), configEntryWatch?.close()]);
    withdrawalGuard.close();
    model.close();
    client.close();
    configClient?.close();
  };
  try {
    xdsListener = await listenXds({
      host: config.xds.host,
      port: config.xds.port,
      tls: config.xds.tls,
      readMaxBytes: config.xds.maxRequestBytes,
      maxConnectionAgeMs: config.xds.maxConnectionAgeMs,
      maxConnectionAgeGraceMs: config.xds.maxConnectionAgeGraceMs,
      routes: (router) => {
        xdsServer.registerRoutes(router);
        registerClientStatusService(router, { streams: () => xdsServer.streams() });
        registerHealthService(router, readiness);
      },
      endStreams: () => xdsServer.endStreams(),
    });
    if (config.admin) {
      admin = await listenAdmin({
        host: config.admin.host,
        port: config.admin.port,
        metrics,
        notReadyReason: () => readiness.reason(),
        readinessDetail: () => {
          const hold = withdrawalGuard.hold;
          return hold && `withdrawal held: ${holdSentence(hold)}`;
        },
        confirmWithdrawal: (holdId) => withdrawalGuard.confirm(holdId),
        streams: () => xdsServer.streams(),
        snapshot: (group) => cache.getSnapshot(group),
        status,
        changes: (afterSeq, limit) => changeLog.recent(afterSeq, limit),
        statusPage: {
          streams: () => xdsServer.streams(),
          view: () => model.view(),
          status,
          changes: (afterSeq, limit) => changeLog.recent(afterSeq, limit),
          onChanges: (listener) => changeLog.onRecords(listener),
          latencies: () => metrics.recentChangeToAck(),
          healthPolicy: config.mapping?.healthPolicy ?? passingOnly,
          buildInfo: metrics.buildInfo,
        },
      });
    }
  } catch (error) {
    await stopAll(0);
    throw error;
  }
  watcher.start();
  configEntryWatch?.start();
  logger.info(
    {
      xds: `${xdsListener.host}:${xdsListener.port}`,
      tls: config.xds.tls ? (config.xds.tls.clientCa ? "mutual" : "server") : "off",
      admin: admin ? `${admin.host}:${admin.port}` : "off",
      consul: config.consul.address,
      datacenter: config.consul.datacenter ?? "(agent's)",
      prefix: config.consul.prefix ?? "",
    },
    "consul-xds-bridge started",
  );

  let closing: Promise<void> | undefined;
  return {
    xdsHost: xdsListener.host,
    xdsPort: xdsListener.port,
    adminHost: admin?.host,
    adminPort: admin?.port,
    model,
    withdrawalGuard,
    watcher,
    configEntries,
    configEntryWatch,
    publisher,
    cache,
    xdsServer,
    metrics,
    readiness,
    changeLog,
    status,
    fatal,
    close: (graceMs = 10_000) => (closing ??= stopAll(graceMs)),
  };
}
