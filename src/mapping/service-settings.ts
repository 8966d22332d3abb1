import { formatGoDuration, goDurationProblem, parseGoDuration } from "../consul/go-duration.js";
import type { ServiceInstance } from "../model/service-instance.js";
import type { MappingWarning } from "./mapping-warning.js";

/** How the upstream speaks: HTTP/1.1, HTTP/2, or gRPC (HTTP/2 with streaming-friendly routes). */
export type UpstreamProtocol = "http1" | "http2" | "grpc";

/** Load-balancing policy names accepted in Service Meta (gRPC clients support round_robin and ring_hash only). */
export type LbPolicyName = "round_robin" | "least_request" | "ring_hash" | "random";

/** What to do when no instance of the service is routable. */
export type UnhealthyMode = "fail-closed" | "fail-open";

/** Per-service settings, read from Consul Service Meta. */
export interface ServiceSettings {
  readonly protocol: UpstreamProtocol;
  readonly lbPolicy: LbPolicyName;
  /** Connect timeout in milliseconds, 1 ms – 1 h. */
  readonly connectTimeoutMs: number;
  /**
   * `fail-closed`: with no routable instance the service has no endpoints (requests fail fast).
   * `fail-open`: then every instance not in maintenance is served with UNKNOWN health, weight 1.
   */
  readonly whenUnhealthy: UnhealthyMode;
  /** Request header whose value is hashed for `ring_hash` (lower-case); undefined: no hash policy. */
  readonly hashHeader: string | undefined;
}

/** The prefix of every Service Meta key the bridge reads (`consul-` is reserved by Consul itself). */
export const serviceMetaPrefix = "xds-bridge-";

/** The Service Meta keys of {@link ServiceSettings}. */
export const serviceMetaKeys = {
  /** `http1` (alias `http`), `http2` or `grpc`; default `http1`. */
  protocol: "xds-bridge-protocol",
  /** `round_robin`, `least_request`, `ring_hash` or `random` (dashes allowed); default `round_robin`. */
  lbPolicy: "xds-bridge-lb-policy",
  /** Go duration syntax (`250ms`, `5s`, `1m30s`), 1 ms – 1 h; default `5s`. */
  connectTimeout: "xds-bridge-connect-timeout",
  /** `fail-closed` or `fail-open`; default `fail-closed`. */
  whenUnhealthy: "xds-bridge-when-unhealthy",
  /** An HTTP header name whose value `ring_hash` hashes; default none. */
  hashHeader: "xds-bridge-hash-header",
} as const;

/** The settings of a service whose instances set none. */
export const defaultServiceSettings: ServiceSettings = Object.freeze({
  protocol: "http1",
  lbPolicy: "round_robin",
  connectTimeoutMs: 5000,
  whenUnhealthy: "fail-closed",
  hashHeader: undefined,
});

type SettingKey = keyof typeof serviceMetaKeys;
type Parser<T> = (value: string) => T | undefined;

const protocols: Readonly<Record<string, UpstreamProtocol>> = { http1: "http1", http: "http1", http2: "http2", grpc: "grpc" };
const lbPolicies: ReadonlySet<string> = new Set(["round_robin", "least_request", "ring_hash", "random"]);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,256}$/;
const parsers: { readonly [K in SettingKey]: Parser<unknown> } = {
  protocol: (value) => protocols[value.toLowerCase()],
  lbPolicy: (value) => {
    const name = value.toLowerCase().replaceAll("-", "_");
    return lbPolicies.has(name) ? (name as LbPolicyName) : undefined;
  },
  connectTimeout: (value) => {
    const ms = parseGoDuration(value);
    return ms !== undefined && ms >= 1 && ms <= 3_600_000 ? Math.round(ms) : undefined;
  },
  whenUnhealthy: (value) => {
    const mode = value.toLowerCase();
    return mode === "fail-closed" || mode === "fail-open" ? mode : undefined;
  },
  hashHeader: (value) => {
    const header = value.toLowerCase();
    return HEADER_NAME.test(header) ? header : undefined;
  },
};

/** Why a connect timeout is refused: no unit (with a hint), not a duration, or out of range. */
function connectTimeoutProblem(value: string): string {
  return goDurationProblem(value) ?? "must be from 1ms to 1h";
}

/** A setting's value as messages show it: durations with their unit. */
function describeSetting(key: SettingKey, value: unknown): string {
  if (value === undefined) return "(none)";
  return key === "connectTimeout" ? formatGoDuration(value as number) : JSON.stringify(value);
}

const settingFields: { readonly [K in SettingKey]: keyof ServiceSettings } = {
  protocol: "protocol",
  lbPolicy: "lbPolicy",
  connectTimeout: "connectTimeoutMs",
  whenUnhealthy: "whenUnhealthy",
  hashHeader: "hashHeader",
};

const knownKeys: ReadonlySet<string> = new Set(Object.values(serviceMetaKeys));

/**
 * Reads a service's settings from its instances' Service Meta. Every instance votes with its
 * (trimmed) value, an instance without the key votes for the default; the value with the most votes
 * wins, a tie goes to the default and then to the smallest value, so the result does not depend on
 * instance order or health and a setting rolled out instance by instance switches at the majority.
 * Disagreement, invalid values (→ default) and unknown `xds-bridge-` keys come back as warnings.
 */
export function readServiceSettings(
  service: string,
  instances: Iterable<ServiceInstance>,
): { settings: ServiceSettings; warnings: MappingWarning[] } {
  const votes = new Map<SettingKey, Map<string | undefined, number>>();
  for (const key of Object.keys(serviceMetaKeys) as SettingKey[]) votes.set(key, new Map());
  const unknown = new Set<string>();
  let count = 0;
  for (const instance of instances) {
    count += 1;
    for (const key of Object.keys(serviceMetaKeys) as SettingKey[]) {
      const raw = instance.meta[serviceMetaKeys[key]];
      const value = raw === undefined ? undefined : raw.trim();
      const tally = votes.get(key)!;
      tally.set(value, (tally.get(value) ?? 0) + 1);
    }
    for (const metaKey of Object.keys(instance.meta)) {
      if (metaKey.startsWith(serviceMetaPrefix) && !knownKeys.has(metaKey)) unknown.add(metaKey);
    }
  }
  const warnings: MappingWarning[] = [];
  const settings: Record<string, unknown> = { ...defaultServiceSettings };
  if (count === 0) return { settings: defaultServiceSettings, warnings };
  for (const [key, tally] of votes) {
    const metaKey = serviceMetaKeys[key];
    const winner = pickWinner(tally);
    if (tally.size > 1) {
      const described = [...tally].map(([value, n]) => `${value === undefined ? "(unset)" : JSON.stringify(value)}×${n}`).join(", ");
      warnings.push({
        service,
        code: "conflicting-setting",
        message: `instances disagree on ${metaKey} (${described}); using ${winner === undefined ? "the default" : JSON.stringify(winner)}`,
      });
    }
    if (winner === undefined) continue;
    const parsed = (parsers[key] as Parser<unknown>)(winner);
    if (parsed === undefined) {
      warnings.push({
        service,
        code: "invalid-setting",
        message: `${metaKey}=${JSON.stringify(winner)} is not valid${key === "connectTimeout" ? `: ${connectTimeoutProblem(winner)}` : ""}; using the default ${describeSetting(key, defaultServiceSettings[settingFields[key]])}`,
      });
      continue;
    }
    settings[settingFields[key]] = parsed;
  }
  for (const metaKey of [...unknown].sort()) {
    warnings.push({
      service,
      code: "unknown-setting",
      message: `unknown Service Meta key ${metaKey} (known: ${[...knownKeys].join(", ")})`,
    });
  }
  const result = settings as unknown as ServiceSettings;
  if (result.hashHeader !== undefined && result.lbPolicy !== "ring_hash") {
    warnings.push({
      service,
      code: "ignored-setting",
      message: `${serviceMetaKeys.hashHeader} has no effect without ${serviceMetaKeys.lbPolicy}=ring_hash`,
    });
  }
  return { settings: Object.freeze(result), warnings };
}

/** The most voted value; ties go to "unset" (undefined), then to the smallest value. */
function pickWinner(tally: ReadonlyMap<string | undefined, number>): string | undefined {
  let best: string | undefined;
  let bestVotes = -1;
  for (const [value, votes] of tally) {
    if (votes > bestVotes || (votes === bestVotes && better(value, best))) {
      best = value;
      bestVotes = votes;
    }
  }
  return best;
}

function better(candidate: string | undefined, current: string | undefined): boolean {
  if (current === undefined) return false;
  if (candidate === undefined) return true;
  return candidate < current;
}
