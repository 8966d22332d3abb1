// A client child process: a share of the K bench clients, each on its own HTTP/2 connection, plus
// the one-off clients of the cold-sync scenario and the raw-baseline connections. Clients run in
// processes of their own so that their CPU is never counted as the bridge's.
import { clusterType, endpointType } from "../src/snapshot/index.js";
import { BenchAdsClient } from "./ads-client.js";
import { grpcSubscriptions, grpcUserAgent } from "./client-subscriptions.js";
import { BenchEnvoyClient, type EnvoyProtocol } from "./envoy-client.js";
import { serveRpc } from "./ipc-rpc.js";
import { monoMs } from "./mono-clock.js";
import { RawEchoClient } from "./raw-echo-client.js";

/** One client this process runs. */
export interface ClientSpec {
  readonly id: number;
  readonly services: readonly string[];
}

/** How a group of clients (re)connected. */
export interface ConnectReport {
  /** monoMs when this process started connecting. */
  readonly startedAt: number;
  /** monoMs at which each client became synced (NaN: not within the timeout). */
  readonly syncedAt: number[];
  readonly errors: string[];
}

/** One cold sync of an Envoy-like client taking every cluster and every assignment. */
export interface ColdSyncRun {
  readonly ms: number;
  /** From the first request to the CDS response. */
  readonly cdsMs: number;
  readonly clusters: number;
  readonly assignments: number;
  readonly errors: string[];
}

/** A resource some client received while recording. */
export interface ReceivedResource {
  readonly client: number;
  readonly name: string;
  /** monoMs of the response's arrival. */
  readonly at: number;
}

/** The client process's operations. */
export type ClientOps = {
  connect(args: { readonly url: string; readonly clients: readonly ClientSpec[]; readonly timeoutMs: number }): Promise<ConnectReport>;
  drop(args: undefined): Promise<void>;
  reconnect(args: { readonly timeoutMs: number }): Promise<ConnectReport>;
  arm(args: { readonly typeUrl: string; readonly name: string }): void;
  collect(args: { readonly timeoutMs: number }): Promise<{ times: number[]; missing: number }>;
  record(args: { readonly on: boolean; readonly typeUrl: string }): ReceivedResource[];
  errors(args: undefined): string[];
  rawConnect(args: { readonly url: string }): Promise<void>;
  rawArm(args: undefined): void;
  rawCollect(args: { readonly expected: number; readonly timeoutMs: number }): Promise<number[]>;
  rawClose(args: undefined): Promise<void>;
  /** Connects `count` Envoy-like clients (every cluster, endpoint, listener, route) of `protocol`; resolves once all synced. */
  envoyConnect(args: {
    readonly url: string;
    readonly protocol: EnvoyProtocol;
    readonly count: number;
    readonly prefix: string;
    readonly timeoutMs: number;
  }): Promise<{ syncMs: number[]; errors: string[] }>;
  /** Resets the Envoy clients' byte counts and waits, in the background, for a response of `typeUrl` naming `name`. */
  envoyArm(args: { readonly typeUrl: string; readonly name: string }): void;
  /** Per Envoy client: bytes received since the arm (total and per type), and whether the armed response came. */
  envoyCollect(args: { readonly timeoutMs: number }): Promise<{ bytes: number[]; byType: Array<Record<string, number>>; missing: number }>;
  envoyClose(args: undefined): Promise<void>;
  coldSync(args: {
    readonly url: string;
    readonly runs: number;
    readonly timeoutMs: number;
    readonly gapMs: number;
  }): Promise<ColdSyncRun[]>;
};

let clients: BenchAdsClient[] = [];
let envoys: BenchEnvoyClient[] = [];
let envoyArrivals: Array<Promise<number>> = [];
let armed: { typeUrl: string; name: string; times: Map<BenchAdsClient, number> } | undefined;
let recording: { typeUrl: string; log: ReceivedResource[] } | undefined;
const clientIds = new Map<BenchAdsClient, number>();
let raws: RawEchoClient[] = [];
let rawTimes: number[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function onResponse(client: BenchAdsClient, response: { typeUrl: string; names: string[] }, at: number): void {
  if (armed && response.typeUrl === armed.typeUrl && !armed.times.has(client) && response.names.includes(armed.name))
    armed.times.set(client, at);
  if (recording && response.typeUrl === recording.typeUrl) {
    const id = clientIds.get(client) ?? -1;
    for (const name of response.names) recording.log.push({ client: id, name, at });
  }
}

/** Connects (or reconnects) every client at once and waits for all to sync or the timeout. */
async function connectAll(timeoutMs: number): Promise<ConnectReport> {
  const startedAt = monoMs();
  for (const client of clients) client.connect();
  await Promise.race([Promise.all(clients.map((c) => c.whenSynced())), sleep(timeoutMs)]);
  const errors: string[] = [];
  for (const client of clients) {
    errors.push(...client.errors);
    if (client.syncedAt === undefined) errors.push(`not synced within ${timeoutMs} ms (${client.responses} responses)`);
  }
  return { startedAt, syncedAt: clients.map((c) => c.syncedAt ?? Number.NaN), errors };
}

async function coldSyncOnce(url: string, timeoutMs: number): Promise<ColdSyncRun> {
  let cdsAt = Number.NaN;
  let clusters = 0;
  let assignments = 0;
  const client = new BenchAdsClient({
    url,
    node: { id: `bench-cold-sync-${process.pid}`, userAgentName: "envoy" },
    subscriptions: [{ typeUrl: clusterType, names: [] }],
    onResponse: (c, response, at) => {
      if (response.typeUrl === clusterType && Number.isNaN(cdsAt)) {
        cdsAt = at;
        clusters = response.names.length;
        // As Envoy does: ask for the assignment of every EDS cluster the CDS response brought.
        c.subscribe(endpointType, response.names);
      } else if (response.typeUrl === endpointType) assignments += response.names.length;
    },
  });
  client.connect();
  await Promise.race([client.whenSynced(), sleep(timeoutMs)]);
  const errors = [...client.errors];
  if (client.syncedAt === undefined) errors.push(`cold sync incomplete after ${timeoutMs} ms`);
  const run = {
    ms: (client.syncedAt ?? Number.NaN) - client.connectedAt,
    cdsMs: cdsAt - client.connectedAt,
    clusters,
    assignments,
    errors,
  };
  await client.destroy();
  return run;
}

const handlers: ClientOps = {
  async connect({ url, clients: specs, timeoutMs }) {
    clients = specs.map((spec) => {
      const client = new BenchAdsClient({
        url,
        node: { id: `bench-client-${spec.id}`, userAgentName: grpcUserAgent },
        subscriptions: grpcSubscriptions(spec.services),
        windowBytes: 1024 * 1024,
        onResponse,
      });
      clientIds.set(client, spec.id);
      return client;
    });
    return connectAll(timeoutMs);
  },
  async drop() {
    await Promise.all(clients.map((c) => c.destroy()));
  },
  reconnect({ timeoutMs }) {
    return connectAll(timeoutMs);
  },
  arm({ typeUrl, name }) {
    armed = { typeUrl, name, times: new Map() };
  },
  async collect({ timeoutMs }) {
    const a = armed;
    if (!a) throw new Error("nothing armed");
    const deadline = monoMs() + timeoutMs;
    while (a.times.size < clients.length && monoMs() < deadline) await sleep(2);
    armed = undefined;
    return { times: [...a.times.values()], missing: clients.length - a.times.size };
  },
  record({ on, typeUrl }) {
    const log = recording?.log ?? [];
    recording = on ? { typeUrl, log: [] } : undefined;
    return log;
  },
  errors() {
    return clients.flatMap((c) => c.errors);
  },
  async rawConnect({ url }) {
    raws = clients.map(() => new RawEchoClient((at) => rawTimes.push(at)));
    await Promise.all(raws.map((r) => r.connect(url)));
  },
  rawArm() {
    rawTimes = [];
  },
  async rawCollect({ expected, timeoutMs }) {
    const deadline = monoMs() + timeoutMs;
    while (rawTimes.length < expected && monoMs() < deadline) await sleep(2);
    return rawTimes;
  },
  async rawClose() {
    await Promise.all(raws.map((r) => r.destroy()));
    raws = [];
  },
  async envoyConnect({ url, protocol, count, prefix, timeoutMs }) {
    envoys = Array.from({ length: count }, (_, i) => new BenchEnvoyClient(url, protocol, `${prefix}-${i}`));
    const started = monoMs();
    const synced = await Promise.all(
      envoys.map((envoy) => Promise.race([envoy.connect().then(() => monoMs() - started), sleep(timeoutMs).then(() => Number.NaN)])),
    );
    const errors = envoys.flatMap((envoy) => envoy.errors);
    for (const [i, ms] of synced.entries()) if (Number.isNaN(ms)) errors.push(`envoy ${prefix}-${i} not synced within ${timeoutMs} ms`);
    return { syncMs: synced, errors };
  },
  envoyArm({ typeUrl, name }) {
    for (const envoy of envoys) envoy.resetBytes();
    envoyArrivals = envoys.map((envoy) => envoy.nextNaming(typeUrl, name));
  },
  async envoyCollect({ timeoutMs }) {
    const arrived = await Promise.all(
      envoyArrivals.map((arrival) => Promise.race([arrival.then(() => true), sleep(timeoutMs).then(() => false)])),
    );
    // The push may go on after the armed response (a removal's break phase): let it settle.
    await sleep(200);
    return {
      bytes: envoys.map((envoy) => envoy.bytes),
      byType: envoys.map((envoy) => Object.fromEntries(envoy.bytesByType)),
      missing: arrived.filter((ok) => !ok).length,
    };
  },
  async envoyClose() {
    await Promise.all(envoys.map((envoy) => envoy.close()));
    envoys = [];
  },
  async coldSync({ url, runs, timeoutMs, gapMs }) {
    const results: ColdSyncRun[] = [];
    for (let i = 0; i < runs; i++) {
      results.push(await coldSyncOnce(url, timeoutMs));
      await sleep(gapMs);
    }
    return results;
  },
};

serveRpc(handlers, async () => {
  await Promise.all([...clients.map((c) => c.destroy()), ...raws.map((r) => r.destroy()), ...envoys.map((e) => e.close())]);
});
