import type { CheckStatus } from "../model/service-instance.js";

/** A check status as Consul spells it (the model's type). */
export type { CheckStatus };

/** Consul's `Service.Weights`. */
export interface ServiceWeights {
  readonly Passing: number;
  readonly Warning: number;
}

/** A service tagged address (`Service.TaggedAddresses.lan_ipv4`…). */
export interface ServiceAddress {
  readonly Address: string;
  readonly Port: number;
}

/** What a write says about a node; the catalog adds indexes. */
export interface NodeSpec {
  readonly name: string;
  readonly address: string;
  /** `Node.ID`, a UUID for agent nodes, "" for nodes registered through the catalog API without one. */
  readonly id?: string;
  readonly taggedAddresses?: Readonly<Record<string, string>>;
  readonly meta?: Readonly<Record<string, string>>;
}

/** What a write says about one service instance. */
export interface ServiceSpec {
  readonly id: string;
  readonly name: string;
  /** "" for a plain service; `connect-proxy`, `mesh-gateway`… otherwise. */
  readonly kind: string;
  readonly tags: readonly string[];
  readonly address: string;
  readonly taggedAddresses: Readonly<Record<string, ServiceAddress>>;
  readonly meta: Readonly<Record<string, string>>;
  readonly port: number;
  /** null when registered through the catalog API without weights (Consul then sends null). */
  readonly weights: ServiceWeights | null;
  readonly enableTagOverride: boolean;
  /** The raw `Proxy` block of a `connect-proxy`, kept as given. */
  readonly proxy?: Readonly<Record<string, unknown>>;
}

/** What the agent runs for an HTTP, TCP or gRPC check (Consul's CheckType), durations in milliseconds. */
export interface CheckDefinition {
  readonly http?: string;
  /** Default GET. */
  readonly method?: string;
  readonly header?: Readonly<Record<string, readonly string[]>>;
  readonly body?: string;
  readonly disableRedirects?: boolean;
  readonly tlsSkipVerify?: boolean;
  readonly tlsServerName?: string;
  /** `host:port`. */
  readonly tcp?: string;
  /** `host:port[/service]`. */
  readonly grpc?: string;
  readonly grpcUseTls?: boolean;
  /** Time between runs (Consul raises anything under 1 s to 1 s). */
  readonly intervalMs: number;
  /** 0: Consul's default, 10 s. */
  readonly timeoutMs: number;
  /** Largest Output kept, in bytes (Consul: 4096). */
  readonly outputMaxSize: number;
}

/** What a write says about one check; status and output are kept from the existing check when absent. */
export interface CheckSpec {
  readonly checkId: string;
  readonly name: string;
  readonly status?: CheckStatus;
  readonly notes: string;
  readonly output?: string;
  /** "" for a node check. */
  readonly serviceId: string;
  /** `ttl`, `http`, `tcp`, `grpc`… or "" (serfHealth, maintenance). */
  readonly type: string;
  readonly interval: string;
  readonly timeout: string;
  /** TTL of a TTL check; the agent turns it critical when not refreshed in time. */
  readonly ttlMs?: number;
  /** What the agent runs for an HTTP, TCP or gRPC check. */
  readonly definition?: CheckDefinition;
}

/** A node as stored, immutable: a change replaces the record. */
export interface NodeRecord extends Required<NodeSpec> {
  readonly datacenter: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** A service instance as stored, immutable. */
export interface ServiceRecord extends ServiceSpec {
  readonly node: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** A check as stored, immutable; service name and tags are copied from its service as Consul does. */
export interface CheckRecord extends Omit<CheckSpec, "status" | "output"> {
  readonly node: string;
  readonly status: CheckStatus;
  readonly output: string;
  readonly serviceName: string;
  readonly serviceTags: readonly string[];
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** One `/v1/health/service/:name` entry before rendering. */
export interface HealthEntry {
  readonly node: NodeRecord;
  readonly service: ServiceRecord;
  readonly checks: readonly CheckRecord[];
}

/** One service's instances at one per-service index, and their JSON once rendered. */
export interface HealthCache {
  readonly index: number;
  readonly records: readonly HealthEntry[];
  /** The rendered answer, encoded once: a parked query woken by a change costs no re-encoding. */
  json: Buffer | undefined;
}
