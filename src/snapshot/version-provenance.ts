import type { Provenance } from "../model/provenance.js";
import type { TypeSnapshot } from "./type-snapshot.js";

const stamped = new WeakMap<TypeSnapshot, Provenance>();

/**
 * Records what a type snapshot was built from, once: the first publish that made it names the
 * registry answers behind it. A snapshot reused by a later publish keeps its first provenance.
 */
export function stampProvenance(snapshot: TypeSnapshot, provenance: Provenance | undefined): void {
  if (provenance && !stamped.has(snapshot)) stamped.set(snapshot, provenance);
}

/** What a version was built from (undefined when the publisher did not know). */
export function provenanceOf(snapshot: TypeSnapshot | undefined): Provenance | undefined {
  return snapshot && stamped.get(snapshot);
}
