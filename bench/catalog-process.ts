// The catalog child process: the embedded Consul-compatible catalog, seeded with N × M instances, and
// the changes the scenarios make to it (flaps, steady churn), each timestamped on the shared clock.
// It runs apart from the bridge so that building Consul's answers (30 MB of checks per change at
// 100,000 instances) never runs on the bridge's event loop or counts as the bridge's CPU time.
import { type CheckStatus, createEmbeddedConsul, type EmbeddedConsul, type SeedService } from "../src/embedded-consul/index.js";
import { serveRpc } from "./ipc-rpc.js";
import { monoMs } from "./mono-clock.js";

/** One instance change made by the catalog process. */
export interface CatalogChange {
  readonly service: string;
  readonly instance: number;
  readonly status: CheckStatus;
  /** monoMs just before the write (the moment Consul changed). */
  readonly at: number;
}

/** The catalog process's operations. */
export type CatalogOps = {
  start(args: {
    readonly services: number;
    readonly instances: number;
    readonly serviceName: readonly string[];
  }): Promise<{ url: string; seedMs: number; checks: number }>;
  flap(args: { readonly service: string; readonly instance: number }): CatalogChange;
  churn(args: {
    readonly services: readonly string[];
    readonly instances: number;
    readonly ratePerSecond: number;
    readonly durationMs: number;
  }): Promise<CatalogChange[]>;
  /** Registers (or, with `remove`, deregisters) one passing instance of a service on a node of its own, through the HTTP API. */
  registerService(args: { readonly name: string; readonly address: string; readonly remove?: boolean }): Promise<{ at: number }>;
  connections(args: undefined): { current: number; peak: number; total: number };
  /** Bytes served since start, per endpoint (see {@link endpointKey}), headers included. */
  bytes(args: undefined): Record<string, number>;
  resetConnectionPeak(args: undefined): void;
  /** Body bytes of the whole, unfiltered `/v1/health/state/any` answer now (what every flap cost before the filtered feed). */
  unfilteredFeedBytes(args: undefined): Promise<number>;
  /** Writes config entries through `PUT /v1/config`, as `consul config write` does; returns when the last is applied (monoMs). */
  writeConfigEntries(args: { readonly entries: readonly Record<string, unknown>[] }): Promise<{ at: number; writtenAt: number }>;
};

const datacenter = "dc1";
let consul: EmbeddedConsul | undefined;
const statuses = new Map<string, CheckStatus>();
const served = new Map<string, number>();

/** The endpoint an answer counts under: service names folded into `:name`, a filtered read apart. */
function endpointKey(path: string, query: URLSearchParams): string {
  const endpoint = path.startsWith("/v1/health/service/") ? "/v1/health/service/:name" : path;
  return query.has("filter") ? `${endpoint}?filter` : endpoint;
}

function change(service: string, instance: number): CatalogChange {
  const key = `${service}-${instance}`;
  const status: CheckStatus = (statuses.get(key) ?? "passing") === "passing" ? "critical" : "passing";
  statuses.set(key, status);
  const at = monoMs();
  if (!consul!.store.setCheckStatus(datacenter, `node-${instance}`, `service:${key}`, status)) throw new Error(`no check service:${key}`);
  return { service, instance, status, at };
}

const handlers: CatalogOps = {
  async start({ instances, serviceName }) {
    consul = await createEmbeddedConsul({ port: 0, datacenters: [datacenter], ttlExpiry: false });
    consul.onResponse((path, query, bytes) => {
      const key = endpointKey(path, query);
      served.set(key, (served.get(key) ?? 0) + bytes);
    });
    const started = monoMs();
    const seed: SeedService[] = serviceName.map((name) => ({
      name,
      instances: Array.from({ length: instances }, (_, i) => ({
        port: 8080,
        meta: { "xds-bridge-protocol": "grpc" },
        nodeMeta: i < 3 ? { zone: `zone-${i}` } : undefined,
      })),
    }));
    consul.store.seed(datacenter, seed);
    return { url: consul.url, seedMs: monoMs() - started, checks: serviceName.length * instances };
  },
  flap({ service, instance }) {
    return change(service, instance);
  },
  async churn({ services, instances, ratePerSecond, durationMs }) {
    const log: CatalogChange[] = [];
    const started = monoMs();
    let made = 0;
    let cursor = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = monoMs() - started;
        const due = Math.min(Math.floor((elapsed * ratePerSecond) / 1000), Math.floor((durationMs * ratePerSecond) / 1000));
        while (made < due) {
          // Walk the list in order so a service changes again only after every other one did.
          const service = services[cursor % services.length]!;
          log.push(change(service, Math.floor(cursor / services.length) % instances));
          cursor += 1;
          made += 1;
        }
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    return log;
  },
  async registerService({ name, address, remove }) {
    const node = `node-${name}`;
    const at = monoMs();
    const response = remove
      ? await fetch(`${consul!.url}/v1/catalog/deregister`, { method: "PUT", body: JSON.stringify({ Datacenter: datacenter, Node: node }) })
      : await fetch(`${consul!.url}/v1/catalog/register`, {
          method: "PUT",
          body: JSON.stringify({
            Datacenter: datacenter,
            Node: node,
            Address: address,
            Service: { ID: name, Service: name, Address: address, Port: 8080, Meta: { "xds-bridge-protocol": "grpc" } },
            Check: { CheckID: `service:${name}`, Name: name, ServiceID: name, Status: "passing" },
          }),
        });
    if (response.status !== 200) throw new Error(`catalog ${remove ? "deregister" : "register"} of ${name}: HTTP ${response.status}`);
    return { at };
  },
  connections() {
    const { current, peak, total } = consul!.connections;
    return { current, peak, total };
  },
  bytes() {
    return Object.fromEntries(served);
  },
  resetConnectionPeak() {
    consul!.connections.resetPeak();
  },
  async unfilteredFeedBytes() {
    const response = await fetch(`${consul!.url}/v1/health/state/any?dc=${datacenter}`);
    if (response.status !== 200) throw new Error(`/v1/health/state/any: HTTP ${response.status}`);
    return (await response.arrayBuffer()).byteLength;
  },
  async writeConfigEntries({ entries }) {
    const at = monoMs();
    for (const entry of entries) {
      const response = await fetch(`${consul!.url}/v1/config`, { method: "PUT", body: JSON.stringify(entry) });
      const text = await response.text();
      if (response.status !== 200 || text !== "true")
        throw new Error(`PUT /v1/config ${entry.Kind}/${entry.Name}: ${response.status} ${text}`);
    }
    return { at, writtenAt: monoMs() };
  },
};

serveRpc(handlers, async () => {
  await consul?.close();
});
