// The bridge child process: startBridge() exactly as `serve` runs it, plus probes on its hooks that
// timestamp (shared monotonic clock) and CPU-meter what the scenarios measure. Nothing else runs here
// but the raw HTTP/2 baseline server of scenario 7, and that only while it is measured.
import { writeHeapSnapshot } from "node:v8";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Bridge, startBridge } from "../src/bridge/start-bridge.js";
import type { ConsulRequestEvent } from "../src/consul/index.js";
import { EncodedDiscoveryResponseSchema } from "../src/gen/consulxdsbridge/xds/v1/encoded_discovery_response_pb.js";
import { ControlPlaneSchema } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { diffTypeSnapshots, endpointType, type TypeSnapshot } from "../src/snapshot/index.js";
import type { SentResponse, StreamInfo } from "../src/xds/index.js";
import { frameGrpcMessage } from "./grpc-framing.js";
import { serveRpc } from "./ipc-rpc.js";
import { monoMs } from "./mono-clock.js";
import { type RawFanoutResult, RawFanoutServer } from "./raw-fanout-server.js";

/** What the bridge saw of one fan-out, from Consul's answer to the last client's ACK. */
export interface FanoutProbe {
  /** The watcher's hook for the service's `/v1/health/service` answer that changed the model. */
  readonly answerAt: number;
  /** The watcher's hook for the last check feed answer before it (the one that queued the read). */
  readonly feedAt: number;
  /** The gRPC group's snapshot was published. */
  readonly publishAt: number;
  /** First and last EDS response naming the service handed to the HTTP/2 stack. */
  readonly firstResponseAt: number;
  readonly lastResponseAt: number;
  readonly responses: number;
  /** The last of the expected ACKs was processed. */
  readonly lastAckAt: number;
  readonly acks: number;
  /** CPU time of this process (user + system) from answerAt to lastAckAt, in ms. */
  readonly cpuMs: number;
  /** One of the responses as written (gRPC-framed EncodedDiscoveryResponse), for the raw baseline. */
  readonly frame: Uint8Array;
}

/** When each stage of the bridge's pipeline happened while recording (monoMs). */
export interface PipelineLog {
  /** Check feed answers processed (the watcher's hook, after change detection). */
  readonly feeds: number[];
  /** Service reads whose answer changed the model, by service. */
  readonly answers: Array<{ name: string; at: number }>;
  /** ClusterLoadAssignments of the gRPC group's published snapshots, by name. */
  readonly published: Array<{ name: string; at: number }>;
}

/** Memory of the bridge process, in bytes. */
export interface MemoryReading {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Largest RSS since the process started. */
  readonly maxRss: number;
}

/** The bridge process's operations. */
export type BridgeOps = {
  start(args: {
    readonly consulUrl: string;
    readonly debounceMs: number;
  }): Promise<{ xdsPort: number; syncedMs: number; firstPublishMs: number; cpuMs: number }>;
  armFanout(args: { readonly service: string; readonly acks: number }): void;
  collectFanout(args: { readonly timeoutMs: number }): Promise<FanoutProbe>;
  rawStart(args: undefined): Promise<number>;
  rawStreams(args: undefined): number;
  rawFanout(args: { readonly frame: Uint8Array; readonly echoes: number; readonly timeoutMs: number }): Promise<RawFanoutResult>;
  rawStop(args: undefined): Promise<void>;
  /** Starts (on) or stops a log of the bridge's pipeline; stopping returns it. */
  recordPublishes(args: { readonly on: boolean }): PipelineLog;
  /** Entries in the publish log so far, and when the last one was added (monoMs; 0: none). */
  publishLogState(args: undefined): { entries: number; lastAt: number };
  /** Memory now; with `gc`, after a full garbage collection (what is live, not what is held). */
  memory(args: { readonly gc: boolean }): MemoryReading;
  streamCount(args: undefined): number;
  /** CPU time this process has used so far (user + system), in ms. */
  cpuNow(args: undefined): number;
  heapSnapshot(args: { readonly path: string }): string;
  /** Config entries the bridge holds now. */
  configEntries(args: undefined): number;
  /** Services mapped so far, and chains compiled (the publisher's counters). */
  publisherCounters(args: undefined): { servicesBuilt: number; chainsCompiled: number; publishes: number };
  /** The last publish that mapped at least one service: when it ended (monoMs) and how many it mapped. */
  lastBuildingPublish(args: undefined): { at: number; servicesBuilt: number } | undefined;
};

interface Fanout {
  readonly service: string;
  readonly expectedAcks: number;
  answerAt?: number;
  feedAt?: number;
  cpu?: NodeJS.CpuUsage;
  publishAt?: number;
  firstResponseAt?: number;
  lastResponseAt?: number;
  responses: number;
  readonly streams: Set<number>;
  acks: number;
  lastAckAt?: number;
  cpuMs?: number;
  frame?: Uint8Array;
  done?: () => void;
}

let bridge: Bridge | undefined;
let lastBuilding: { at: number; servicesBuilt: number } | undefined;
let fanout: Fanout | undefined;
let raw: RawFanoutServer | undefined;
let lastFeedAt = Number.NaN;
let pipeline: { feeds: number[]; answers: Array<{ name: string; at: number }>; published: Array<{ name: string; at: number }> } | undefined;
let lastEndpoints: TypeSnapshot | undefined;
const controlPlane = toBinary(ControlPlaneSchema, create(ControlPlaneSchema, { identifier: "consul-xds-bridge" }));

function onConsulRequest(event: ConsulRequestEvent): void {
  if (event.endpoint === "health-state" && event.outcome === "changed") lastFeedAt = monoMs();
  if (pipeline && event.outcome === "changed") {
    if (event.endpoint === "health-state") pipeline.feeds.push(monoMs());
    else if (event.endpoint === "health-service" && event.service !== undefined)
      pipeline.answers.push({ name: event.service, at: monoMs() });
  }
  const f = fanout;
  if (!f || f.answerAt !== undefined) return;
  if (event.endpoint !== "health-service" || event.service !== f.service || event.outcome !== "changed") return;
  f.answerAt = monoMs();
  f.feedAt = lastFeedAt;
  f.cpu = process.cpuUsage();
}

function onStreamResponse(stream: StreamInfo, response: SentResponse): void {
  const f = fanout;
  if (!f || f.answerAt === undefined || response.typeUrl !== endpointType) return;
  if (!response.resources.some((r) => r.name === f.service)) return;
  const at = monoMs();
  f.firstResponseAt ??= at;
  f.lastResponseAt = at;
  f.responses += 1;
  f.streams.add(stream.id);
  f.frame ??= frameGrpcMessage(
    toBinary(
      EncodedDiscoveryResponseSchema,
      create(EncodedDiscoveryResponseSchema, {
        versionInfo: response.version,
        resources: response.resources.map((r) => r.any),
        typeUrl: response.typeUrl,
        nonce: response.nonce,
        controlPlane,
      }),
    ),
  );
}

function onAck(stream: StreamInfo, typeUrl: string): void {
  const f = fanout;
  if (!f || typeUrl !== endpointType || !f.streams.delete(stream.id)) return;
  f.acks += 1;
  if (f.acks < f.expectedAcks) return;
  f.lastAckAt = monoMs();
  const used = process.cpuUsage(f.cpu);
  f.cpuMs = (used.user + used.system) / 1000;
  f.done?.();
}

const handlers: BridgeOps = {
  async start({ consulUrl, debounceMs }) {
    const started = monoMs();
    const cpu = process.cpuUsage();
    bridge = await startBridge({
      consul: { address: consulUrl, datacenter: "dc1" },
      xds: { host: "127.0.0.1", port: 0 },
      debounceMs,
      // Scenarios 8 and 9 register a new service and remove it again, and scenario 9 registers the
      // same names for each group of Envoys: they measure a service created and a service gone.
      // With the grace for vanished services, a removal changes only the service's assignment and a
      // name registered again within it is a redeploy, so the bench turns it off.
      vanishedServiceGraceMs: 0,
      xdsHooks: { onStreamResponse, onAck },
      consulHooks: { onRequest: onConsulRequest },
    });
    const b = bridge;
    void (async () => {
      for (;;) {
        const report = await b.publisher.nextPublish();
        if (report.servicesBuilt > 0) lastBuilding = { at: monoMs(), servicesBuilt: report.servicesBuilt };
      }
    })();
    b.cache.onPublish((group, snapshot) => {
      if (group !== "grpc") return;
      const at = monoMs();
      if (fanout && fanout.answerAt !== undefined) fanout.publishAt ??= at;
      const endpoints = snapshot.get(endpointType);
      if (pipeline && lastEndpoints && endpoints !== lastEndpoints) {
        for (const name of diffTypeSnapshots(lastEndpoints, endpoints).changed) pipeline.published.push({ name, at });
      }
      lastEndpoints = endpoints;
    });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (b.watcher.status.synced) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    const syncedMs = monoMs() - started;
    while (!b.cache.getSnapshot("grpc")) await new Promise((resolve) => setTimeout(resolve, 10));
    const firstPublishMs = monoMs() - started;
    const used = process.cpuUsage(cpu);
    return { xdsPort: b.xdsPort, syncedMs, firstPublishMs, cpuMs: (used.user + used.system) / 1000 };
  },
  configEntries() {
    return bridge!.configEntries.view().entries.size;
  },
  publisherCounters() {
    const stats = bridge!.publisher.stats();
    return { servicesBuilt: stats.servicesBuilt, chainsCompiled: stats.chainsCompiled, publishes: stats.publishes };
  },
  lastBuildingPublish() {
    return lastBuilding;
  },
  armFanout({ service, acks }) {
    fanout = { service, expectedAcks: acks, responses: 0, streams: new Set(), acks: 0 };
  },
  async collectFanout({ timeoutMs }) {
    const f = fanout;
    if (!f) throw new Error("no fan-out armed");
    if (f.lastAckAt === undefined) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `fan-out of ${f.service} incomplete after ${timeoutMs} ms: answer ${f.answerAt !== undefined}, ${f.responses} responses, ${f.acks}/${f.expectedAcks} ACKs`,
              ),
            ),
          timeoutMs,
        );
        f.done = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    fanout = undefined;
    return {
      answerAt: f.answerAt!,
      feedAt: f.feedAt ?? Number.NaN,
      publishAt: f.publishAt ?? Number.NaN,
      firstResponseAt: f.firstResponseAt!,
      lastResponseAt: f.lastResponseAt!,
      responses: f.responses,
      lastAckAt: f.lastAckAt!,
      acks: f.acks,
      cpuMs: f.cpuMs!,
      frame: f.frame!,
    };
  },
  async rawStart() {
    raw = new RawFanoutServer();
    return raw.listen();
  },
  rawStreams() {
    return raw?.streamCount ?? 0;
  },
  rawFanout({ frame, echoes, timeoutMs }) {
    return raw!.fanout(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), echoes, timeoutMs);
  },
  async rawStop() {
    await raw?.close();
    raw = undefined;
  },
  recordPublishes({ on }) {
    const log = pipeline ?? { feeds: [], answers: [], published: [] };
    pipeline = on ? { feeds: [], answers: [], published: [] } : undefined;
    return log;
  },
  publishLogState() {
    return { entries: pipeline?.published.length ?? 0, lastAt: pipeline?.published.at(-1)?.at ?? 0 };
  },
  memory({ gc }) {
    if (gc) (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    return {
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      maxRss: process.resourceUsage().maxRSS * 1024,
    };
  },
  streamCount() {
    return bridge?.xdsServer.streamCount ?? 0;
  },
  cpuNow() {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  },
  heapSnapshot({ path }) {
    return writeHeapSnapshot(path);
  },
};

serveRpc(handlers, async () => {
  await raw?.close();
  await bridge?.close(1_000);
});
