import { type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { ClusterSchema } from "../gen/envoy/config/cluster/v3/cluster_pb.js";
import { ClusterLoadAssignmentSchema } from "../gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { ListenerSchema } from "../gen/envoy/config/listener/v3/listener_pb.js";
import { VirtualHostSchema } from "../gen/envoy/config/route/v3/route_components_pb.js";
import { RouteConfigurationSchema } from "../gen/envoy/config/route/v3/route_pb.js";
import {
  buildEnvoyListener,
  buildEnvoyRouteConfiguration,
  buildEnvoyVirtualHost,
  type ClientKind,
  type ClientKindOptions,
  clientKinds,
  envoyListenerName,
  type MappingOptions,
  type MappingWarning,
  mapService,
  type ResolvedMappingOptions,
  resolveMappingOptions,
  type ServiceMapping,
  type VirtualHostSource,
} from "../mapping/index.js";
import type { ModelChange, ModelView } from "../model/service-model.js";
import {
  clusterType,
  createTypeSnapshot,
  deriveTypeSnapshot,
  type EncodedResource,
  encodeResource,
  endpointType,
  listenerType,
  type NodeGroupFunction,
  routeType,
  SnapshotCache,
  snapshotOf,
  type TypeSnapshot,
  type XdsTypeUrl,
} from "../snapshot/index.js";
import { type ValidationError, validateXdsResource } from "../validate/index.js";
import { createClientKindNodeGroup } from "./client-kind-node-group.js";
import { DomainRegistry } from "./domain-registry.js";
import { type PublishScheduler, timerScheduler } from "./publish-scheduler.js";
import type { PublisherHooks, PublisherStats, PublishReport, ValidationFailure } from "./publisher-events.js";
import { resolvePublishedSlots, type Slot, type Slots } from "./resolve-published-slots.js";
import { RouteConfigurationAssembler } from "./route-configuration-assembler.js";

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
  mapService?: (view: ModelView, service: string, options: ResolvedMappingOptions) => ServiceMapping | undefined;
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
 * Creates the snapshot publisher: subscribes to the model at once, publishes nothing before
 * `whenSynced()` (startup gate), then rebuilds only the services named by model changes (coalesced
 * per debounce window), validates every resource before encoding it, keeps the last good version of
 * a rejected resource (or leaves a new service out, consistently), and hands one snapshot per client
 * kind to the cache. Envoy's route configuration is assembled from per-service pre-encoded virtual
 * hosts, so one change costs O(1) encoding plus O(N) byte copying and map bookkeeping.
 */
export function createSnapshotPublisher(options: SnapshotPublisherOptions): SnapshotPublisher {
  return new Publisher(options);
}

const slotTypes: Readonly<Record<Slot, XdsTypeUrl>> = {
  cluster: clusterType,
  assignment: endpointType,
  listener: listenerType,
  route: routeType,
};
const slotSchemas: Readonly<Record<Slot, DescMessage>> = {
  cluster: ClusterSchema,
  assignment: ClusterLoadAssignmentSchema,
  listener: ListenerSchema,
  route: RouteConfigurationSchema,
};

interface Wanted {
  readonly slot: Slot;
  readonly message: Message;
  readonly references: readonly string[];
}

/** Work shared between the client kinds while one service is rebuilt (both may hold the same message objects). */
interface SharedWork {
  readonly encoded: Map<Message, EncodedResource>;
  readonly validForGrpc: Set<Message>;
}

/**
 * What is kept of a service's mapping between publishes: enough to rebuild its virtual host and report
 * its warnings. The resource messages themselves are dropped once encoded (kept for 10,000 services
 * they would hold ~150 MB of message objects that nothing reads again).
 */
type RetainedMapping = VirtualHostSource & Pick<ServiceMapping, "warnings">;

function retain(mapping: ServiceMapping): RetainedMapping {
  const { service, resourceName, settings, warnings, envoy } = mapping;
  return { service, resourceName, settings, warnings, envoy: { domainClaims: envoy.domainClaims } };
}

interface ServiceEntry {
  readonly name: string;
  resourceName: string;
  mapping: RetainedMapping | undefined;
  readonly published: Record<ClientKind, Slots>;
  /** The published virtual host: its encoding and the domains it holds. */
  virtualHost: { readonly bytes: Uint8Array; readonly domains: readonly string[] } | undefined;
  virtualHostWarnings: readonly MappingWarning[];
  /** What the virtual host was last built from; equal inputs give an equal host, so it is kept. */
  virtualHostInputs: string | undefined;
  warningsKey: string;
  warningsCount: number;
}

class Publisher implements SnapshotPublisher {
  readonly cache: SnapshotCache;
  readonly nodeGroup: NodeGroupFunction;
  private readonly model: PublishedModel;
  private readonly mappingOptions: ResolvedMappingOptions;
  private readonly debounceMs: number;
  private readonly scheduler: PublishScheduler;
  private readonly logger: Logger | undefined;
  private readonly yieldAfterMs: number;
  private readonly mapper: NonNullable<SnapshotPublisherOptions["mapService"]>;
  private readonly hooks: PublisherHooks;
  private readonly unsubscribe: () => void;

  private readonly entries = new Map<string, ServiceEntry>();
  private readonly live: Record<ClientKind, Map<XdsTypeUrl, Map<string, EncodedResource>>>;
  private readonly typeSnapshots: Record<ClientKind, Map<XdsTypeUrl, TypeSnapshot>>;
  private readonly dirtyTypes: Record<ClientKind, Set<XdsTypeUrl>>;
  /** Per kind and type, the names whose live resource changed since that type's snapshot was built. */
  private readonly dirtyNames: Record<ClientKind, Map<XdsTypeUrl, Set<string>>>;
  /** Per shared type: names whose resource differs between the Envoy and gRPC maps (empty: one TypeSnapshot serves both). */
  private readonly kindDifferences = new Map<XdsTypeUrl, Set<string>>([
    [clusterType, new Set()],
    [endpointType, new Set()],
  ]);
  private readonly domains = new DomainRegistry();
  private readonly routes: RouteConfigurationAssembler;
  private readonly envoyListener: EncodedResource;
  private readonly pending = new Set<string>();
  private readonly waiters: Array<(report: PublishReport) => void> = [];
  private synced = false;
  private closed = false;
  private publishedOnce = false;
  private cancelTimer: (() => void) | undefined;
  private running: Promise<PublishReport> | undefined;
  private counters = {
    publishes: 0,
    servicesBuilt: 0,
    virtualHostsBuilt: 0,
    validationFailures: 0,
    rejectedSnapshots: 0,
    buildErrors: 0,
    warnings: 0,
  };
  private lastPublish: PublishReport | undefined;

  constructor(options: SnapshotPublisherOptions) {
    this.model = options.model;
    this.mappingOptions = resolveMappingOptions(options.mapping);
    this.debounceMs = Math.max(0, options.debounceMs ?? 50);
    this.scheduler = options.scheduler ?? timerScheduler;
    this.logger = options.logger;
    this.yieldAfterMs = options.yieldAfterMs ?? 20;
    this.mapper = options.mapService ?? mapService;
    this.hooks = { onPublish: options.onPublish, onValidationFailure: options.onValidationFailure, onWarnings: options.onWarnings };
    this.nodeGroup = createClientKindNodeGroup(options.clientKind);
    this.cache = options.cache ?? new SnapshotCache({ nodeGroup: this.nodeGroup });
    this.live = { envoy: new Map(), grpc: new Map() };
    this.typeSnapshots = { envoy: new Map(), grpc: new Map() };
    this.dirtyTypes = { envoy: new Set(), grpc: new Set() };
    this.dirtyNames = { envoy: new Map(), grpc: new Map() };
    for (const kind of clientKinds) for (const type of Object.values(slotTypes)) this.live[kind].set(type, new Map());

    // The bridge's own Envoy resources are built from configuration: a failure is a configuration error.
    const listener = buildEnvoyListener(this.mappingOptions.envoyListener);
    const shell = buildEnvoyRouteConfiguration([]);
    for (const message of [listener, shell]) {
      const result = validateXdsResource(message, { client: "envoy" });
      if (!result.valid)
        throw new Error(`invalid Envoy ${message.$typeName}: ${result.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
    }
    this.envoyListener = encodeResource(listenerType, ListenerSchema, listener, envoyListenerName, [shell.name]);
    this.routes = new RouteConfigurationAssembler(shell);

    this.unsubscribe = this.model.onChange((change) => {
      for (const name of change.services) this.pending.add(name);
      this.schedule(this.debounceMs);
    });
    void this.model.whenSynced().then(() => {
      if (this.closed) return;
      this.synced = true;
      this.schedule(0);
    });
  }

  nextPublish(): Promise<PublishReport> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async flush(): Promise<PublishReport | undefined> {
    if (!this.synced || this.closed) return undefined;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.running) await this.running.catch(() => undefined);
    if (this.publishedOnce && this.pending.size === 0) return undefined;
    return this.runCycle();
  }

  stats(): PublisherStats {
    let services = 0;
    for (const entry of this.entries.values()) if (entry.mapping) services += 1;
    return { ...this.counters, services, lastPublish: this.lastPublish };
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  // ---- scheduling ------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (!this.synced || this.closed || this.cancelTimer || this.running) return;
    this.cancelTimer = this.scheduler(() => {
      this.cancelTimer = undefined;
      void this.runCycle().catch((error: unknown) => this.logger?.error({ err: error }, "snapshot publish failed"));
    }, delayMs);
  }

  private runCycle(): Promise<PublishReport> {
    const cycle = this.publish().finally(() => {
      this.running = undefined;
      if (this.pending.size > 0) this.schedule(this.debounceMs);
    });
    this.running = cycle;
    return cycle;
  }

  // ---- one publish -----------------------------------------------------------------------------

  private async publish(): Promise<PublishReport> {
    const started = performance.now();
    const full = !this.publishedOnce;
    const view = this.model.view();
    const names = full ? new Set([...view.services.keys(), ...this.pending]) : new Set(this.pending);
    this.pending.clear();
    const before = { built: this.counters.servicesBuilt, failures: this.counters.validationFailures };
    const virtualHostTargets = new Set<string>();
    let sliceStart = performance.now();
    let sinceCheck = 0;
    for (const name of names) {
      for (const affected of this.rebuildService(view, name)) virtualHostTargets.add(affected);
      if (++sinceCheck >= 32) {
        sinceCheck = 0;
        if (performance.now() - sliceStart >= this.yieldAfterMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    }
    for (const name of virtualHostTargets) this.rebuildVirtualHost(name);
    for (const name of names) this.reportWarnings(name);
    for (const name of virtualHostTargets) if (!names.has(name)) this.reportWarnings(name);

    const published: ClientKind[] = [];
    if (!this.closed) {
      for (const kind of clientKinds) if (this.publishKind(kind, full)) published.push(kind);
    }
    this.publishedOnce = true;
    this.counters.publishes += 1;
    const report: PublishReport = {
      revision: view.revision,
      full,
      servicesBuilt: this.counters.servicesBuilt - before.built,
      validationFailures: this.counters.validationFailures - before.failures,
      published,
      durationMs: performance.now() - started,
    };
    this.lastPublish = report;
    const level = full ? "info" : "debug";
    // Counting services walks every entry: only when the line is logged (not on each of 100 publishes a second).
    if (this.logger?.isLevelEnabled(level)) {
      this.logger[level](
        {
          revision: report.revision,
          services: this.stats().services,
          built: report.servicesBuilt,
          published,
          ms: Math.round(report.durationMs * 10) / 10,
        },
        full ? "published initial snapshots" : "published snapshots",
      );
    }
    this.hooks.onPublish?.(report);
    for (const resolve of this.waiters.splice(0)) resolve(report);
    return report;
  }

  /** Maps one service and updates what it publishes; returns the services whose virtual hosts need a rebuild. */
  private rebuildService(view: ModelView, name: string): Iterable<string> {
    let mapping: ServiceMapping | undefined;
    try {
      mapping = this.mapper(view, name, this.mappingOptions);
    } catch (error) {
      this.counters.buildErrors += 1;
      this.logger?.error({ err: error, service: name }, "mapping a service failed; its last good resources stay");
      return [];
    }
    this.counters.servicesBuilt += 1;
    let entry = this.entries.get(name);
    if (!mapping && !entry) return [];
    if (!entry) {
      entry = {
        name,
        resourceName: mapping!.resourceName,
        mapping: undefined,
        published: { envoy: {}, grpc: {} },
        virtualHost: undefined,
        virtualHostWarnings: [],
        virtualHostInputs: undefined,
        warningsKey: "[]",
        warningsCount: 0,
      };
      this.entries.set(name, entry);
    }
    entry.mapping = mapping ? retain(mapping) : undefined;
    if (mapping) entry.resourceName = mapping.resourceName;
    const shared: SharedWork = { encoded: new Map(), validForGrpc: new Set() };
    // gRPC first: a message valid for gRPC clients is valid for Envoy too (gRPC's rules add to Envoy's).
    for (const kind of ["grpc", "envoy"] as const) this.updateKind(entry, kind, mapping, shared);
    for (const [type, differences] of this.kindDifferences) {
      const name = entry.resourceName;
      if (this.live.envoy.get(type)!.get(name) === this.live.grpc.get(type)!.get(name)) differences.delete(name);
      else differences.add(name);
    }
    const claims = mapping && entry.published.envoy.cluster ? mapping.envoy.domainClaims : [];
    const affected = this.domains.update(name, claims);
    affected.add(name);
    return affected;
  }

  /** Validates and encodes the wanted resources of one kind, resolves last-good fallbacks, applies the difference. */
  private updateKind(entry: ServiceEntry, kind: ClientKind, mapping: ServiceMapping | undefined, shared: SharedWork): void {
    const previous = entry.published[kind];
    const wanted = mapping ? wantedSlots(mapping, kind) : [];
    const accepted: Partial<Record<Slot, EncodedResource>> = {};
    const rejected: Array<{ slot: Slot; errors: readonly ValidationError[] }> = [];
    for (const { slot, message, references } of wanted) {
      if (!(kind === "envoy" && shared.validForGrpc.has(message))) {
        const result = validateXdsResource(message, { client: kind });
        if (!result.valid) {
          rejected.push({ slot, errors: result.errors });
          continue;
        }
        if (kind === "grpc") shared.validForGrpc.add(message);
      }
      let resource = shared.encoded.get(message);
      if (!resource || !sameReferences(resource.references, references)) {
        resource = encodeResource(slotTypes[slot], slotSchemas[slot], message as never, entry.resourceName, references);
        shared.encoded.set(message, resource);
      }
      const old = previous[slot];
      accepted[slot] = old && old.hash === resource.hash && sameReferences(old.references, references) ? old : resource;
    }
    const next = resolvePublishedSlots({ kind, previous, wanted: new Set(wanted.map((w) => w.slot)), accepted });
    for (const { slot, errors } of rejected) {
      this.reportValidationFailure({
        service: entry.name,
        clientKind: kind,
        typeUrl: slotTypes[slot],
        resourceName: entry.resourceName,
        errors,
        kept: next[slot] ? "last-good" : "nothing",
      });
    }
    for (const slot of ["cluster", "assignment", "listener", "route"] as const) {
      const before = previous[slot];
      const after = next[slot];
      if (before === after) continue;
      const type = slotTypes[slot];
      const live = this.live[kind].get(type)!;
      if (before) live.delete(before.name);
      if (after) live.set(after.name, after);
      this.dirtyTypes[kind].add(type);
      let names = this.dirtyNames[kind].get(type);
      if (!names) this.dirtyNames[kind].set(type, (names = new Set()));
      if (before) names.add(before.name);
      if (after) names.add(after.name);
    }
    entry.published[kind] = next;
  }

  /** Rebuilds the Envoy virtual host of one service from the domains it currently wins. */
  private rebuildVirtualHost(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    const mapping = entry.mapping;
    if (!mapping || !entry.published.envoy.cluster) {
      this.routes.delete(entry.resourceName);
      entry.virtualHost = undefined;
      entry.virtualHostWarnings = [];
      entry.virtualHostInputs = undefined;
      if (!mapping && Object.keys(entry.published.grpc).length === 0) this.forget(entry);
      return;
    }
    const won = this.domains.won(name);
    // An instance change (most publishes) leaves these alone: no rebuild, validation or encoding.
    const inputs = JSON.stringify([mapping.resourceName, mapping.settings, mapping.envoy.domainClaims.map((c) => c.domain), won]);
    if (inputs === entry.virtualHostInputs) return;
    entry.virtualHostInputs = inputs;
    this.counters.virtualHostsBuilt += 1;
    const built = buildEnvoyVirtualHost(mapping, won);
    entry.virtualHostWarnings = built.warnings;
    if (!built.virtualHost) {
      this.routes.delete(entry.resourceName);
      entry.virtualHost = undefined;
      return;
    }
    const result = validateXdsResource(built.virtualHost, { client: "envoy" });
    if (result.valid) {
      const bytes = toBinary(VirtualHostSchema, built.virtualHost);
      this.routes.set(entry.resourceName, bytes);
      entry.virtualHost = { bytes, domains: won };
      return;
    }
    // Keep the last good virtual host only while it claims no domain another service now owns.
    const wonSet = new Set(won);
    const keep = entry.virtualHost?.domains.every((domain) => wonSet.has(domain));
    if (!keep) {
      this.routes.delete(entry.resourceName);
      entry.virtualHost = undefined;
    }
    this.reportValidationFailure({
      service: name,
      clientKind: "envoy",
      typeUrl: `type.googleapis.com/${VirtualHostSchema.typeName}`,
      resourceName: entry.resourceName,
      errors: result.errors,
      kept: keep ? "last-good" : "nothing",
    });
  }

  private forget(entry: ServiceEntry): void {
    this.counters.warnings -= entry.warningsCount;
    if (entry.warningsCount > 0) {
      this.logger?.info({ service: entry.name }, "service gone; its warnings are cleared");
      this.hooks.onWarnings?.(entry.name, []);
    }
    this.entries.delete(entry.name);
  }

  /** Publishes the snapshot of one kind if any of its types changed; returns whether the cache took a new snapshot. */
  private publishKind(kind: ClientKind, full: boolean): boolean {
    const dirty = this.dirtyTypes[kind];
    const types = this.typeSnapshots[kind];
    if (kind === "envoy") {
      const routeResource = this.routes.resource();
      if (types.get(routeType)?.resources.get(routeResource.name) !== routeResource) {
        types.set(routeType, createTypeSnapshot(routeType, [routeResource]));
        dirty.add(routeType);
      }
      if (!types.has(listenerType)) {
        types.set(listenerType, createTypeSnapshot(listenerType, [this.envoyListener]));
        dirty.add(listenerType);
      }
    }
    if (dirty.size === 0 && !full) return false;
    for (const type of dirty) {
      if (kind === "envoy" && (type === routeType || type === listenerType)) continue;
      // Envoy publishes first; where gRPC's map holds the very same resources, share its TypeSnapshot
      // (less copying here, and streams of both kinds share one cached diff).
      const envoyTypes = this.typeSnapshots.envoy.get(type);
      if (
        kind === "grpc" &&
        envoyTypes &&
        this.kindDifferences.get(type)?.size === 0 &&
        envoyTypes.resources.size === this.live.grpc.get(type)!.size
      ) {
        types.set(type, envoyTypes);
        continue;
      }
      types.set(type, this.nextTypeSnapshot(kind, type));
    }
    dirty.clear();
    this.dirtyNames[kind].clear();
    const snapshot = snapshotOf(types);
    const result = this.cache.setSnapshot(kind, snapshot);
    if (!result.published) {
      this.counters.rejectedSnapshots += 1;
      this.logger?.error({ clientKind: kind, problems: result.problems.slice(0, 20) }, "snapshot cache refused an inconsistent snapshot");
      return false;
    }
    return true;
  }

  /**
   * The new snapshot of one dirty type: derived from the last one when few names changed (the cost of
   * a map copy plus the changes), else built from the live resources.
   */
  private nextTypeSnapshot(kind: ClientKind, type: XdsTypeUrl): TypeSnapshot {
    const live = this.live[kind].get(type)!;
    const previous = this.typeSnapshots[kind].get(type);
    const names = this.dirtyNames[kind].get(type);
    if (!previous || !names || names.size * 4 > live.size) return createTypeSnapshot(type, live.values());
    const changes = new Map<string, EncodedResource | undefined>();
    for (const name of names) changes.set(name, live.get(name));
    return deriveTypeSnapshot(previous, changes);
  }

  private reportValidationFailure(failure: ValidationFailure): void {
    this.counters.validationFailures += 1;
    this.logger?.warn(
      {
        service: failure.service,
        clientKind: failure.clientKind,
        type: failure.typeUrl,
        resource: failure.resourceName,
        kept: failure.kept,
        errors: failure.errors.slice(0, 10),
      },
      "resource failed validation and was not published",
    );
    this.hooks.onValidationFailure?.(failure);
  }

  /** Logs and reports a service's warnings when they differ from the last reported ones. */
  private reportWarnings(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    const warnings = [...(entry.mapping?.warnings ?? []), ...entry.virtualHostWarnings];
    const key = JSON.stringify(warnings.map((w) => [w.code, w.instance, w.clientKind, w.message]));
    if (key === entry.warningsKey) return;
    entry.warningsKey = key;
    this.counters.warnings += warnings.length - entry.warningsCount;
    entry.warningsCount = warnings.length;
    if (warnings.length > 0) {
      this.logger?.warn(
        { service: name, warnings: warnings.map(({ code, instance, clientKind, message }) => ({ code, instance, clientKind, message })) },
        "mapping warnings",
      );
    } else {
      this.logger?.info({ service: name }, "mapping warnings cleared");
    }
    this.hooks.onWarnings?.(name, warnings);
  }
}

/** The resources a mapping wants published for one kind, with the names each one references. */
function wantedSlots(mapping: ServiceMapping, kind: ClientKind): Wanted[] {
  const name = mapping.resourceName;
  if (kind === "envoy") {
    const { cluster, assignment } = mapping.envoy;
    const wanted: Wanted[] = [{ slot: "cluster", message: cluster, references: assignment ? [name] : [] }];
    if (assignment) wanted.push({ slot: "assignment", message: assignment, references: [] });
    return wanted;
  }
  const grpc = mapping.grpc;
  if (!grpc) return [];
  return [
    { slot: "cluster", message: grpc.cluster, references: [name] },
    { slot: "assignment", message: grpc.assignment, references: [] },
    { slot: "listener", message: grpc.listener, references: [name] },
    { slot: "route", message: grpc.routeConfiguration, references: [] },
  ];
}

function sameReferences(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
