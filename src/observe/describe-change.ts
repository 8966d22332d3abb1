import type { ChangeProvenance, ChangeRecord } from "./change-record.js";

const short = (version: string) => version.slice(0, 8);

/** "Consul index dc1=1234, answered 12:00:01.123Z" for a record's provenance. */
export function describeProvenance(provenance: ChangeProvenance): string {
  const indexes = Object.entries(provenance.consulIndex)
    .map(([dc, index]) => `${dc}=${index}`)
    .join(" ");
  return `Consul index ${indexes || "?"}, answered ${new Date(provenance.answeredAt).toISOString().slice(11)}`;
}

/**
 * One change as a sentence for the log: which instance, from what state to what and why, whether it
 * moved traffic, what the service serves now, and which client kinds got which new version, e.g.
 * "web-1 of web: passing → critical (service:web-1: TTL expired), out of rotation; web now serves 1
 * endpoint: 10.0.0.2:8080; new EDS 1a2b3c4d for envoy, grpc".
 */
export function describeChange(record: Omit<ChangeRecord, "message">, localDatacenter = ""): string {
  const where = record.datacenter && record.datacenter !== localDatacenter ? ` in ${record.datacenter}` : "";
  let what: string;
  if (record.kind === "new") what = `new, ${record.to}`;
  else if (record.kind === "deregistered") what = `deregistered (was ${record.from})`;
  else if (record.kind === "weight" || record.kind === "address") what = record.why;
  else what = `${record.from} → ${record.to}`;
  if (record.kind === "critical" || record.kind === "warning" || record.kind === "maintenance") what += ` (${record.why})`;
  let traffic = "";
  if (record.routableBefore !== record.routableAfter) {
    if (!record.routableAfter) traffic = ", out of rotation";
    else traffic = record.kind === "new" ? ", in rotation" : ", back in rotation";
  }
  const count = `${record.endpointCount} endpoint${record.endpointCount === 1 ? "" : "s"}`;
  const more = record.endpointCount > record.endpoints.length ? ", …" : "";
  const endpoints =
    record.endpointCount === 0
      ? `${record.service} now serves no endpoint`
      : `${record.service} now serves ${count}: ${record.endpoints.join(", ")}${more}`;
  const byVersion = new Map<string, string[]>();
  for (const v of record.versions) {
    const key = `${v.type} ${short(v.version)}`;
    byVersion.set(key, [...(byVersion.get(key) ?? []), v.clientKind]);
  }
  const versions =
    byVersion.size === 0
      ? "no client got a new version"
      : `new ${[...byVersion].map(([version, kinds]) => `${version} for ${kinds.join(", ")}`).join("; ")}`;
  const provenance = record.provenance ? ` [${describeProvenance(record.provenance)}]` : "";
  return `${record.instance} of ${record.service}${where}: ${what}${traffic}; ${endpoints}; ${versions}${provenance}`;
}
