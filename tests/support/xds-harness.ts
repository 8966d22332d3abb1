import { after } from "node:test";
import { defaultGroup, SnapshotCache, type SnapshotCacheOptions } from "../../src/snapshot/index.js";
import { listenXds, type XdsListenerOptions, XdsServer, type XdsServerHooks, type XdsServerOptions } from "../../src/xds/index.js";
import { type FixtureService, fixtureSnapshot } from "./fixtures.js";
import { RawDeltaClient } from "./raw-delta-client.js";
import { type RawStreamService, RawXdsClient } from "./raw-xds-client.js";

/** A running xDS server on a free port, with a cache to publish fixture snapshots into. */
export interface XdsHarness {
  readonly cache: SnapshotCache;
  readonly server: XdsServer;
  readonly baseUrl: string;
  readonly port: number;
  /** Publishes a fixture snapshot to the default group. */
  publish(services: Record<string, FixtureService>): void;
  /** Opens a raw client stream; it is closed with the harness. */
  client(service?: RawStreamService, node?: { id: string; cluster?: string }): RawXdsClient;
  /** Opens a raw incremental (delta) client stream; it is closed with the harness. */
  deltaClient(service?: RawStreamService, node?: { id: string; cluster?: string }): RawDeltaClient;
  /** Closes the server (ending its streams) while clients stay connected; connections left after `graceMs` (default 2 s) are cut. */
  closeServer(graceMs?: number): Promise<void>;
  /** Closes every client, then the server. */
  close(): Promise<void>;
}

/** Options of {@link useXdsHarness}. */
export interface XdsHarnessOptions {
  cache?: SnapshotCacheOptions;
  hooks?: XdsServerHooks;
  server?: Partial<XdsServerOptions>;
  /** Listener options (e.g. readMaxBytes). */
  listener?: Partial<XdsListenerOptions>;
  /**
   * Close when the current test ends (default true). Pass false when starting the harness in a
   * suite's `before` hook (node:test would run the cleanup as soon as the hook ends) and close it in
   * the suite's `after` hook.
   */
  closeWithTest?: boolean;
}

/** Starts a harness on port 0 that is closed when the current test ends (or earlier by `close`). */
export async function useXdsHarness(options: XdsHarnessOptions = {}): Promise<XdsHarness> {
  const cache = new SnapshotCache(options.cache);
  const server = new XdsServer({ cache, hooks: options.hooks ? [options.hooks] : [], ...options.server });
  const listener = await listenXds({
    host: "127.0.0.1",
    port: 0,
    routes: (router) => server.registerRoutes(router),
    endStreams: () => server.endStreams(),
    ...options.listener,
  });
  const baseUrl = `http://127.0.0.1:${listener.port}`;
  const clients: Array<RawXdsClient | RawDeltaClient> = [];
  let closed = false;
  const harness: XdsHarness = {
    cache,
    server,
    baseUrl,
    port: listener.port,
    publish(services) {
      const result = cache.setSnapshot(defaultGroup, fixtureSnapshot(services));
      if (!result.published) throw new Error(`fixture snapshot refused: ${result.problems.join("; ")}`);
    },
    client(service = "ads", node = { id: "test-node" }) {
      const client = RawXdsClient.open({ baseUrl, service, node });
      clients.push(client);
      return client;
    },
    deltaClient(service = "ads", node = { id: "delta-node" }) {
      const client = RawDeltaClient.open({ baseUrl, service, node });
      clients.push(client);
      return client;
    },
    closeServer(graceMs = 2_000) {
      return listener.close(graceMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(clients.map((client) => client.close()));
      await listener.close(2_000);
    },
  };
  if (options.closeWithTest !== false) after(() => harness.close());
  return harness;
}
