import type { Logger } from "pino";
import { clientKinds, resourceNameFor } from "../mapping/index.js";
import { type HealthPolicy, routability } from "../model/health-policy.js";
import type { ServiceState } from "../model/service-instance.js";
import type { ModelChange, ModelView } from "../model/service-model.js";
import type { PublishReport } from "../publish/index.js";
import { adsTypeOrder, clusterType, type Snapshot, shortTypeName } from "../snapshot/index.js";
import { type ChangeProvenance, type ChangeRecord, maxListedEndpoints, type NewVersion } from "./change-record.js";
import { silentLogger } from "./create-logger.js";
import { describeChange } from "./describe-change.js";
import { diffServiceInstances } from "./diff-service-instances.js";
import { type IntervalClock, systemIntervalClock } from "./interval-clock.js";
import { createLogBudget, type LogBudget } from "./log-budget.js";
import { servedEndpoints } from "./served-endpoints.js";

/** What the change log reads of the model (ServiceModel has it). */
export interface ChangeLogModel {
  view(): ModelView;
  onChange(listener: (change: ModelChange) => void): () => void;
}

/** Options of {@link ChangeLog}. */
export interface ChangeLogOptions {
  model: ChangeLogModel;
  /** The snapshot published to a client kind now (SnapshotCache.getSnapshot). */
  snapshot: (clientKind: string) => Snapshot | undefined;
  /** Which instances receive traffic (the bridge's mapping policy). */
  healthPolicy: HealthPolicy;
  logger?: Logger;
  /** Records kept in memory for the status page and the admin API (default 500). */
  capacity?: number;
  /** Change lines written back to back before summarizing (default 20). */
  burst?: number;
  /** Change lines per second, sustained, before summarizing (default 1). */
  perSecond?: number;
  /** How often a summary of the changes not written one by one is logged (default 10 s). */
  summaryIntervalMs?: number;
  clock?: IntervalClock;
}

/** Changes counted instead of written, for the next summary line. */
interface Suppressed {
  count: number;
  readonly kinds: Map<string, number>;
  readonly services: Map<string, number>;
}

/**
 * The change log: after every publish, one record per instance whose traffic-relevant state
 * changed (diffing the changed services between the previous and the new model view), with what
 * the service serves now (read from the published snapshot) and which client kinds got which new
 * version. Each record is one info line, unless changes come faster than the log budget allows:
 * then they are counted and a summary line is written every `summaryIntervalMs`, so 100 changes/s
 * never floods the log. The last `capacity` records stay in memory either way.
 */
export class ChangeLog {
  private readonly log: Logger;
  private readonly clock: IntervalClock;
  private readonly budget: LogBudget;
  private readonly capacity: number;
  private readonly records: ChangeRecord[] = [];
  /** Services changed since they were last diffed → the model revision of their latest change. */
  private readonly pending = new Map<string, number>();
  private readonly listeners = new Set<(records: readonly ChangeRecord[]) => void>();
  private readonly stopModel: () => void;
  private readonly stopTimer: () => void;
  private readonly summaryIntervalMs: number;
  private suppressed: Suppressed = { count: 0, kinds: new Map(), services: new Map() };
  /** Each service's instances as of its last diff (undefined before the first publish). */
  private known: Map<string, ReadonlyMap<string, ServiceState>> | undefined;
  private lastSnapshots = new Map<string, Snapshot | undefined>();
  private seq = 0;

  constructor(private readonly options: ChangeLogOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: "changes" });
    this.clock = options.clock ?? systemIntervalClock;
    this.capacity = Math.max(1, options.capacity ?? 500);
    this.budget = createLogBudget({ burst: options.burst ?? 20, perSecond: options.perSecond ?? 1, now: () => this.clock.now() });
    this.summaryIntervalMs = options.summaryIntervalMs ?? 10_000;
    this.stopModel = options.model.onChange((change) => {
      for (const name of change.services) this.pending.set(name, change.revision);
    });
    this.stopTimer = this.clock.every(this.summaryIntervalMs, () => this.writeSummary());
  }

  /**
   * Records what one publish changed; call it from the publisher's onPublish. The first publish
   * is the baseline (one line saying what is served); later ones give one record per change.
   */
  published(report: PublishReport, provenance: ChangeProvenance | undefined = report.provenance): void {
    const view = this.options.model.view();
    const snapshots = new Map(clientKinds.map((kind) => [kind, this.options.snapshot(kind)] as const));
    const previousSnapshots = this.lastSnapshots;
    this.lastSnapshots = snapshots;
    // Only services whose latest change this publish covers: the view holds their state as
    // published. Later changes wait for the publish that covers them, diffed from what was known.
    const names = [...this.pending]
      .filter(([, revision]) => revision <= report.revision)
      .map(([name]) => name)
      .sort();
    for (const name of names) this.pending.delete(name);
    const known = this.known;
    if (!known) {
      this.known = new Map(view.services);
      this.logBaseline(view, report);
      return;
    }
    const at = this.clock.now();
    const added: ChangeRecord[] = [];
    for (const service of names) {
      const now = view.services.get(service);
      const changes = diffServiceInstances(service, known.get(service), now, this.options.healthPolicy);
      if (now) known.set(service, now);
      else known.delete(service);
      if (changes.length === 0) continue;
      const versions = newVersions(service, previousSnapshots, snapshots);
      const withResource = clientKinds
        .map((kind) => snapshots.get(kind))
        .find((s) => s?.get(clusterType).resources.has(resourceNameFor(service)));
      const { endpoints } = servedEndpoints(withResource, service);
      for (const change of changes) {
        const record = {
          ...change,
          seq: ++this.seq,
          at,
          revision: report.revision,
          endpoints: endpoints.slice(0, maxListedEndpoints),
          endpointCount: endpoints.length,
          versions,
          ...withProvenance(serviceProvenance(now) ?? provenance),
        };
        added.push({ ...record, message: describeChange(record, view.localDatacenter) });
      }
    }
    if (added.length === 0) return;
    this.records.push(...added);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    for (const record of added) this.write(record);
    for (const listener of this.listeners) {
      try {
        listener(added);
      } catch {
        // A listener (a status page connection) must not break the log.
      }
    }
  }

  /** The records kept, oldest first: those after `afterSeq`, at most the last `limit`. */
  recent(afterSeq = 0, limit = this.capacity): ChangeRecord[] {
    const after = this.records.filter((record) => record.seq > afterSeq);
    return after.slice(Math.max(0, after.length - limit));
  }

  /** Calls `listener` with each batch of new records; returns a function that stops it. */
  onRecords(listener: (records: readonly ChangeRecord[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening to the model, writes a last summary if changes are pending, stops the timer. */
  close(): void {
    this.stopModel();
    this.stopTimer();
    this.writeSummary();
  }

  private write(record: ChangeRecord): void {
    if (!this.budget.take()) {
      const s = this.suppressed;
      s.count += 1;
      s.kinds.set(record.kind, (s.kinds.get(record.kind) ?? 0) + 1);
      s.services.set(record.service, (s.services.get(record.service) ?? 0) + 1);
      return;
    }
    this.log.info(
      {
        service: record.service,
        instance: record.instance,
        node: record.node,
        datacenter: record.datacenter,
        address: record.address,
        change: record.kind,
        from: record.from,
        to: record.to,
        why: record.why,
        endpoints: record.endpointCount,
        versions: record.versions.map((v) => `${v.clientKind} ${v.type} ${v.version}`),
        ...(record.provenance ? { provenance: record.provenance } : {}),
      },
      record.message,
    );
  }

  private writeSummary(): void {
    const { count, kinds, services } = this.suppressed;
    if (count === 0) return;
    this.suppressed = { count: 0, kinds: new Map(), services: new Map() };
    const top = [...services].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const listed = top
      .slice(0, 5)
      .map(([name, n]) => `${name} (${n})`)
      .join(", ");
    const byKind = [...kinds]
      .sort()
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ");
    this.log.info(
      { changes: count, kinds: Object.fromEntries(kinds), services: Object.fromEntries(top.slice(0, 20)) },
      `${count} more change${count === 1 ? "" : "s"} not logged one by one (too many to list): ${byKind}; services: ${listed}${top.length > 5 ? `, and ${top.length - 5} more` : ""}`,
    );
  }

  private logBaseline(view: ModelView, report: PublishReport): void {
    let instances = 0;
    let routable = 0;
    for (const perDc of view.services.values()) {
      for (const state of perDc.values()) {
        instances += state.instances.length;
        for (const instance of state.instances) if (routability(instance, this.options.healthPolicy).routable) routable += 1;
      }
    }
    this.log.info(
      { services: view.services.size, instances, routable, clientKinds: report.published },
      `serving ${view.services.size} services (${instances} instances, ${routable} receiving traffic); changes are logged from now on`,
    );
  }
}

/**
 * Which client kinds got a new version of which type because `service` changed: the types in which
 * the service's own resource (named after it) differs between the two snapshots of a kind; and when
 * the service appeared or vanished for that kind, every type whose version moved (the shared Envoy
 * listener and route configuration list every service).
 */
function newVersions(
  service: string,
  before: ReadonlyMap<string, Snapshot | undefined>,
  after: ReadonlyMap<string, Snapshot | undefined>,
): NewVersion[] {
  const name = resourceNameFor(service);
  const versions: NewVersion[] = [];
  for (const kind of clientKinds) {
    const old = before.get(kind);
    const now = after.get(kind);
    if (!now) continue;
    const appeared = old?.get(clusterType).resources.has(name) !== now.get(clusterType).resources.has(name);
    for (const typeUrl of adsTypeOrder) {
      const a = old?.get(typeUrl);
      const b = now.get(typeUrl);
      if (a?.version === b.version) continue;
      const own = a?.resources.get(name)?.hash !== b.resources.get(name)?.hash;
      if (own || appeared) versions.push({ clientKind: kind, type: shortTypeName(typeUrl), version: b.version });
    }
  }
  return versions;
}

/**
 * The provenance of a service's current state: per datacenter the index of the answer its state was
 * read from, and the newest of those answers (the one that brought the change being logged).
 */
function serviceProvenance(states: ReadonlyMap<string, ServiceState> | undefined): ChangeProvenance | undefined {
  const consulIndex: Record<string, number> = {};
  let answeredAt: number | undefined;
  for (const state of states?.values() ?? []) {
    if (!state.origin) continue;
    consulIndex[state.datacenter] = state.origin.index;
    answeredAt = Math.max(answeredAt ?? 0, state.origin.at);
  }
  return answeredAt === undefined ? undefined : { consulIndex, answeredAt };
}

function withProvenance(provenance: ChangeProvenance | undefined): { provenance?: ChangeProvenance } {
  return provenance ? { provenance } : {};
}
