import type { XdsTypeUrl } from "../resource-types/index.js";
import type { TypeSnapshot } from "../snapshot/index.js";
import type { LiveResources } from "./live-resources.js";

/**
 * Tracks, per type, the names whose live resource differs between a group and the base group (the
 * first one published). While none differ, the group serves the base group's very TypeSnapshot of
 * that type: no second copy of ten thousand entries, and streams of both groups share one cached diff.
 * Envoy and gRPC clients mostly get the same clusters and assignments, so this halves that work.
 */
export class KindSharing {
  private readonly differences = new Map<XdsTypeUrl, Set<string>>();

  constructor(
    private readonly base: LiveResources,
    private readonly group: LiveResources,
  ) {}

  /** Re-compares one name of one type after either group changed it. */
  compare(typeUrl: XdsTypeUrl, name: string): void {
    let names = this.differences.get(typeUrl);
    if (!names) this.differences.set(typeUrl, (names = new Set()));
    if (this.base.get(typeUrl, name) === this.group.get(typeUrl, name)) names.delete(name);
    else names.add(name);
  }

  /** The base group's snapshot of `typeUrl` when the group's live resources of that type are the very same. */
  shared(typeUrl: XdsTypeUrl, baseSnapshot: TypeSnapshot | undefined): TypeSnapshot | undefined {
    if (!baseSnapshot || (this.differences.get(typeUrl)?.size ?? 0) > 0) return undefined;
    return baseSnapshot.resources.size === this.group.count(typeUrl) ? baseSnapshot : undefined;
  }
}
