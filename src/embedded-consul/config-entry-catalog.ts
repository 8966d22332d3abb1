import { decodeConfigEntry } from "../consul/decode-config-entry.js";
import { checkConfigEntryGraph } from "../discovery-chain/index.js";
import { type ConfigEntry, type ConfigEntryKind, configEntryKinds } from "../model/config-entry.js";
import { ConfigEntryStore } from "../model/config-entry-store.js";
import { validateConfigEntry } from "../model/validate-config-entry.js";

/** One stored entry: the JSON as written (Kind and Name canonical), with its raft indexes. */
export interface StoredConfigEntry {
  readonly kind: string;
  readonly name: string;
  readonly json: Record<string, unknown>;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** The outcome of a write: Consul's `true`/`false`, or its error status and text. */
export type ConfigWriteResult =
  | { readonly ok: true; readonly applied: boolean }
  | { readonly ok: false; readonly status: number; readonly message: string };

/** The discovery-chain kinds, validated as Consul does; these others Consul knows are stored as written. */
const otherKinds: ReadonlySet<string> = new Set([
  "ingress-gateway",
  "terminating-gateway",
  "service-intentions",
  "mesh",
  "exported-services",
  "sameness-group",
  "api-gateway",
  "http-route",
  "tcp-route",
  "inline-certificate",
  "file-system-certificate",
  "jwt-provider",
]);
const chainKinds: ReadonlySet<string> = new Set(configEntryKinds);

/** True for a kind Consul has (`invalid config entry kind: <kind>` otherwise). */
export function isConfigEntryKind(kind: string): boolean {
  return chainKinds.has(kind) || otherKinds.has(kind);
}

interface DatacenterEntries {
  /** The config-entries table index (what blocking queries on /v1/config report). */
  index: number;
  readonly entries: Map<string, StoredConfigEntry>;
}

const keyOf = (kind: string, name: string): string => `${kind}\u0000${name}`;

/**
 * The embedded catalog's config entries, per datacenter, with Consul's write semantics: entries of
 * the discovery-chain kinds are decoded, checked with Consul's own validation and then its graph
 * check (every chain the change shapes compiled, as Consul does before it applies a write), so
 * `consul config write` gets the answers Consul gives; `?cas=` compares the ModifyIndex (0: create
 * only); every write moves the table's own index, which blocking reads of any kind report.
 */
export class ConfigEntryCatalog {
  private readonly byDatacenter = new Map<string, DatacenterEntries>();

  constructor(private readonly onCommit: (datacenter: string) => void) {}

  /** The table index of a datacenter (at least 1, as Consul reports it). */
  index(datacenter: string): number {
    return Math.max(1, this.of(datacenter).index);
  }

  /** The entries of one kind, by name. */
  list(datacenter: string, kind: string): StoredConfigEntry[] {
    return [...this.of(datacenter).entries.values()]
      .filter((e) => e.kind === kind)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(datacenter: string, kind: string, name: string): StoredConfigEntry | undefined {
    return this.of(datacenter).entries.get(keyOf(kind, name));
  }

  /** `PUT /v1/config`: validates and stores one entry (`cas`: apply only at that ModifyIndex; 0: only if absent). */
  apply(datacenter: string, raw: Record<string, unknown>, cas: number | undefined): ConfigWriteResult {
    const kindValue = raw.Kind ?? raw.kind;
    if (kindValue === undefined) return badRequest("Request decoding failed: Payload does not contain a kind/Kind key at the top level");
    if (typeof kindValue !== "string") return badRequest("Request decoding failed: Kind value in payload is not a string");
    if (!isConfigEntryKind(kindValue)) return badRequest(`Request decoding failed: invalid config entry kind: ${kindValue}`);
    const nameValue = raw.Name ?? raw.name;
    const name = typeof nameValue === "string" ? nameValue : "";
    if (name === "") return refused("Name is required");
    const table = this.of(datacenter);
    const existing = table.entries.get(keyOf(kindValue, name));
    if (cas !== undefined && (cas === 0 ? existing !== undefined : existing?.modifyIndex !== cas)) return { ok: true, applied: false };
    if (chainKinds.has(kindValue)) {
      const decoded = decodeConfigEntry(raw, kindValue as ConfigEntryKind);
      if (!decoded.ok) return refused(decoded.reason);
      const problem = validateConfigEntry(decoded.entry) ?? this.graphProblem(table, decoded.entry, undefined);
      if (problem !== undefined) return refused(problem);
    }
    const { kind: _kind, name: _name, Kind: _Kind, Name: _Name, CreateIndex: _c, ModifyIndex: _m, ...fields } = raw;
    const index = table.index + 1;
    table.index = index;
    table.entries.set(keyOf(kindValue, name), {
      kind: kindValue,
      name,
      json: { Kind: kindValue, Name: name, ...fields },
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    });
    this.onCommit(datacenter);
    return { ok: true, applied: true };
  }

  /** `DELETE /v1/config/:kind/:name`: removes an entry unless the chains left would be invalid; deleting an absent entry succeeds. */
  delete(datacenter: string, kind: string, name: string, cas: number | undefined): ConfigWriteResult {
    if (!isConfigEntryKind(kind)) return badRequest(`invalid config entry kind: ${kind}`);
    const table = this.of(datacenter);
    const key = keyOf(kind, name);
    const existing = table.entries.get(key);
    if (cas !== undefined && existing?.modifyIndex !== cas) return { ok: true, applied: false };
    if (!existing) return { ok: true, applied: true };
    if (chainKinds.has(kind)) {
      const problem = this.graphProblem(table, undefined, key);
      if (problem !== undefined) return refused(problem);
    }
    table.entries.delete(key);
    table.index += 1;
    this.onCommit(datacenter);
    return { ok: true, applied: true };
  }

  /** Consul's graph check over the entries as they would be after the change. */
  private graphProblem(table: DatacenterEntries, written: ConfigEntry | undefined, deleted: string | undefined): string | undefined {
    const proposed = new ConfigEntryStore();
    const byKind = new Map<ConfigEntryKind, ConfigEntry[]>();
    for (const [key, stored] of table.entries) {
      if (key === deleted || !chainKinds.has(stored.kind)) continue;
      if (written && stored.kind === written.kind && stored.name === written.name) continue;
      const decoded = decodeConfigEntry(stored.json, stored.kind as ConfigEntryKind);
      if (!decoded.ok) continue;
      const list = byKind.get(decoded.entry.kind) ?? [];
      list.push(decoded.entry);
      byKind.set(decoded.entry.kind, list);
    }
    if (written) byKind.set(written.kind, [...(byKind.get(written.kind) ?? []), written]);
    for (const kind of configEntryKinds) proposed.replaceKind(kind, byKind.get(kind) ?? []);
    return checkConfigEntryGraph(proposed.view());
  }

  private of(datacenter: string): DatacenterEntries {
    let table = this.byDatacenter.get(datacenter);
    if (!table) this.byDatacenter.set(datacenter, (table = { index: 0, entries: new Map() }));
    return table;
  }
}

function badRequest(message: string): ConfigWriteResult {
  return { ok: false, status: 400, message };
}

/** Consul answers a write its validation refuses with 500 and the reason (the error of its ConfigEntry.Apply RPC). */
function refused(message: string): ConfigWriteResult {
  return { ok: false, status: 500, message };
}
