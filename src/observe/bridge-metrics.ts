import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { provenanceOf, type SnapshotCache, shortTypeName, type TypeSnapshot } from "../snapshot/index.js";
import type { StreamInfo, XdsServerHooks } from "../xds/index.js";
import { type BuildInfo, readBuildInfo } from "./build-info.js";
import { OptionalGauge } from "./optional-gauge.js";
import type { StatusReading } from "./status-reading.js";
import { truncateForLog } from "./truncate-for-log.js";

/** One change-to-ACK measurement, kept for the status page's chart. */
export interface ChangeToAckSample {
  /** When the ACK arrived (ms since the epoch). */
  readonly at: number;
  readonly seconds: number;
  /** CDS, EDS, LDS or RDS. */
  readonly type: string;
  /** The acknowledging node's id (truncated). */
  readonly node: string;
}

/** Change-to-ACK samples kept in memory. */
const keptSamples = 500;

/** Options of {@link BridgeMetrics}. */
export interface BridgeMetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop lag); default true. */
  processMetrics?: boolean;
  /** Clock, for tests (default Date.now). */
  now?: () => number;
  /** What `build_info` reports (default: read from the package and the build). */
  buildInfo?: BuildInfo;
}

const prefix = "consul_xds_bridge_";

/**
 * The bridge's Prometheus metrics, in a registry of their own: xDS streams, responses, ACKs,
 * NACKs and change-to-ACK latency (through {@link xdsHooks}); Consul requests and errors by class;
 * sync staleness and model size (read at scrape time from {@link setStatusSource}).
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  /** The build `build_info` reports. */
  readonly buildInfo: BuildInfo;
  /** Hooks to give the xDS server. */
  readonly xdsHooks: XdsServerHooks;
  private readonly streams: Gauge;
  private readonly responses: Counter;
  private readonly acks: Counter;
  private readonly nacks: Counter;
  private readonly changeToAck: Histogram;
  private readonly consulRequests: Counter;
  private readonly consulLatency: Histogram;
  private readonly consulErrors: Counter;
  private readonly validationFailures: Counter;
  private readonly publishes: Counter;
  private readonly withdrawalHolds: Counter;
  private readonly now: () => number;
  /** Per type snapshot: when it was first published, and when the registry answer behind it arrived (latency starts there). */
  private readonly publishedAt = new WeakMap<TypeSnapshot, { readonly at: number; readonly since: number }>();
  /** Per stream and type: when the data of the response in flight was published. */
  private readonly inFlight = new Map<number, Map<string, number>>();
  private readonly streamLabels = new Map<number, { stream_type: string; client_kind: string }>();
  private statusSource: (() => StatusReading) | undefined;
  /** Raw measurements, worded into ChangeToAckSamples only when read (an ACK must stay cheap). */
  private readonly samples: Array<{
    readonly at: number;
    readonly seconds: number;
    readonly typeUrl: string;
    /** Only the node's id (the same string, no copy): a whole StreamInfo would keep its Node alive. */
    readonly nodeId: string;
  }> = [];
  /** The reading taken for the scrape in progress, so its gauges share one. */
  private scrapeReading: StatusReading | undefined;
  /**
   * Per type: responses and ACKs counted, and change-to-ACK latencies (seconds) measured, since the
   * metrics were last collected. A fan-out to a thousand streams adds to plain numbers; prom-client
   * (which hashes labels on every call) gets them when it collects, so scrapes see the same values.
   */
  private readonly pending = new Map<string, { responses: number; acks: number; latencies: number[] }>();

  constructor(options: BridgeMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix });
    this.streams = new Gauge({
      name: `${prefix}xds_streams`,
      help: "Open xDS streams by stream type (ADS or per-type service) and client kind",
      labelNames: ["stream_type", "client_kind"],
      registers,
    });
    const flush = () => this.flushPending();
    this.responses = new Counter({
      name: `${prefix}xds_responses_total`,
      help: "DiscoveryResponses sent, by type",
      labelNames: ["type"],
      registers,
      collect: flush,
    });
    this.acks = new Counter({
      name: `${prefix}xds_acks_total`,
      help: "Responses acknowledged by clients, by type",
      labelNames: ["type"],
      registers,
      collect: flush,
    });
    this.nacks = new Counter({
      name: `${prefix}xds_nacks_total`,
      help: "Responses rejected by clients (NACK), by type",
      labelNames: ["type"],
      registers,
    });
    this.changeToAck = new Histogram({
      name: `${prefix}xds_change_to_ack_seconds`,
      help: "Time from the Consul answer that brought a change (else the publish) to a client acknowledging a response carrying it, by type",
      labelNames: ["type"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
      collect: flush,
    });
    this.consulRequests = new Counter({
      name: `${prefix}consul_requests_total`,
      help: "HTTP requests to Consul, by endpoint and outcome (ok or an error class)",
      labelNames: ["endpoint", "outcome"],
      registers,
    });
    this.consulLatency = new Histogram({
      name: `${prefix}consul_request_duration_seconds`,
      help: "Time each request to Consul took, by endpoint and outcome; blocking queries wait up to their wait time for a change",
      labelNames: ["endpoint", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    const build = (this.buildInfo = options.buildInfo ?? readBuildInfo());
    new Gauge({
      name: `${prefix}build_info`,
      help: "Always 1; the labels say which build runs: package version, Node.js version, git commit (unknown when not recorded)",
      labelNames: ["version", "node_version", "commit"],
      registers,
    }).set({ version: build.version, node_version: build.nodeVersion, commit: build.commit ?? "unknown" }, 1);
    this.consulErrors = new Counter({
      name: `${prefix}consul_errors_total`,
      help: "Failed requests to Consul, by error class",
      labelNames: ["class"],
      registers,
    });
    this.validationFailures = new Counter({
      name: `${prefix}resource_validation_failures_total`,
      help: "Resources withheld because they failed validation, by type",
      labelNames: ["type"],
      registers,
    });
    this.publishes = new Counter({
      name: `${prefix}snapshots_published_total`,
      help: "Snapshots published, by client kind",
      labelNames: ["client_kind"],
      registers,
    });
    const read = () => this.scrapeReading ?? this.statusSource?.();
    /** A gauge whose value is read from the status reading at scrape time. */
    const readingGauge = (name: string, help: string, pick: (reading: StatusReading) => number) =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        registers,
        collect() {
          const reading = read();
          if (reading) this.set(pick(reading));
        },
      });
    // Absent until the initial sync: there is no age to report yet (not +Inf, which breaks averages and alerts).
    new OptionalGauge({
      name: `${prefix}consul_sync_staleness_seconds`,
      help: "Seconds since the last fully successful sync with Consul; absent before the initial sync",
      registers,
      read: () => {
        const seconds = read()?.stalenessSeconds;
        return seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined;
      },
    });
    readingGauge("ready", "1 when the initial sync is done and Consul data is fresh (what /readyz reports)", (r) => (r.ready ? 1 : 0));
    readingGauge("model_services", "Services in the model (all datacenters)", (r) => r.services);
    readingGauge("model_instances", "Service instances in the model (all datacenters)", (r) => r.instances);
    readingGauge(
      "config_entries_enabled",
      "1 while traffic policy from Consul's config entries applies; 0 when it is off (the token may not read them, or Consul has none)",
      (r) => (r.configEntriesState === "on" ? 1 : 0),
    );
    readingGauge(
      "config_entries",
      "Consul config entries held (service-defaults, proxy-defaults, routers, splitters, resolvers)",
      (r) => r.configEntries ?? 0,
    );
    readingGauge(
      "withdrawal_held_endpoints",
      "Served endpoints a held mass withdrawal would take away (0 when none is held; see --max-withdrawal)",
      (r) => r.withdrawalHold?.endpointsHeld ?? 0,
    );
    readingGauge(
      "withdrawal_held_services",
      "Services (per datacenter) whose withdrawal is held (0 when none is held)",
      (r) => r.withdrawalHold?.services.length ?? 0,
    );
    this.withdrawalHolds = new Counter({
      name: `${prefix}withdrawal_holds_total`,
      help: "Mass withdrawals held back (each hold counted once, however many services join it)",
      registers,
    });
    this.xdsHooks = this.createXdsHooks();
  }

  /** Where scrape-time readings come from (set once the Consul side exists). */
  setStatusSource(source: () => StatusReading): void {
    this.statusSource = source;
  }

  /**
   * Records when each type snapshot was first published and the registry answer it came from, for
   * change-to-ACK latency (measured from that answer when its provenance is known).
   */
  trackCache(cache: SnapshotCache): () => void {
    return cache.onPublish((group, snapshot) => {
      this.publishes.inc({ client_kind: group });
      const at = this.now();
      for (const typeSnapshot of snapshot.types.values()) {
        if (this.publishedAt.has(typeSnapshot)) continue;
        const answeredAt = provenanceOf(typeSnapshot)?.answeredAt;
        this.publishedAt.set(typeSnapshot, { at, since: answeredAt !== undefined && answeredAt <= at ? answeredAt : at });
      }
    });
  }

  /** Counts one request to Consul and how long it took; `outcome` is "ok" or an error class. */
  consulRequest(endpoint: string, outcome: string, durationMs?: number): void {
    this.consulRequests.inc({ endpoint, outcome });
    if (durationMs !== undefined && Number.isFinite(durationMs))
      this.consulLatency.observe({ endpoint, outcome }, Math.max(0, durationMs) / 1000);
    if (outcome !== "ok") this.consulErrors.inc({ class: outcome });
  }

  /** Counts a mass withdrawal held back. */
  withdrawalHeld(): void {
    this.withdrawalHolds.inc();
  }

  /** Counts a resource withheld because it failed validation. */
  validationFailure(typeUrl: string): void {
    this.validationFailures.inc({ type: shortTypeName(typeUrl) });
  }

  /** The latest change-to-ACK measurements, oldest first (at most 500). */
  recentChangeToAck(): readonly ChangeToAckSample[] {
    return this.samples.slice(-keptSamples).map(({ at, seconds, typeUrl, nodeId }) => ({
      at,
      seconds,
      type: shortTypeName(typeUrl),
      node: truncateForLog(nodeId, 64),
    }));
  }

  /** The metrics in Prometheus text format. */
  async render(): Promise<string> {
    this.scrapeReading = this.statusSource?.();
    try {
      return await this.registry.metrics();
    } finally {
      this.scrapeReading = undefined;
    }
  }

  private pendingFor(typeUrl: string) {
    let pending = this.pending.get(typeUrl);
    if (!pending) this.pending.set(typeUrl, (pending = { responses: 0, acks: 0, latencies: [] }));
    return pending;
  }

  /** Hands what was counted since the last collection to prom-client. */
  private flushPending(): void {
    for (const [typeUrl, pending] of this.pending) {
      const type = shortTypeName(typeUrl);
      if (pending.responses > 0) this.responses.inc({ type }, pending.responses);
      if (pending.acks > 0) this.acks.inc({ type }, pending.acks);
      for (const seconds of pending.latencies) this.changeToAck.observe({ type }, seconds);
      pending.responses = 0;
      pending.acks = 0;
      pending.latencies.length = 0;
    }
  }

  private createXdsHooks(): XdsServerHooks {
    const labelsOf = (stream: StreamInfo) => ({
      stream_type: stream.kind === "ads" ? "ADS" : shortTypeName(stream.kind),
      client_kind: stream.group ?? "pending",
    });
    return {
      onStreamOpen: (stream) => {
        const labels = labelsOf(stream);
        this.streamLabels.set(stream.id, labels);
        this.streams.inc(labels);
      },
      onStreamRequest: (stream) => {
        const labels = this.streamLabels.get(stream.id);
        if (labels?.client_kind !== "pending" || stream.group === undefined) return;
        this.streams.dec(labels);
        const known = labelsOf(stream);
        this.streamLabels.set(stream.id, known);
        this.streams.inc(known);
      },
      onStreamResponse: (stream, response) => {
        this.pendingFor(response.typeUrl).responses += 1;
        // Only changes published while the client was connected count; its initial sync does not.
        const published = this.publishedAt.get(response.snapshot);
        const publishedAt = published !== undefined && published.at >= stream.openedAt ? published.since : undefined;
        let perType = this.inFlight.get(stream.id);
        if (!perType) this.inFlight.set(stream.id, (perType = new Map()));
        if (publishedAt === undefined) perType.delete(response.typeUrl);
        else perType.set(response.typeUrl, publishedAt);
      },
      onAck: (stream, typeUrl) => {
        const pending = this.pendingFor(typeUrl);
        pending.acks += 1;
        const perType = this.inFlight.get(stream.id);
        const publishedAt = perType?.get(typeUrl);
        if (publishedAt === undefined) return;
        perType!.delete(typeUrl);
        const now = this.now();
        const seconds = (now - publishedAt) / 1000;
        pending.latencies.push(seconds);
        this.samples.push({ at: now, seconds, typeUrl, nodeId: stream.node?.id ?? "" });
        // Trimmed in batches: a fan-out ACKed by a thousand clients must not shift the array a thousand times.
        if (this.samples.length >= 2 * keptSamples) this.samples.splice(0, this.samples.length - keptSamples);
        if (pending.latencies.length >= 10_000) this.flushPending();
      },
      onNack: (stream, typeUrl) => {
        this.nacks.inc({ type: shortTypeName(typeUrl) });
        this.inFlight.get(stream.id)?.delete(typeUrl);
      },
      onStreamClose: (stream) => {
        const labels = this.streamLabels.get(stream.id);
        if (labels) this.streams.dec(labels);
        this.streamLabels.delete(stream.id);
        this.inFlight.delete(stream.id);
      },
    };
  }
}
