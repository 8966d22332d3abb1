import { CheckFeedScanner, type ScannedCheckRow } from "./check-feed-scanner.js";
import { isObject } from "./is-object.js";

/** An order-independent digest of a set of instances: their count and two sums of 32-bit hashes. */
interface Fingerprint {
  count: number;
  sum: number;
  mix: number;
}

const empty: Fingerprint = Object.freeze({ count: 0, sum: 0, mix: 0 });

/** FNV-1a over the UTF-16 code units of `node`, a separator, and `id`: cheap, and the same for a read and a listing. */
function hashOf(node: string, id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < node.length; i++) h = Math.imul(h ^ node.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xffff, 0x01000193);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function add(print: Fingerprint, node: string, id: string): void {
  const h = hashOf(node, id);
  print.count += 1;
  print.sum = (print.sum + h) % 0x1_0000_0000;
  // A second, differently mixed digest: two sets that collide in both are vanishingly unlikely.
  print.mix = (print.mix + Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)) >>> 0;
}

const same = (a: Fingerprint, b: Fingerprint): boolean => a.count === b.count && a.sum === b.sum && a.mix === b.mix;

/**
 * Which instances of each bridged service carry a service check, as the last read of that service
 * showed, kept as a fingerprint per service (three numbers, not 100,000 strings). A listing of every
 * check (`/v1/health/state/any` unfiltered) is compared with it: a service whose checked instances
 * differ gained or lost one (a registration with a passing check, a deregistration), changes the
 * filtered check feed cannot show. The comparison is with what the model holds, not with an older
 * listing, so it needs no baseline and cannot drift from the reads.
 */
export class MembershipFingerprints {
  private readonly prints = new Map<string, Fingerprint>();

  /** Records what a read of `service` showed (its raw `/v1/health/service/:name` entries). */
  noteRead(service: string, entries: readonly unknown[]): void {
    const print: Fingerprint = { count: 0, sum: 0, mix: 0 };
    for (const entry of entries) {
      if (!isObject(entry) || !isObject(entry.Service) || !isObject(entry.Node)) continue;
      const id = entry.Service.ID;
      const node = entry.Node.Node;
      if (typeof id !== "string" || typeof node !== "string" || !Array.isArray(entry.Checks)) continue;
      if (entry.Checks.some((check) => isObject(check) && check.ServiceID === id)) add(print, node, id);
    }
    if (print.count === 0) this.prints.delete(service);
    else this.prints.set(service, print);
  }

  /** Forgets `service` (no longer bridged). */
  forget(service: string): void {
    this.prints.delete(service);
  }

  /**
   * The bridged services whose checked instances in `listing` (the raw bytes of an unfiltered
   * `/v1/health/state/any` answer) differ from their last read; undefined when the listing is not a
   * list. Throws a FeedSyntaxError when it is not JSON.
   */
  differing(listing: Uint8Array, bridged: (service: string) => boolean): Set<string> | undefined {
    const listed = new Map<string, Fingerprint>();
    // A service has one row per check: count each instance once, at its first service check.
    const seen = new Set<string>();
    const scanner = new CheckFeedScanner(listing);
    const scanned = scanner.scan((row: Readonly<ScannedCheckRow>) => {
      if (row.serviceIdStart < 0 || row.serviceIdEnd === row.serviceIdStart || row.serviceNameStart < 0) return;
      const service = scanner.text(row.serviceNameStart, row.serviceNameEnd);
      if (!bridged(service)) return;
      const node = scanner.text(row.nodeStart, row.nodeEnd);
      const id = scanner.text(row.serviceIdStart, row.serviceIdEnd);
      const key = `${service}\u0000${node}\u0000${id}`;
      if (seen.has(key)) return;
      seen.add(key);
      let print = listed.get(service);
      if (!print) listed.set(service, (print = { count: 0, sum: 0, mix: 0 }));
      add(print, node, id);
    });
    if (!scanned) return undefined;
    const differing = new Set<string>();
    for (const [service, print] of listed) if (!same(print, this.prints.get(service) ?? empty)) differing.add(service);
    for (const service of this.prints.keys()) if (!listed.has(service) && bridged(service)) differing.add(service);
    return differing;
  }
}
