import type { CheckFeedDiff, CheckRow } from "./check-feed.js";
import { CheckFeedScanner, type ScannedCheckRow } from "./check-feed-scanner.js";

interface TrackedRow extends CheckRow {
  /** The answer that last showed this row. */
  seen: number;
  /** Its place in that answer. */
  position: number;
}

/** What one answer changed: a {@link CheckFeedDiff} without the snapshot, which the tracker keeps itself. */
export type CheckFeedChanges = Omit<CheckFeedDiff, "snapshot">;

/** One answer read by {@link CheckFeedTracker.read}, ready to be applied. */
export interface CheckFeedAnswer {
  /** The tracker's answer count this was read against (it must still be current when applied). */
  readonly basis: number;
  readonly answerIndex: number;
  readonly malformed: number;
  /** Rows whose Status is `passing` (a feed filtered to other statuses has none). */
  readonly passing: number;
  /** Every row of the answer in order: stored objects where unchanged, new ones where not. */
  readonly sequence: readonly TrackedRow[];
  /** How many rows of the sequence are new objects. */
  readonly updated: number;
  readonly services: Map<string, number>;
  readonly nodes: Map<string, number>;
  readonly writeIndexes: Set<number>;
}

/**
 * Change detection on the check feed from its raw bytes, with the same verdicts as diffCheckFeed
 * (services and nodes whose checks were added, removed or modified, the write indexes the answer
 * shows, malformed rows), but kept in place: rows are read with scanCheckFeed and compared with the
 * stored ones, and only a changed or new row allocates anything. A 30 MB answer at 100,000 checks
 * thus costs one pass over its bytes instead of a JSON.parse of every check plus a new map of
 * 100,000 rows, most of it garbage for the next major GC.
 *
 * Two steps, so that a body that is not JSON fails where the request fails: {@link read} checks
 * and compares an answer without changing anything, {@link apply} then commits it.
 */
export class CheckFeedTracker {
  /** node → check ID → row. */
  private readonly rows = new Map<string, Map<string, TrackedRow>>();
  /** The rows of the last applied answer, in its order. */
  private order: readonly TrackedRow[] = [];
  private answers = 0;
  private size = 0;

  /** True once a first answer (the baseline the next ones are compared with) was applied. */
  get hasBaseline(): boolean {
    return this.answers > 0;
  }

  /** Rows held now. */
  get rowCount(): number {
    return this.size;
  }

  /**
   * Reads one answer (the raw body) against the current rows. Returns undefined when the body is
   * empty, or JSON but not a list; throws a FeedSyntaxError when it is not JSON. Changes nothing.
   */
  read(body: Uint8Array, answerIndex: number): CheckFeedAnswer | undefined {
    if (body.byteLength === 0) return undefined;
    const baseline = this.answers === 0;
    const services = new Map<string, number>();
    const nodes = new Map<string, number>();
    const writeIndexes = new Set<number>();
    const sequence: TrackedRow[] = [];
    const order = this.order;
    let updated = 0;
    let passing = 0;
    let cursor = 0;
    let lastIndex = Number.NaN;
    const scanner = new CheckFeedScanner(body);
    const same = (start: number, end: number, text: string): boolean => (start < 0 ? text === "" : scanner.equals(start, end, text));
    const scanned = scanner.scan((row: Readonly<ScannedCheckRow>) => {
      if (row.statusStart >= 0 && scanner.equals(row.statusStart, row.statusEnd, "passing")) passing += 1;
      const isService = row.serviceIdStart >= 0 && row.serviceIdEnd > row.serviceIdStart;
      if (isService) {
        if (row.createIndex !== lastIndex) writeIndexes.add(row.createIndex);
        if (row.modifyIndex !== row.createIndex) writeIndexes.add(row.modifyIndex);
        lastIndex = row.createIndex;
      }
      // Answers come in a stable order (Consul sorts by node, then check ID): first try the row that
      // followed the previous one last time, comparing bytes with its strings, which decodes nothing.
      let before: TrackedRow | undefined = order[cursor];
      if (
        !before ||
        !scanner.equals(row.nodeStart, row.nodeEnd, before.node) ||
        !scanner.equals(row.checkIdStart, row.checkIdEnd, before.checkId)
      ) {
        before = this.rows.get(scanner.text(row.nodeStart, row.nodeEnd))?.get(scanner.text(row.checkIdStart, row.checkIdEnd));
      }
      if (before) cursor = before.position + 1;
      if (
        before &&
        before.modifyIndex === row.modifyIndex &&
        before.createIndex === row.createIndex &&
        same(row.serviceIdStart, row.serviceIdEnd, before.serviceId) &&
        same(row.serviceNameStart, row.serviceNameEnd, before.serviceName)
      ) {
        sequence.push(before);
        return;
      }
      const next: TrackedRow = {
        node: before?.node ?? scanner.text(row.nodeStart, row.nodeEnd),
        checkId: before?.checkId ?? scanner.text(row.checkIdStart, row.checkIdEnd),
        serviceId: row.serviceIdStart < 0 ? "" : scanner.text(row.serviceIdStart, row.serviceIdEnd),
        serviceName: row.serviceNameStart < 0 ? "" : scanner.text(row.serviceNameStart, row.serviceNameEnd),
        createIndex: row.createIndex,
        modifyIndex: row.modifyIndex,
        seen: 0,
        position: 0,
      };
      sequence.push(next);
      updated += 1;
      if (baseline) return;
      mark(services, nodes, next, next.modifyIndex);
      if (before && before.serviceName !== next.serviceName) mark(services, nodes, before, next.modifyIndex);
    });
    if (!scanned) return undefined;
    return { basis: this.answers, answerIndex, malformed: scanned.malformed, passing, sequence, updated, services, nodes, writeIndexes };
  }

  /** Commits an answer from {@link read} (the latest read, with nothing applied since) and says what it changed. */
  apply(answer: CheckFeedAnswer): CheckFeedChanges {
    if (answer.basis !== this.answers) throw new Error("check feed answer applied out of order");
    const baseline = this.answers === 0;
    const current = (this.answers += 1);
    const { services, nodes, writeIndexes, sequence } = answer;
    for (let position = 0; position < sequence.length; position++) {
      const row = sequence[position]!;
      const stored = row.seen !== 0;
      row.seen = current;
      row.position = position;
      if (stored) continue;
      let checks = this.rows.get(row.node);
      if (!checks) this.rows.set(row.node, (checks = new Map()));
      if (!checks.has(row.checkId)) this.size += 1;
      checks.set(row.checkId, row);
    }
    let serviceRowsVanished = false;
    for (const row of this.order) {
      if (row.seen === current) continue;
      const checks = this.rows.get(row.node);
      if (checks?.get(row.checkId) !== row) continue;
      checks.delete(row.checkId);
      if (checks.size === 0) this.rows.delete(row.node);
      this.size -= 1;
      if (baseline) continue;
      mark(services, nodes, row, answer.answerIndex);
      if (row.serviceId !== "") serviceRowsVanished = true;
    }
    this.order = sequence;
    if (!baseline && serviceRowsVanished) writeIndexes.add(answer.answerIndex);
    return { services, nodes, writeIndexes, malformed: answer.malformed };
  }
}

/** A changed row names its service (a service check) or its node (a node check, e.g. serfHealth). */
function mark(services: Map<string, number>, nodes: Map<string, number>, row: CheckRow, index: number): void {
  if (row.serviceId === "") nodes.set(row.node, Math.max(nodes.get(row.node) ?? 0, index));
  else if (row.serviceName !== "") services.set(row.serviceName, Math.max(services.get(row.serviceName) ?? 0, index));
}
