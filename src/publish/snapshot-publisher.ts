import type { Logger } from "pino";
import {
  type ClientKindBuilder,
  type ClientKindOptions,
  createClientKindBuilders,
  type MappingOptions,
  type MappingWarning,
  mapService,
  type ResolvedMappingOptions,
  resolveMappingOptions,
  type ServiceChainInput,
  type ServiceMapping,
} from "../mapping/index.js";
import { type Provenance, provenanceOf } from "../model/provenance.js";
import type { ModelChange, ModelView } from "../model/service-model.js";
import type { XdsTypeUrl } from "../resource-types/index.js";
import { type NodeGroupFunction, SnapshotCache, snapshotOf, stampProvenance, type TypeSnapshot } from "../snapshot/index.js";
import { BuildStage } from "./build-stage.js";
import { ChainStage, type PublishedConfigEntries } from "./chain-stage.js";
import { ChangeCoalescer } from "./change-coalescer.js";
import { createClientKindNodeGroup } from "./client-kind-node-group.js";
import { KindPipeline } from "./kind-pipeline.js";
import { type PublishScheduler, timerScheduler } from "./publish-scheduler.js";
import type { PublisherHooks, PublisherStats, PublishReport } from "./publisher-events.js";
import { scopeOf } from "./scoped-groups.js";
import { WarningReporter } from "./warning-reporter.js";

/** What the publisher needs of the model (ServiceModel has it). */
export interface PublishedModel {
  onChange(listener: (change: ModelChange) => void): () => void;
  whenSynced(): Promise<void>;
  view(): ModelView;
}

/** Options of {@link createSnapshotPublisher}. */
export interface SnapshotPublisherOptions extends PublisherHooks {
  /** The model to publish; its changes drive rebuilds. */
  model: PublishedModel;
  /** Where snapshots go, one per client kind (groups `"envoy"`, `"grpc"`); default: a new cache using {@link SnapshotPublisher.nodeGroup}. A given cache must group nodes the same way. */
  cache?: SnapshotCache;
  /** Health policy, zone key, Envoy listener address. */
  mapping?: MappingOptions;
  /** How clients are told apart (default kind, metadata key). */
  clientKind?: ClientKindOptions;
  /** Changes are coalesced for this long after the first one of a burst (a window, so a steady trickle cannot starve publishing); 0 = the next turn of the event loop; default 50. */
  debounceMs?: number;
  /** Runs the debounced publish; default timers (inject one to drive tests by events). */
  scheduler?: PublishScheduler;
  /** Logs publishes, validation failures and warnings (changes only). */
  logger?: Logger;
  /** A long publish yields to the event loop after this much work, in ms; default 20. */
  yieldAfterMs?: number;
  /** Replaces the mapping of one service (tests and experiments); default mapService. */
  mapService?: (view: ModelView, service: string, options: ResolvedMappingOptions, chain?: ServiceChainInput) => ServiceMapping | undefined;
  /**
   * Consul's config entries (ConfigEntryStore): each service is mapped with its discovery chain, and
   * an entry change rebuilds the services whose chain reads it. Absent: plain routing for every service.
   */
  configEntries?: PublishedConfigEntries;
  /** The service whose service-defaults `UpstreamConfig` applies to every upstream (`--downstream-service`); default `consul-xds-bridge`. */
  downstreamService?: string;
  /** The client kinds and how each is built; default Envoy and gRPC (createClientKindBuilders). */
  builders?: readonly ClientKindBuilder[];
}

/** Turns model changes into validated, consistent snapshots per client kind. */
export interface SnapshotPublisher {
  readonly cache: SnapshotCache;
  /** The node → group function matching the published groups (give it to a cache you create yourself). */
  readonly nodeGroup: NodeGroupFunction;
  /** Resolves after the next publish completes. */
  nextPublish(): Promise<PublishReport>;
  /** Publishes pending changes now, skipping the debounce; undefined before the initial sync, after close, or with nothing pending. */
  flush(): Promise<PublishReport | undefined>;
  stats(): PublisherStats;
  /** Stops listening to the model and cancels a pending publish. */
  close(): void;
}

/**
 * Creates the snapshot publisher, a pipeline of named stages read top to bottom in `publish()`:
 *
 *   coalesce (ChangeCoalescer: debounce window, startup gate)
 *   → map each changed service once (BuildStage: mapService, exceptions caught)
 *   → per client kind (KindPipeline): build that kind's resources → validate (validation-gate.ts,
 *     the gate the tests use) → encode once → keep the last good per resource (last-good.ts)
 *     → assembled resources from parts (Envoy's route configuration from virtual hosts)
 *   → derive type snapshots (LiveResources: only what changed) → publish to the cache.
 *
 * Nothing is published before the model's initial sync. One instance change costs one service's
 * mapping, validation and encoding plus O(changes) snapshot work, however big the catalog.
 */
export function createSnapshotPublisher(options: SnapshotPublisherOptions): SnapshotPublisher {
  const logger = options.logger;
  const mappingOptions = resolveMappingOptions(options.mapping);
  const nodeGroup = createClientKindNodeGroup(options.clientKind);
  const scopedNodeGroup: NodeGroupFunction = (node) => {
    const kind = nodeGroup(node);
    const scope = scopeOf(node, kind, logger);
    if (!scope) return kind;
    const pipeline = kinds.find((candidate) => candidate.group === kind);
    if (!pipeline) return kind;
    pipeline.openScope(scope.group, scope.services);
    // After the first publish a new scope is served at once (before it, the first publish fills it).
    if (publishedOnce) publishScopes(pipeline, scope.group);
    return scope.group;
  };
  const cache = options.cache ?? new SnapshotCache({ nodeGroup: scopedNodeGroup });
  const warnings = new WarningReporter(logger, options.onWarnings);
  const builders = options.builders ?? createClientKindBuilders(mappingOptions);
  const kinds: KindPipeline[] = [];
  for (const builder of builders) {
    kinds.push(new KindPipeline({ builder, base: kinds[0], logger, onValidationFailure: options.onValidationFailure }));
  }
  const entries = options.configEntries;
  const chains = entries ? new ChainStage(entries, options.downstreamService ?? "consul-xds-bridge") : undefined;
  const build = new BuildStage({
    mapService: options.mapService ?? mapService,
    options: mappingOptions,
    yieldAfterMs: options.yieldAfterMs ?? 20,
    logger,
    chains: chains && { stage: chains, downstreamService: options.downstreamService ?? "consul-xds-bridge" },
  });
  const mappings = new Map<string, { readonly warnings: readonly MappingWarning[] }>();
  const waiters: Array<(report: PublishReport) => void> = [];
  const counters = { publishes: 0, rejectedSnapshots: 0 };
  let publishedOnce = false;
  let closed = false;
  let lastPublish: PublishReport | undefined;
  /** What the latest publish was built from; new versions are stamped with it. */
  let provenance: Provenance | undefined;

  async function publish(): Promise<PublishReport> {
    const started = performance.now();
    const full = !publishedOnce;
    const view = options.model.view();
    const pending = coalescer.take();
    const names = full ? new Set([...view.services.keys(), ...pending.names]) : pending.names;
    provenance = (full ? initialProvenance(view) : provenanceOf(pending.origins)) ?? provenance;
    const before = { built: build.servicesBuilt, failures: kindFailures() };

    const mapped = await build.forEach(view, names, (name, mapping) => {
      for (const kind of kinds) kind.rebuild(name, mapping);
      if (mapping) mappings.set(name, { warnings: mapping.warnings });
      else mappings.delete(name);
    });
    const partWarnings = new Map<string, readonly MappingWarning[]>();
    for (const kind of kinds) for (const [name, list] of kind.updateParts()) partWarnings.set(name, list);
    for (const name of new Set([...mapped, ...partWarnings.keys()])) {
      const mapping = mappings.get(name);
      if (!mapping && kinds.every((kind) => !kind.serves(name))) {
        warnings.forget(name);
        continue;
      }
      warnings.report(name, [...(mapping?.warnings ?? []), ...kinds.flatMap((kind) => kind.partWarnings(name))]);
    }

    const published: string[] = [];
    if (!closed) {
      for (const kind of kinds) {
        const types = kind.takeSnapshots(full);
        if (types && setSnapshot(kind.group, types)) published.push(kind.group);
        publishScopes(kind);
      }
    }
    publishedOnce = true;
    counters.publishes += 1;
    const report: PublishReport = {
      revision: view.revision,
      full,
      servicesBuilt: build.servicesBuilt - before.built,
      validationFailures: kindFailures() - before.failures,
      published: published as PublishReport["published"],
      ...(provenance ? { provenance } : {}),
      durationMs: performance.now() - started,
    };
    lastPublish = report;
    const level = full ? "info" : "debug";
    if (logger?.isLevelEnabled(level)) {
      logger[level](
        {
          revision: report.revision,
          services: mappings.size,
          built: report.servicesBuilt,
          published,
          ms: Math.round(report.durationMs * 10) / 10,
        },
        full ? "published initial snapshots" : "published snapshots",
      );
    }
    options.onPublish?.(report);
    for (const resolve of waiters.splice(0)) resolve(report);
    return report;
  }

  /** Hands one group's snapshot to the cache; false (logged, counted) when the cache refuses it as inconsistent. */
  function setSnapshot(group: string, types: ReadonlyMap<XdsTypeUrl, TypeSnapshot>): boolean {
    for (const snapshot of types.values()) stampProvenance(snapshot, provenance);
    const result = cache.setSnapshot(group, snapshotOf(types));
    if (result.published) return true;
    counters.rejectedSnapshots += 1;
    logger?.error({ clientKind: group, problems: result.problems.slice(0, 20) }, "snapshot cache refused an inconsistent snapshot");
    return false;
  }

  /** Publishes the scopes of a kind that changed (or only `group`). */
  function publishScopes(kind: KindPipeline, group?: string): void {
    for (const [name, types] of kind.takeScopeSnapshots(group)) setSnapshot(name, types);
  }

  const kindFailures = () => kinds.reduce((sum, kind) => sum + kind.validationFailures, 0);
  const coalescer = new ChangeCoalescer({
    debounceMs: Math.max(0, options.debounceMs ?? 50),
    scheduler: options.scheduler ?? timerScheduler,
    run: publish,
    onError: (error) => logger?.error({ err: error }, "snapshot publish failed"),
  });
  // A change to a service also rebuilds the services whose chains read it (a split or failover to it).
  const unsubscribeModel = options.model.onChange((change) =>
    coalescer.add(
      chains ? { services: new Set([...change.services, ...chains.dependents(change.services, [])]), origin: change.origin } : change,
    ),
  );
  const unsubscribeEntries =
    entries && chains
      ? entries.onChange((change) => coalescer.add({ services: chains.dependents([], change.keys), origin: change.origin }))
      : undefined;
  const unsubscribe = (): void => {
    unsubscribeModel();
    unsubscribeEntries?.();
  };
  // A scope nobody is served from any more is dropped (a reconnecting client opens it again).
  const unwatchIdle = cache.onIdle((group) => {
    for (const kind of kinds) kind.closeScope(group);
    if (group.includes("~")) cache.clearSnapshot(group);
  });
  void Promise.all([options.model.whenSynced(), entries?.whenSynced()]).then(() => coalescer.openGate());

  return {
    cache,
    nodeGroup: scopedNodeGroup,
    nextPublish: () => new Promise((resolve) => waiters.push(resolve)),
    async flush() {
      if (!coalescer.accepting) return undefined;
      return coalescer.runNow(publish, () => publishedOnce && coalescer.size === 0);
    },
    stats: () => ({
      ...counters,
      servicesBuilt: build.servicesBuilt,
      buildErrors: build.buildErrors,
      virtualHostsBuilt: kinds.reduce((sum, kind) => sum + kind.partsBuilt, 0),
      chainsCompiled: chains?.compiled ?? 0,
      chainsRefused: chains?.refused ?? 0,
      validationFailures: kindFailures(),
      services: mappings.size,
      warnings: warnings.total,
      scopes: kinds.reduce((sum, kind) => sum + kind.scopeCount, 0),
      lastPublish,
    }),
    close() {
      closed = true;
      unsubscribe();
      unwatchIdle();
      coalescer.close();
    },
  };
}

/** The provenance of a first publish: every state's origin (the newest index per datacenter, the oldest answer). */
function initialProvenance(view: ModelView): Provenance | undefined {
  const origins: Array<NonNullable<ModelChange["origin"]>> = [];
  for (const perDc of view.services.values()) {
    for (const state of perDc.values()) if (state.origin) origins.push({ datacenter: state.datacenter, origin: state.origin });
  }
  return provenanceOf(origins);
}
