import type { CheckRecord } from "./catalog-records.js";
import { checkJsonText } from "./consul-json.js";
import { byName, byNodeThenCheck } from "./record-content.js";

const openBracket = Buffer.from("[");
const comma = Buffer.from(",");
const closeBracket = Buffer.from("]");
const emptyList = Buffer.from("[]");

interface NodeChunk {
  readonly records: readonly CheckRecord[];
  readonly json: Buffer;
}

/**
 * A datacenter's list of every check (`/v1/health/state/*`), kept per checks index and built from
 * per-node parts: a change re-sorts and re-renders the checks of the node it touched, not all of
 * them (at 100,000 checks a full render takes this single-threaded catalog long enough to hold up
 * the reads queued behind it).
 */
export class CheckListRenderer {
  private cache: { index: number; records: readonly CheckRecord[]; json: Buffer | undefined } | undefined;
  private readonly chunks = new Map<string, NodeChunk>();
  /** Per node chunk (while current), the checks each filter selects in it (see filtered). */
  private readonly filteredChunks = new WeakMap<NodeChunk, Map<string, readonly CheckRecord[]>>();
  /** Per filter, its verdict on each check record (writes replace records, never change them). */
  private readonly verdicts = new Map<string, WeakMap<CheckRecord, boolean>>();
  private rendered = 0;

  /** `nodeChecks` is the catalog's live map (node → check ID → record); records are immutable. */
  constructor(private readonly nodeChecks: ReadonlyMap<string, ReadonlyMap<string, CheckRecord>>) {}

  /** Drops the list after a write to the checks table. */
  invalidate(): void {
    this.cache = undefined;
  }

  /** Node renders so far (the measure of "only what a write touched"). */
  get renders(): number {
    return this.rendered;
  }

  /** Every check, sorted by node then check ID, as of checks index `index`. */
  list(index: number): { index: number; records: readonly CheckRecord[] } {
    if (this.cache?.index !== index) {
      const records: CheckRecord[] = [];
      for (const node of [...this.nodeChecks.keys()].sort(byName)) records.push(...this.chunk(node).records);
      this.cache = { index, records, json: undefined };
    }
    return this.cache;
  }

  /** The JSON list of every check at `index`, rendered once per index from per-node parts. */
  json(index: number): { index: number; json: Buffer } {
    if (this.cache?.index !== index || this.cache.json === undefined) {
      const parts: Buffer[] = [];
      const records: CheckRecord[] = [];
      for (const node of [...this.nodeChecks.keys()].sort(byName)) {
        const chunk = this.chunk(node);
        if (chunk.records.length === 0) continue;
        parts.push(parts.length === 0 ? openBracket : comma, chunk.json);
        records.push(...chunk.records);
      }
      parts.push(parts.length === 0 ? emptyList : closeBracket);
      for (const node of this.chunks.keys()) if (!this.nodeChecks.has(node)) this.chunks.delete(node);
      this.cache = { index, records, json: Buffer.concat(parts) };
    }
    return { index: this.cache.index, json: this.cache.json! };
  }

  /**
   * The checks a filter selects (`key` names it), sorted as `list`, evaluated once per check record
   * and gathered again only for the nodes a write touched: a filtered check feed (`?filter=Status !=
   * "passing"`) answered after every write must not evaluate the filter on every check each time.
   */
  filtered(index: number, key: string, matches: (record: CheckRecord) => boolean): { index: number; records: readonly CheckRecord[] } {
    let verdicts = this.verdicts.get(key);
    if (!verdicts) {
      if (this.verdicts.size >= 16) this.verdicts.clear();
      this.verdicts.set(key, (verdicts = new WeakMap()));
    }
    const known = verdicts;
    const selects = (record: CheckRecord): boolean => {
      let verdict = known.get(record);
      if (verdict === undefined) known.set(record, (verdict = matches(record)));
      return verdict;
    };
    const records: CheckRecord[] = [];
    for (const node of [...this.nodeChecks.keys()].sort(byName)) {
      const chunk = this.chunk(node);
      let byFilter = this.filteredChunks.get(chunk);
      if (!byFilter) this.filteredChunks.set(chunk, (byFilter = new Map()));
      let selected = byFilter.get(key);
      if (!selected) byFilter.set(key, (selected = chunk.records.filter(selects)));
      records.push(...selected);
    }
    return { index, records };
  }

  /** One node's checks sorted by ID and rendered, reused while every record in it is still current. */
  private chunk(node: string): NodeChunk {
    const checks = this.nodeChecks.get(node) ?? new Map<string, CheckRecord>();
    const cached = this.chunks.get(node);
    if (cached && cached.records.length === checks.size && cached.records.every((record) => checks.get(record.checkId) === record)) {
      return cached;
    }
    const records = [...checks.values()].sort(byNodeThenCheck);
    const chunk = { records, json: Buffer.from(records.map(checkJsonText).join(",")) };
    this.rendered += 1;
    this.chunks.set(node, chunk);
    return chunk;
  }
}
