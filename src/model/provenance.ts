/** Where a piece of the model came from: the registry's answer that brought it. */
export interface ReadOrigin {
  /** The registry's index of the answer (Consul's `X-Consul-Index`). */
  readonly index: number;
  /** When the answer arrived, in ms since the epoch. */
  readonly at: number;
  /** The registry left out what the reader may not see (Consul's `X-Consul-Results-Filtered-By-ACLs`). */
  readonly filteredByAcls?: boolean | undefined;
}

/**
 * What a published version was built from: per datacenter, the index of the newest answer it
 * reflects, and when the oldest answer it carries a change from arrived (so change → ACK latency
 * measured from it never flatters the bridge). Shown by status, CSDS, DumpConfig and the change log.
 */
export interface Provenance {
  /** Datacenter → the registry index of the newest answer reflected. */
  readonly consulIndex: Readonly<Record<string, number>>;
  /** When the answer behind the oldest change in this version arrived (ms since the epoch). */
  readonly answeredAt: number;
}

/** Combines the origins of the changes one version carries into that version's provenance (undefined: none known). */
export function provenanceOf(origins: Iterable<{ readonly datacenter: string; readonly origin: ReadOrigin }>): Provenance | undefined {
  const consulIndex: Record<string, number> = {};
  let answeredAt = Number.POSITIVE_INFINITY;
  for (const { datacenter, origin } of origins) {
    consulIndex[datacenter] = Math.max(consulIndex[datacenter] ?? 0, origin.index);
    answeredAt = Math.min(answeredAt, origin.at);
  }
  return Number.isFinite(answeredAt) ? Object.freeze({ consulIndex: Object.freeze(consulIndex), answeredAt }) : undefined;
}
