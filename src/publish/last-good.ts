import { isChildType, resourceType } from "../resource-types/index.js";
import type { EncodedResource } from "../snapshot/index.js";
import { type PublishedResources, type ResourceKey, resourceKey, typeOfKey } from "./resource-key.js";

/** Input of {@link resolveServiceResources}. */
export interface ServiceResolution {
  /** What the service publishes now for this kind (consistent, or empty). */
  readonly previous: PublishedResources;
  /** Every resource the new mapping wants (a resource it does not want is absent). */
  readonly wanted: ReadonlySet<ResourceKey>;
  /** New resources that passed validation (absent: not wanted, or rejected). */
  readonly accepted: PublishedResources;
}

/**
 * Decides what one service publishes for one client kind after a rebuild, keeping the snapshot
 * consistent. Resources come in families: a parent (a cluster, a listener) with the children its
 * references name (its assignment, its route configuration; the pairs come from the resource-type
 * table). A rejected resource is replaced by its last good (published) version; a family is used
 * new when the parent's references are all satisfied, else the previous family is kept as a whole;
 * a child no chosen parent references is dropped. When a wanted family has neither, the service is
 * left out of this kind entirely (an empty result), so nothing half-built is ever served.
 */
export function resolveServiceResources(input: ServiceResolution): Map<ResourceKey, EncodedResource> {
  const { previous, wanted, accepted } = input;
  const current = (key: ResourceKey) => accepted.get(key) ?? (wanted.has(key) ? previous.get(key) : undefined);
  const result = new Map<ResourceKey, EncodedResource>();
  for (const key of wanted) {
    if (isChildType(typeOfKey(key))) continue;
    const parent = accepted.get(key) ?? previous.get(key);
    const family = familyOf(parent, current) ?? familyOf(previous.get(key), (k) => previous.get(k));
    if (!family) return new Map();
    for (const resource of family) result.set(resourceKey(resource.typeUrl, resource.name), resource);
  }
  return result;
}

/** The parent with the children it references, or undefined when the parent or one of them is missing. */
function familyOf(
  parent: EncodedResource | undefined,
  lookup: (key: ResourceKey) => EncodedResource | undefined,
): EncodedResource[] | undefined {
  if (!parent) return undefined;
  const childType = resourceType(parent.typeUrl).childType;
  const family = [parent];
  for (const name of parent.references) {
    const child = childType ? lookup(resourceKey(childType, name)) : undefined;
    if (!child) return undefined;
    family.push(child);
  }
  return family;
}
