import { adsTypeOrder, type XdsTypeUrl } from "../resource-types/index.js";
import { createTypeSnapshot, deriveTypeSnapshot, type EncodedResource, type TypeSnapshot } from "../snapshot/index.js";

/**
 * Everything one snapshot group serves, per type, kept as live maps that services' changes edit in
 * place, with the names touched since the group's type snapshots were last made. Making a type
 * snapshot then costs the changes (deriveTypeSnapshot) rather than the whole type.
 */
export class LiveResources {
  private readonly live = new Map<XdsTypeUrl, Map<string, EncodedResource>>(adsTypeOrder.map((type) => [type, new Map()]));
  private readonly dirty = new Map<XdsTypeUrl, Set<string>>();
  private readonly snapshots = new Map<XdsTypeUrl, TypeSnapshot>();

  /** The live resource of a type and name. */
  get(typeUrl: XdsTypeUrl, name: string): EncodedResource | undefined {
    return this.live.get(typeUrl)!.get(name);
  }

  /** Number of live resources of a type. */
  count(typeUrl: XdsTypeUrl): number {
    return this.live.get(typeUrl)!.size;
  }

  /** Sets one resource (the bridge's own, or a service's). */
  set(resource: EncodedResource): void {
    const map = this.live.get(resource.typeUrl)!;
    if (map.get(resource.name) === resource) return;
    map.set(resource.name, resource);
    this.touch(resource.typeUrl, resource.name);
  }

  /** Removes one resource if it is the live one under its name. */
  remove(resource: EncodedResource): void {
    const map = this.live.get(resource.typeUrl)!;
    if (map.get(resource.name) !== resource) return;
    map.delete(resource.name);
    this.touch(resource.typeUrl, resource.name);
  }

  /** Types touched since {@link takeSnapshots}. */
  get dirtyTypes(): ReadonlySet<XdsTypeUrl> {
    return new Set(this.dirty.keys());
  }

  /** Names of `typeUrl` touched since {@link takeSnapshots}. */
  dirtyNames(typeUrl: XdsTypeUrl): ReadonlySet<string> {
    return this.dirty.get(typeUrl) ?? new Set();
  }

  /**
   * The group's type snapshots, remade for the dirty types: derived from the last one when few names
   * changed (the cost of a map copy plus the changes), else built from the live resources; `reuse`
   * may hand back another group's identical snapshot of a type instead (shared diffs, less copying).
   */
  takeSnapshots(reuse: (typeUrl: XdsTypeUrl) => TypeSnapshot | undefined = () => undefined): ReadonlyMap<XdsTypeUrl, TypeSnapshot> {
    for (const [type, names] of this.dirty) {
      const shared = reuse(type);
      if (shared) {
        this.snapshots.set(type, shared);
        continue;
      }
      const live = this.live.get(type)!;
      const previous = this.snapshots.get(type);
      if (!previous || names.size * 4 > live.size) {
        this.snapshots.set(type, createTypeSnapshot(type, live.values()));
        continue;
      }
      const changes = new Map<string, EncodedResource | undefined>();
      for (const name of names) changes.set(name, live.get(name));
      this.snapshots.set(type, deriveTypeSnapshot(previous, changes));
    }
    this.dirty.clear();
    return this.snapshots;
  }

  private touch(typeUrl: XdsTypeUrl, name: string): void {
    let names = this.dirty.get(typeUrl);
    if (!names) this.dirty.set(typeUrl, (names = new Set()));
    names.add(name);
  }
}
