// Config entries for tests, written as Consul's API returns them (CamelCase JSON) and decoded with
// the bridge's own decoder, so tests exercise the same path as entries read from Consul.
import { decodeConfigEntry } from "../../src/consul/decode-config-entry.js";
import type { ConfigEntry, ConfigEntryKind } from "../../src/model/config-entry.js";
import { type ConfigEntriesView, ConfigEntryStore } from "../../src/model/config-entry-store.js";

/** A config entry in Consul's JSON form: `Kind` and `Name` plus the kind's fields. */
export type ConsulConfigEntry = { Kind: ConfigEntryKind; Name: string } & Record<string, unknown>;

/** Decodes one entry, failing the test when the decoder refuses it. */
export function decodeEntry(raw: ConsulConfigEntry): ConfigEntry {
  const decoded = decodeConfigEntry(raw, raw.Kind);
  if (!decoded.ok) throw new Error(`test entry ${raw.Kind}/${raw.Name} refused: ${decoded.reason}`);
  return decoded.entry;
}

/** A store holding exactly these entries (every kind read once). */
export function storeOf(raws: readonly ConsulConfigEntry[]): ConfigEntryStore {
  const store = new ConfigEntryStore();
  const byKind = new Map<ConfigEntryKind, ConfigEntry[]>();
  for (const raw of raws) {
    const list = byKind.get(raw.Kind) ?? [];
    list.push(decodeEntry(raw));
    byKind.set(raw.Kind, list);
  }
  for (const kind of ["service-defaults", "proxy-defaults", "service-router", "service-splitter", "service-resolver"] as const) {
    store.replaceKind(kind, byKind.get(kind) ?? []);
  }
  return store;
}

/** The view of a store holding exactly these entries. */
export function entriesOf(...raws: ConsulConfigEntry[]): ConfigEntriesView {
  return storeOf(raws).view();
}

/** `service-defaults` with a protocol. */
export function serviceDefaults(name: string, protocol: string, extra: Record<string, unknown> = {}): ConsulConfigEntry {
  return { Kind: "service-defaults", Name: name, Protocol: protocol, ...extra };
}

/** A `service-resolver` for `name` with subsets v1 and v2: instances whose `version` meta is "1" and "2". */
export function versionSubsets(name: string): ConsulConfigEntry {
  return {
    Kind: "service-resolver",
    Name: name,
    Subsets: { v1: { Filter: 'Service.Meta.version == "1"' }, v2: { Filter: 'Service.Meta.version == "2"' } },
  };
}

/** A `service-splitter` for `name` sending `v1` and `v2` percent of requests to those subsets. */
export function versionSplit(name: string, v1: number, v2: number): ConsulConfigEntry {
  return {
    Kind: "service-splitter",
    Name: name,
    Splits: [
      { Weight: v1, ServiceSubset: "v1" },
      { Weight: v2, ServiceSubset: "v2" },
    ],
  };
}
