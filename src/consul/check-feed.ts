import { isObject } from "./is-object.js";

/** One row of `/v1/health/state/any`, reduced to what change detection needs. */
export interface CheckRow {
  readonly node: string;
  readonly checkId: string;
  /** "" for a node check (serfHealth, node maintenance…). */
  readonly serviceId: string;
  readonly serviceName: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** Every check of a datacenter at one answer, by `<node>\0<checkId>`. */
export type CheckSnapshot = ReadonlyMap<string, CheckRow>;

/** What changed between two answers of the check feed. */
export interface CheckFeedDiff {
  readonly snapshot: CheckSnapshot;
  /** Service name → index of its latest change seen here (a later read must be at least this fresh). */
  readonly services: ReadonlyMap<string, number>;
  /** Node → index, for changed node checks: they change every service on that node. */
  readonly nodes: ReadonlyMap<string, number>;
  /**
   * Raft indexes of writes this answer shows on service checks (create/modify indexes of every
   * service check, plus the answer's index when service checks vanished). A catalog index equal to
   * one of them is explained: that write is visible here.
   */
  readonly writeIndexes: ReadonlySet<number>;
  /** Rows that were not readable and were ignored. */
  readonly malformed: number;
}

function indexOf(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : -1;
}

function readRows(body: unknown): { rows: Map<string, CheckRow>; malformed: number } {
  const rows = new Map<string, CheckRow>();
  let malformed = 0;
  for (const raw of Array.isArray(body) ? body : []) {
    if (!isObject(raw) || typeof raw.Node !== "string" || typeof raw.CheckID !== "string") {
      malformed += 1;
      continue;
    }
    const row: CheckRow = {
      node: raw.Node,
      checkId: raw.CheckID,
      serviceId: typeof raw.ServiceID === "string" ? raw.ServiceID : "",
      serviceName: typeof raw.ServiceName === "string" ? raw.ServiceName : "",
      createIndex: indexOf(raw.CreateIndex),
      modifyIndex: indexOf(raw.ModifyIndex),
    };
    rows.set(`${row.node}\u0000${row.checkId}`, row);
  }
  return { rows, malformed };
}

function sameRow(a: CheckRow, b: CheckRow): boolean {
  return (
    a.modifyIndex === b.modifyIndex && a.createIndex === b.createIndex && a.serviceId === b.serviceId && a.serviceName === b.serviceName
  );
}

/**
 * Compares an answer of `/v1/health/state/any` with the previous one and names the services whose
 * checks were added, removed or modified (any new ModifyIndex: status, output or a re-registration),
 * and the nodes whose node checks did. Without a previous answer (the baseline) nothing is reported:
 * the caller reads every service after taking the baseline.
 */
export function diffCheckFeed(previous: CheckSnapshot | undefined, body: unknown, answerIndex: number): CheckFeedDiff {
  const { rows, malformed } = readRows(body);
  const services = new Map<string, number>();
  const nodes = new Map<string, number>();
  const writeIndexes = new Set<number>();
  const mark = (row: CheckRow, index: number): void => {
    if (row.serviceId === "") nodes.set(row.node, Math.max(nodes.get(row.node) ?? 0, index));
    else if (row.serviceName !== "") services.set(row.serviceName, Math.max(services.get(row.serviceName) ?? 0, index));
  };
  for (const row of rows.values()) {
    if (row.serviceId !== "") {
      writeIndexes.add(row.createIndex);
      writeIndexes.add(row.modifyIndex);
    }
    if (!previous) continue;
    const before = previous.get(`${row.node}\u0000${row.checkId}`);
    if (before && sameRow(before, row)) continue;
    mark(row, row.modifyIndex);
    if (before && before.serviceName !== row.serviceName) mark(before, row.modifyIndex);
  }
  if (previous) {
    let serviceRowsVanished = false;
    for (const [key, row] of previous) {
      if (rows.has(key)) continue;
      mark(row, answerIndex);
      if (row.serviceId !== "") serviceRowsVanished = true;
    }
    if (serviceRowsVanished) writeIndexes.add(answerIndex);
  }
  return { snapshot: rows, services, nodes, writeIndexes, malformed };
}
