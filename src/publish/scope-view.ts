import type { Assembly } from "../mapping/index.js";
import type { XdsTypeUrl } from "../resource-types/index.js";
import type { EncodedResource, TypeSnapshot } from "../snapshot/index.js";
import { LiveResources } from "./live-resources.js";
import { PartAssembler } from "./part-assembler.js";

/**
 * The snapshot group of clients that asked for some services only (node metadata
 * `consul-xds-bridge.upstreams`): the kind's own resources, the resources of the services in scope,
 * and the kind's assembled resource made of those services' parts only. It holds the very encoded
 * resources and part bytes of the kind (nothing is built, validated or encoded per scope), so a scope
 * costs its maps and its own assembled route configuration.
 */
export class ScopeView {
  private readonly live = new LiveResources();
  private readonly assembler: PartAssembler | undefined;
  private taken = false;

  constructor(
    /** The snapshot group name. */
    readonly group: string,
    /** The Consul services asked for (those that do not exist yet are served when they appear). */
    readonly services: ReadonlySet<string>,
    fixed: readonly EncodedResource[],
    assembly: Assembly | undefined,
  ) {
    for (const resource of fixed) this.live.set(resource);
    this.assembler = assembly && new PartAssembler(assembly);
  }

  /** Replaces what one service in scope publishes. */
  replace(before: Iterable<EncodedResource>, after: readonly EncodedResource[]): void {
    const kept = new Set(after);
    for (const resource of before) if (!kept.has(resource)) this.live.remove(resource);
    for (const resource of after) this.live.set(resource);
  }

  /** Sets the encoded part of a service in scope. */
  setPart(name: string, bytes: Uint8Array): void {
    this.assembler?.set(name, bytes);
  }

  /** Removes the part of a service in scope. */
  deletePart(name: string): void {
    this.assembler?.delete(name);
  }

  /** The scope's type snapshots after the changes since the last call, or undefined when nothing changed. */
  takeSnapshots(): ReadonlyMap<XdsTypeUrl, TypeSnapshot> | undefined {
    if (this.assembler) this.live.set(this.assembler.resource());
    if (this.taken && this.live.dirtyTypes.size === 0) return undefined;
    this.taken = true;
    return this.live.takeSnapshots();
  }
}
