import type { EncodedResource } from "./encoded-resource.js";

/**
 * Derives a version string from a set of resources: the XOR of their digests, in hex. It depends only
 * on content (not on order or on when it was computed), so a restarted bridge or a second replica with
 * the same data announces the same versions, and it needs no sorting of thousands of names.
 */
export function contentVersion(resources: Iterable<EncodedResource>): string {
  let a = 0;
  let b = 0;
  for (const { digest } of resources) {
    a ^= digest[0];
    b ^= digest[1];
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}
