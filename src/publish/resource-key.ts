import type { XdsTypeUrl } from "../resource-types/index.js";
import type { EncodedResource } from "../snapshot/index.js";

/** Identifies one resource within a client kind: its type and name (unique together). */
export type ResourceKey = `${XdsTypeUrl} ${string}`;

/** The key of the resource of `typeUrl` named `name`. */
export function resourceKey(typeUrl: XdsTypeUrl, name: string): ResourceKey {
  return `${typeUrl} ${name}`;
}

/** The type a key names. */
export function typeOfKey(key: ResourceKey): XdsTypeUrl {
  return key.slice(0, key.indexOf(" ")) as XdsTypeUrl;
}

/** The key of an encoded resource. */
export function keyOf(resource: EncodedResource): ResourceKey {
  return resourceKey(resource.typeUrl, resource.name);
}

/** What one service publishes for one client kind, by key. */
export type PublishedResources = ReadonlyMap<ResourceKey, EncodedResource>;
