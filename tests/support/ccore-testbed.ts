// One C-core end-to-end set-up, shared by the suites that drive gRPC C-core through the bridge:
// the embedded Consul catalog, C-core echo backends registered in it through the agent API (as
// users register), the built `serve` CLI watching it, and a C-core xDS client pointed at the bridge.
// A suite adds a scenario (naming, redeploys, traffic splits…) with `register`, `check` and
// `client.call("xds:///<name>")`.
import { createEmbeddedConsul, type EmbeddedConsul } from "../../src/embedded-consul/index.js";
import { type ServedBridge, startServeCli } from "./bridge-cli.js";
import { type CcoreBackends, startCcoreBackends } from "./ccore-backends.js";
import { type CcoreClient, startCcoreClient } from "./ccore-client.js";

/** Options of {@link startCcoreTestbed}. */
export interface CcoreTestbedOptions {
  /** Names of the backends to start. */
  readonly backends: readonly string[];
  /** Registered before the bridge starts: service name → backend names (each with a passing TTL check). */
  readonly services?: Readonly<Record<string, readonly string[]>>;
  /** Extra `serve` arguments. */
  readonly serveArgs?: readonly string[];
}

/** A running testbed; `close` stops every part, in the order that loses nothing. */
export interface CcoreTestbed {
  readonly consul: EmbeddedConsul;
  readonly backends: CcoreBackends;
  /** The bridge now running (replaced by {@link CcoreTestbed.restartBridge}). */
  readonly bridge: ServedBridge;
  readonly client: CcoreClient;
  /**
   * Registers backend `backend` as an instance of `service` (service ID = the backend's name unless
   * `registration.ID` says otherwise) with a TTL check `service:<ID>` that passes until told.
   */
  register(service: string, backend: string, registration?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Deregisters a service instance by ID. */
  deregister(id: string): Promise<void>;
  /** Passes, warns or fails the TTL check of instance `id` through the agent API. */
  check(id: string, verb: "pass" | "warn" | "fail"): Promise<void>;
  /** Stops the bridge and starts a new one on the same xDS port (a redeploy); the client keeps running. */
  restartBridge(): Promise<void>;
  close(): Promise<void>;
}

async function agentPut(consul: EmbeddedConsul, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${consul.url}${path}`, { method: "PUT", body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

/** Starts catalog, backends, bridge and C-core client; on failure stops whatever had started. */
export async function startCcoreTestbed(options: CcoreTestbedOptions): Promise<CcoreTestbed> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const consul = await createEmbeddedConsul({ port: 0, nodeName: "ccore-agent" });
    closers.push(() => consul.close());
    const backends = await startCcoreBackends(options.backends);
    closers.push(() => backends.close());
    const register: CcoreTestbed["register"] = async (service, backend, registration = {}) => {
      const id = (registration.ID as string | undefined) ?? backend;
      await agentPut(consul, "/v1/agent/service/register", {
        Name: service,
        ID: id,
        Address: "127.0.0.1",
        Port: backends.get(backend).port,
        Check: { CheckID: `service:${id}`, TTL: "10m", Status: "passing" },
        ...registration,
      });
    };
    for (const [service, names] of Object.entries(options.services ?? {})) for (const name of names) await register(service, name);
    let bridge = await startServeCli(consul.url, options.serveArgs);
    closers.push(() => bridge.stop());
    const client = await startCcoreClient({ xdsAddress: bridge.xdsAddress });
    closers.push(() => client.close());
    return {
      consul,
      backends,
      get bridge() {
        return bridge;
      },
      client,
      register,
      deregister: (id) => agentPut(consul, `/v1/agent/service/deregister/${encodeURIComponent(id)}`),
      check: (id, verb) => agentPut(consul, `/v1/agent/check/${verb}/service:${encodeURIComponent(id)}`),
      async restartBridge() {
        const xds = bridge.xdsAddress;
        await bridge.stop();
        bridge = await startServeCli(consul.url, options.serveArgs, xds);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
