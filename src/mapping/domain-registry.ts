import { compareDomainClaims, type DomainClaim } from "./domain-claims.js";

/**
 * Who owns each virtual host domain of Envoy's route configuration, kept incrementally: a service's
 * claims change only when it appears, vanishes or the local datacenter changes, and then only the
 * services competing for the same domains need their virtual hosts rebuilt. Same winner rule as
 * resolveDomainClaims (mapping/domain-claims.ts), so incremental and full builds agree.
 */
export class DomainRegistry {
  private readonly byKey = new Map<string, DomainClaim[]>();
  private readonly byService = new Map<string, readonly DomainClaim[]>();

  /** Replaces the claims of `service` (empty: none); returns every service whose won domains may have changed. */
  update(service: string, claims: readonly DomainClaim[]): Set<string> {
    const affected = new Set<string>();
    const previous = this.byService.get(service) ?? [];
    if (sameClaims(previous, claims)) return affected;
    affected.add(service);
    for (const claim of previous) {
      const list = this.byKey.get(claim.key);
      if (!list) continue;
      const rest = list.filter((other) => other !== claim);
      for (const other of rest) affected.add(other.service);
      if (rest.length === 0) this.byKey.delete(claim.key);
      else this.byKey.set(claim.key, rest);
    }
    for (const claim of claims) {
      const list = this.byKey.get(claim.key) ?? [];
      for (const other of list) affected.add(other.service);
      list.push(claim);
      this.byKey.set(claim.key, list);
    }
    if (claims.length === 0) this.byService.delete(service);
    else this.byService.set(service, claims);
    return affected;
  }

  /** The domains `service` currently wins, in its claim order. */
  won(service: string): string[] {
    const claims = this.byService.get(service) ?? [];
    return claims.filter((claim) => this.winner(claim.key) === claim).map((claim) => claim.domain);
  }

  private winner(key: string): DomainClaim | undefined {
    let best: DomainClaim | undefined;
    for (const claim of this.byKey.get(key) ?? []) if (!best || compareDomainClaims(claim, best) < 0) best = claim;
    return best;
  }
}

function sameClaims(a: readonly DomainClaim[], b: readonly DomainClaim[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.domain !== b[i]!.domain || a[i]!.rank !== b[i]!.rank) return false;
  return true;
}
