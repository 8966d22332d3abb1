import type { WithdrawalHold } from "../model/withdrawal-guard.js";

/** A held withdrawal as log fields: counts, the first services, and whether ACLs filtered the answers. */
export function holdLogFields(hold: WithdrawalHold): Record<string, unknown> {
  return {
    hold: hold.id,
    endpointsHeld: hold.endpointsHeld,
    endpointsServed: hold.endpointsServed,
    services: [...new Set(hold.services.map((s) => s.service))].slice(0, 20),
    serviceCount: hold.services.length,
    filteredByAcls: hold.filteredByAcls,
  };
}

/**
 * What a held withdrawal is, in one sentence for the error line and `/readyz`: how many endpoints
 * of how many, which services (the first ten), whether Consul filtered the answers by ACLs, and how
 * it ends.
 */
export function holdSentence(hold: WithdrawalHold): string {
  const names = [...new Set(hold.services.map((s) => s.service))];
  const listed = names.slice(0, 10).join(", ") + (names.length > 10 ? `, and ${names.length - 10} more` : "");
  const percent = hold.endpointsServed > 0 ? Math.round((100 * hold.endpointsHeld) / hold.endpointsServed) : 100;
  const acl = hold.filteredByAcls
    ? "; Consul filtered the answers by ACLs (X-Consul-Results-Filtered-By-ACLs): check the token's policy"
    : "";
  return (
    `Consul's answers would withdraw ${hold.endpointsHeld} of ${hold.endpointsServed} served endpoints (${percent} %) ` +
    `of ${names.length} service${names.length === 1 ? "" : "s"}: ${listed}${acl}; serving the last good state until ` +
    `${new Date(hold.appliesAt).toISOString()}, or until confirmed with the admin API's ConfirmWithdrawal (hold ${hold.id})`
  );
}
