import type { ServiceInstance } from "../model/service-instance.js";

/** Distinct values kept before the table starts over (a catalog whose metadata keeps changing must not grow it forever). */
const maxEntries = 50_000;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Makes instances read from Consul share their immutable parts: the tags, metadata, weights, health
 * and node metadata of 100,000 instances take a handful of distinct values (every instance of a
 * service tends to carry the same tags and meta, every instance on a node the same node meta), yet
 * each read parses them into fresh objects. Shared, frozen copies cut the model to about half and make
 * equal instances compare by reference.
 */
export class InstanceInterner {
  private readonly values = new Map<string, unknown>();
  private readonly strings = new Map<string, string>();

  /** The same instance, its parts replaced by shared frozen copies of equal content. */
  intern(instance: ServiceInstance): ServiceInstance {
    return {
      ...instance,
      node: this.string(instance.node),
      datacenter: this.string(instance.datacenter),
      tags: this.value(instance.tags),
      meta: this.value(instance.meta),
      weights: this.value(instance.weights),
      health: this.value(instance.health),
      nodeMeta: this.value(instance.nodeMeta),
    };
  }

  private value<T>(value: T): T {
    const key = JSON.stringify(value);
    const shared = this.values.get(key);
    if (shared !== undefined) return shared as T;
    if (this.values.size >= maxEntries) this.values.clear();
    this.values.set(key, deepFreeze(value));
    return value;
  }

  private string(value: string): string {
    const shared = this.strings.get(value);
    if (shared !== undefined) return shared;
    if (this.strings.size >= maxEntries) this.strings.clear();
    this.strings.set(value, value);
    return value;
  }
}
