import { resourceNameFor } from "./resource-names.js";

/**
 * A service's wish to own one virtual host domain in Envoy's route configuration. Envoy rejects a
 * route configuration in which two virtual hosts share a domain (compared lower-case), and Consul
 * names can make that happen (`web.service.consul` is both a service name and an alias of `web`;
 * `Web` and `web` differ only in case), so every domain has exactly one winner.
 */
export interface DomainClaim {
  /** The Consul service name. */
  readonly service: string;
  readonly domain: string;
  /** `domain` lower-cased: what Envoy compares. */
  readonly key: string;
  /** 0 for the service's own name (with or without port), 1 for `.service[.<dc>].consul` aliases. */
  readonly rank: 0 | 1;
}

/**
 * The domains a service asks for: `<name>`, `<name>.service.consul`, `<name>.service.<dc>.consul`
 * (dc = the local datacenter), each also as `<domain>:*` to match a Host header with a port. Names
 * are resource names (escaped), so they hold no `*` or `:` of their own.
 */
export function domainClaimsFor(service: string, localDatacenter: string): DomainClaim[] {
  const name = resourceNameFor(service);
  const hosts: Array<[string, 0 | 1]> = [
    [name, 0],
    [`${name}.service.consul`, 1],
  ];
  if (localDatacenter !== "") hosts.push([`${name}.service.${resourceNameFor(localDatacenter)}.consul`, 1]);
  const claims: DomainClaim[] = [];
  for (const [host, rank] of hosts) {
    for (const domain of [host, `${host}:*`]) {
      // Most names are lower-case already: keep one string rather than an equal copy (60,000 claims at 10,000 services).
      const lower = domain.toLowerCase();
      claims.push({ service, domain, key: lower === domain ? domain : lower, rank });
    }
  }
  return claims;
}

/**
 * Orders competing claims on one domain, best first: a service's own name beats another's alias,
 * then the smaller service name (by UTF-16 code units) wins — independent of arrival order.
 */
export function compareDomainClaims(a: DomainClaim, b: DomainClaim): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.service < b.service ? -1 : a.service > b.service ? 1 : 0;
}

/** Resolves every claim at once: service → the domains it won, in its claim order (a full-model helper). */
export function resolveDomainClaims(claims: Iterable<DomainClaim>): Map<string, string[]> {
  const best = new Map<string, DomainClaim>();
  const all: DomainClaim[] = [];
  for (const claim of claims) {
    all.push(claim);
    const current = best.get(claim.key);
    if (!current || compareDomainClaims(claim, current) < 0) best.set(claim.key, claim);
  }
  const won = new Map<string, string[]>();
  for (const claim of all) {
    if (!won.has(claim.service)) won.set(claim.service, []);
    if (best.get(claim.key) === claim) won.get(claim.service)!.push(claim.domain);
  }
  return won;
}
