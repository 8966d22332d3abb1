import type { Logger } from "pino";
import { type Bridge, type BridgeConfig, startBridge } from "../bridge/start-bridge.js";
import { createEmbeddedConsul, type EmbeddedConsul } from "../embedded-consul/index.js";
import { serviceMetaKeys } from "../mapping/index.js";
import { type DemoBackend, startGrpcDemo, startHttpDemo } from "./demo-backends.js";

/** A demo service instance as registered with the (embedded) agent. */
export interface DemoInstance {
  readonly service: string;
  readonly id: string;
  readonly port: number;
  readonly protocol: "http" | "grpc";
}

/** Options of {@link startDevEnvironment}. */
export interface DevEnvironmentOptions {
  /** The bridge configuration; its `consul` part is replaced by the embedded catalog. */
  bridge: Omit<BridgeConfig, "consul"> & { consul?: Partial<BridgeConfig["consul"]> };
  /** Where the embedded Consul HTTP API listens (port 0: any free port). */
  consulHost: string;
  consulPort: number;
  /** Start web (2 HTTP instances) and greeter (gRPC, versions v1 and v2 split 90/10 by config entries). */
  demo: boolean;
  /** How often demo checks are refreshed (default 5,000 ms; their TTL is three times that). */
  heartbeatMs?: number;
  logger: Logger;
}

/** A running dev environment. */
export interface DevEnvironment {
  readonly consul: EmbeddedConsul;
  readonly bridge: Bridge;
  readonly demo: readonly DemoInstance[];
  close(graceMs?: number): Promise<void>;
}

const datacenter = "dc1";

/** PUTs to the agent API like `curl -X PUT` would, failing on a non-2xx answer. */
async function agentPut(consul: EmbeddedConsul, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${consul.url}${path}`, { method: "PUT", body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

/**
 * The demo's traffic policy, written as `consul config write` would: greeter speaks gRPC, has a
 * subset per version (Service Meta `version`), and sends 90 % of calls to v1 and 10 % to v2.
 */
export const demoConfigEntries: readonly Record<string, unknown>[] = [
  { Kind: "service-defaults", Name: "greeter", Protocol: "grpc" },
  {
    Kind: "service-resolver",
    Name: "greeter",
    DefaultSubset: "v1",
    Subsets: { v1: { Filter: "Service.Meta.version == v1" }, v2: { Filter: "Service.Meta.version == v2" } },
  },
  {
    Kind: "service-splitter",
    Name: "greeter",
    Splits: [
      { Weight: 90, ServiceSubset: "v1" },
      { Weight: 10, ServiceSubset: "v2" },
    ],
  },
];

/**
 * What `consul-xds-bridge dev` runs: the embedded Consul-compatible catalog, real demo backends
 * registered through the agent API with TTL checks (as a user would register them), the demo's
 * config entries written through `/v1/config` (as `consul config write` would), and the bridge
 * reading that catalog. Demo checks are refreshed only while they pass, so a check failed by hand
 * (`/v1/agent/check/fail/...`) stays failed until passed by hand, as with Consul.
 */
export async function startDevEnvironment(options: DevEnvironmentOptions): Promise<DevEnvironment> {
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const consul = await createEmbeddedConsul({
    host: options.consulHost,
    port: options.consulPort,
    datacenters: [datacenter, ...(options.bridge.consul?.failoverDatacenters ?? [])],
    nodeName: "dev",
    logger: options.logger.child({ component: "embedded-consul" }),
  });
  const backends: DemoBackend[] = [];
  const demo: DemoInstance[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  let bridge: Bridge | undefined;
  const close = async (graceMs = 5_000) => {
    if (heartbeat) clearInterval(heartbeat);
    await bridge?.close(graceMs);
    await Promise.all(backends.map((backend) => backend.close()));
    await consul.close();
  };
  try {
    if (options.demo) {
      for (const [service, id, protocol, version] of [
        ["web", "web-1", "http", undefined],
        ["web", "web-2", "http", undefined],
        ["greeter", "greeter-v1", "grpc", "v1"],
        ["greeter", "greeter-v2", "grpc", "v2"],
      ] as const) {
        const backend = protocol === "http" ? await startHttpDemo(id) : await startGrpcDemo(id);
        backends.push(backend);
        demo.push({ service, id, port: backend.port, protocol });
        await agentPut(consul, "/v1/agent/service/register", {
          ID: id,
          Name: service,
          Address: "127.0.0.1",
          Port: backend.port,
          Tags: ["demo"],
          // greeter's protocol comes from its service-defaults below (a config entry wins over Meta anyway).
          Meta: version ? { version } : { [serviceMetaKeys.protocol]: "http1" },
          Check: { CheckID: `service:${id}`, Name: `${service} heartbeat`, TTL: `${(3 * heartbeatMs) / 1000}s`, Status: "passing" },
        });
      }
      for (const entry of demoConfigEntries) await agentPut(consul, "/v1/config", entry);
      heartbeat = setInterval(() => void refreshPassingChecks(consul, demo), heartbeatMs);
      heartbeat.unref();
    }
    bridge = await startBridge({
      ...options.bridge,
      consul: { ...options.bridge.consul, address: consul.url, datacenter },
      logger: options.logger,
    });
  } catch (error) {
    await close(0);
    throw error;
  }
  return { consul, bridge, demo, close };
}

/** Refreshes the TTL of each demo check that is passing now; leaves ones failed by hand alone. */
async function refreshPassingChecks(consul: EmbeddedConsul, demo: readonly DemoInstance[]): Promise<void> {
  try {
    for (const service of new Set(demo.map((d) => d.service))) {
      const response = await fetch(`${consul.url}/v1/health/service/${service}`);
      const entries = (await response.json()) as Array<{ Checks: Array<{ CheckID: string; Status: string }> }>;
      for (const check of entries.flatMap((entry) => entry.Checks)) {
        if (check.Status === "passing" && demo.some((d) => check.CheckID === `service:${d.id}`)) {
          await agentPut(consul, `/v1/agent/check/pass/${check.CheckID}`);
        }
      }
    }
  } catch {
    // The catalog is shutting down; the next tick (if any) tries again.
  }
}
