// The built `consul-xds-bridge serve` as users run it, on free ports, with its admin API's view of
// connected clients: what end-to-end suites with real xDS clients run against.
import { type CliProcess, serveArgs, spawnCli } from "./cli-process.js";

type StartedLine = { msg?: string; xds?: string; admin?: string };

/** A running `serve` process. */
export interface ServedBridge {
  readonly cli: CliProcess;
  /** The xDS port as `host:port` (what a bootstrap's `server_uri` takes). */
  readonly xdsAddress: string;
  /** The admin port as `http://host:port`. */
  readonly adminUrl: string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and resolves with its exit status. */
  stop(): Promise<number | string>;
}

/** Spawns `serve --consul <consulUrl>` on free ports with JSON logs and no debounce; resolves once it logged its addresses. */
export async function startServeCli(
  consulUrl: string,
  extraArgs: readonly string[] = [],
  xdsListen = "127.0.0.1:0",
): Promise<ServedBridge> {
  // The last --xds-listen wins: a caller's fixed port (a restart on the same port) overrides the free one.
  const cli = spawnCli(serveArgs(consulUrl, [...extraArgs, "--xds-listen", xdsListen]));
  let started: StartedLine;
  try {
    started = await cli.waitForLine<StartedLine>((line) => line.msg === "consul-xds-bridge started", 30_000);
  } catch (error) {
    await cli.stop();
    throw error;
  }
  return {
    cli,
    xdsAddress: started.xds!,
    adminUrl: `http://${started.admin}`,
    async stop() {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill("SIGTERM");
        const timer = setTimeout(() => cli.child.kill("SIGKILL"), 5_000);
        const status = await cli.exited;
        clearTimeout(timer);
        return status;
      }
      return cli.exited;
    },
  };
}

/** One type's state for one client, as the admin API's ListClients answers it (JSON names). */
export interface AdminTypeState {
  readonly typeUrl: string;
  readonly shortName: string;
  readonly versionSent?: string;
  readonly versionAcked?: string;
  readonly lastNackMessage?: string;
  readonly awaitingAck?: boolean;
}

/** One connected client as ListClients answers it. */
export interface AdminClient {
  readonly nodeId?: string;
  readonly clientKind?: string;
  readonly streamKind?: string;
  readonly userAgent?: string;
  readonly types?: readonly AdminTypeState[];
}

/** Calls the admin API's ListClients (Connect, JSON over HTTP/1.1), as `consul-xds-bridge status` does. */
export async function listClients(adminUrl: string): Promise<AdminClient[]> {
  const response = await fetch(`${adminUrl}/consulxdsbridge.admin.v1.AdminService/ListClients`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  if (response.status !== 200) throw new Error(`ListClients: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { clients?: AdminClient[] }).clients ?? [];
}

/** Calls an AdminService method with a JSON body, as curl would; throws on a status other than 200. */
export async function adminRpc<T>(adminUrl: string, method: string, body: unknown = {}): Promise<T> {
  const response = await fetch(`${adminUrl}/consulxdsbridge.admin.v1.AdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${method}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The names of the resources of one type (CDS, EDS, LDS, RDS) a client kind is served now, from DumpConfig. */
export async function servedNames(adminUrl: string, clientKind: string, shortName: string): Promise<string[]> {
  type Dump = { types?: Array<{ shortName?: string; resources?: Array<{ name?: string; clusterName?: string }> }> };
  const dump = await adminRpc<Dump>(adminUrl, "DumpConfig", { clientKind });
  const type = dump.types?.find((t) => t.shortName === shortName);
  return (type?.resources ?? []).map((r) => r.name ?? r.clusterName ?? "").sort();
}
