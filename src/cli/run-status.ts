import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  AdminService,
  type Client,
  type GetSyncStatusResponse,
  GetSyncStatusResponseSchema,
  ListClientsResponseSchema,
  type TypeState,
} from "../gen/consulxdsbridge/admin/v1/admin_pb.js";
import type { StatusSettings } from "./program.js";
import { statusVerdict } from "./status-exit-code.js";

const typeColumns = ["CDS", "EDS", "LDS", "RDS"] as const;

/** "12s", "3m", "2h": how long ago `ms` was. */
function ago(ms: number | undefined, now: number): string {
  if (ms === undefined) return "";
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

/** One type's state in a table cell: SYNCED, STALE (sent, not yet ACKed), NACKED, or "-". */
function cell(type: TypeState | undefined, now: number): string {
  if (!type) return "-";
  const since = ago(type.lastSentAt ? timestampMs(type.lastSentAt) : undefined, now);
  if (type.lastNackMessage) return `NACKED ${short(type.lastNackVersion)}`;
  if (!type.versionSent) return "WAITING";
  if (type.versionAcked === type.versionSent && !type.awaitingAck) return `SYNCED ${short(type.versionSent)} ${since}`;
  return `STALE ${short(type.versionSent)} ${since}`;
}

const short = (version: string) => version.slice(0, 8);

/** The newest Consul index any of a client's versions reflects, per datacenter ("dc1@4711"), or "-". */
function consulIndexCell(client: Client): string {
  const newest = new Map<string, bigint>();
  for (const type of client.types) {
    for (const [dc, index] of Object.entries(type.provenance?.consulIndex ?? {})) {
      if ((newest.get(dc) ?? 0n) < index) newest.set(dc, index);
    }
  }
  return newest.size === 0 ? "-" : [...newest].map(([dc, index]) => `${dc}@${index}`).join(",");
}

/** A held mass withdrawal, for an operator to decide on: what it is, when it applies, how to confirm it. */
function withdrawalLines(sync: GetSyncStatusResponse, now: number, admin: string): string[] {
  const hold = sync.withdrawalHold;
  if (!hold) return [];
  const percent = hold.endpointsServed > 0 ? Math.round((100 * hold.endpointsHeld) / hold.endpointsServed) : 100;
  const appliesAt = hold.appliesAt ? timestampMs(hold.appliesAt) : now;
  const inSeconds = Math.max(0, Math.round((appliesAt - now) / 1000));
  const names = [...new Set(hold.services.map((s) => s.service))];
  const more = hold.serviceCount > hold.services.length ? `, and ${hold.serviceCount - hold.services.length} more` : "";
  return [
    `WITHDRAWAL HELD (hold ${hold.id}): Consul's answers would withdraw ${hold.endpointsHeld} of ${hold.endpointsServed} endpoints (${percent} %); serving the last good state`,
    `  services: ${names.join(", ")}${more}`,
    ...(hold.filteredByAcls ? ["  Consul filtered the answers by ACLs (X-Consul-Results-Filtered-By-ACLs): check the token's policy"] : []),
    `  applied in ${inSeconds < 120 ? `${inSeconds}s` : `${Math.round(inSeconds / 60)}m`} (${new Date(appliesAt).toISOString()}), or now with:`,
    `  curl -s -H 'content-type: application/json' -d '{"holdId":${hold.id}}' ${admin}/consulxdsbridge.admin.v1.AdminService/ConfirmWithdrawal`,
  ];
}

/** Renders the Consul line (and a held withdrawal), then clients as an aligned table, then the NACK messages. */
export function formatStatus(clients: Client[], sync: GetSyncStatusResponse, now = Date.now(), admin = "<admin>"): string {
  const header = ["NODE", "CLUSTER", "KIND", "ADDRESS", "STREAM", ...typeColumns, "CONSUL INDEX"];
  const rows = clients.map((client) => [
    client.nodeId || "(none)",
    client.nodeCluster || "-",
    client.clientKind || "-",
    client.address,
    client.streamKind,
    ...typeColumns.map((name) =>
      cell(
        client.types.find((t) => t.shortName === name),
        now,
      ),
    ),
    consulIndexCell(client),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((text, i) => text.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const consul = [
    `Consul: ${sync.synced ? "synced" : "initial sync not complete"}, ${sync.ready ? "ready" : `NOT READY (${sync.notReadyReason || "no reason given"})`}`,
    `data ${Number.isFinite(sync.stalenessSeconds) ? `${Math.round(sync.stalenessSeconds)}s old` : "never synced"}`,
    `${sync.services} services, ${sync.instances} instances`,
    sync.consulErrorClass ? `last error ${sync.consulErrorClass}: ${sync.consulErrorMessage}` : "no errors",
    sync.validationFailures ? `${sync.validationFailures} resources withheld by validation` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const entries =
    sync.configEntriesState === "off"
      ? `Config entries: OFF, plain routing for every service (${sync.configEntriesReason})`
      : sync.configEntriesState === ""
        ? ""
        : `Config entries: ${sync.configEntriesState}, ${sync.configEntries} held${sync.configEntriesReason ? `, last error: ${sync.configEntriesReason}` : ""}`;
  const nacks = clients.flatMap((client) =>
    client.types
      .filter((t) => t.lastNackMessage)
      .map((t) => `  ${client.nodeId || "(none)"} ${t.shortName} rejected ${t.lastNackVersion}: ${t.lastNackMessage}`),
  );
  return [
    consul,
    ...(entries ? [entries] : []),
    ...withdrawalLines(sync, now, admin),
    "",
    clients.length === 0 ? "No xDS clients connected." : [line(header), ...rows.map(line)].join("\n"),
    ...(nacks.length > 0 ? ["", "Rejected configuration (NACK):", ...nacks] : []),
    "",
  ].join("\n");
}

/** `status`: asks the admin API and prints; exits as {@link statusVerdict} decides, or 2 when the admin API is unreachable. */
export async function runStatus(settings: StatusSettings): Promise<void> {
  const admin = createClient(AdminService, createConnectTransport({ baseUrl: settings.admin, httpVersion: "1.1" }));
  let clients: Client[];
  let sync: GetSyncStatusResponse;
  try {
    const options = { timeoutMs: 5_000 };
    [{ clients }, sync] = await Promise.all([admin.listClients({}, options), admin.getSyncStatus({}, options)]);
  } catch (error) {
    process.stderr.write(`error: cannot reach the admin API at ${settings.admin}: ${ConnectError.from(error).rawMessage}\n`);
    process.exit(2);
  }
  if (settings.json) {
    const json = {
      sync: toJson(GetSyncStatusResponseSchema, sync),
      clients: toJson(ListClientsResponseSchema, { $typeName: "consulxdsbridge.admin.v1.ListClientsResponse", clients }),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(formatStatus(clients, sync, Date.now(), settings.admin));
  }
  const verdict = statusVerdict(clients, sync);
  for (const reason of verdict.reasons) process.stderr.write(`status ${verdict.code}: ${reason}\n`);
  process.exitCode = verdict.code;
}
