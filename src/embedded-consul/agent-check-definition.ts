import { parseGoDuration } from "../consul/go-duration.js";
import type { CheckDefinition, CheckSpec, CheckStatus } from "./catalog-records.js";
import { formatGoDuration } from "./format-go-duration.js";
import { HttpFailure } from "./http-answers.js";
import { BadRequest, booleanField, field, integerField, isObject, stringField } from "./json-fields.js";

const statuses = new Set<string>(["passing", "warning", "critical"]);

/** Fields of Consul's CheckType; a check object with none of them is empty and ignored, as Consul does. */
const checkTypeFields = [
  "CheckID",
  "ID",
  "Name",
  "Status",
  "Notes",
  "ScriptArgs",
  "Args",
  "HTTP",
  "Header",
  "Method",
  "Body",
  "DisableRedirects",
  "TCP",
  "UDP",
  "GRPC",
  "GRPCUseTLS",
  "H2PING",
  "OSService",
  "AliasNode",
  "AliasService",
  "DockerContainerID",
  "Interval",
  "Timeout",
  "TTL",
  "TLSServerName",
  "TLSSkipVerify",
  "OutputMaxSize",
  "DeregisterCriticalServiceAfter",
  "SuccessBeforePassing",
  "FailuresBeforeWarning",
  "FailuresBeforeCritical",
];

/** True when `body` sets none of CheckType's fields (Consul's `CheckType.Empty()`). */
export function isEmptyCheck(body: Record<string, unknown>): boolean {
  return checkTypeFields.every((name) => {
    const value = field(body, name);
    return (
      value === undefined ||
      value === null ||
      value === "" ||
      value === false ||
      value === 0 ||
      (Array.isArray(value) && value.length === 0)
    );
  });
}

/** A duration as Consul decodes it: a Go duration string, or a number of nanoseconds; absent → 0. */
function durationMs(body: Record<string, unknown>, name: string): number {
  const value = field(body, name);
  if (value === undefined || value === null || value === "") return 0;
  if (typeof value === "number") return value / 1e6;
  if (typeof value !== "string") throw new BadRequest(`Request decode failed: ${name}: expected a duration`);
  const ms = parseGoDuration(value);
  if (ms === undefined) throw new BadRequest(`Request decode failed: time: invalid duration ${JSON.stringify(value)}`);
  return ms;
}

/** A duration field as the check's `Interval`/`Timeout` text: as given, or Go's spelling of a number of nanoseconds. */
function durationText(body: Record<string, unknown>, name: string, ms: number): string {
  return typeof field(body, name) === "number" ? formatGoDuration(ms) : stringField(body, name);
}

function headerField(body: Record<string, unknown>): Record<string, string[]> | undefined {
  const value = field(body, "Header");
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => !Array.isArray(v) || v.some((x) => typeof x !== "string"))) {
    throw new BadRequest("Request decode failed: Header: expected an object of string lists");
  }
  return value as Record<string, string[]>;
}

function present(body: Record<string, unknown>, name: string): boolean {
  const value = field(body, name);
  return value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0);
}

/** A check's `Status`, if given; an unknown one is refused with `badStatus`. */
export function checkStatusField(body: Record<string, unknown>, badStatus: string): CheckStatus | undefined {
  const status = stringField(body, "Status");
  if (status === "") return undefined;
  if (!statuses.has(status)) throw new BadRequest(badStatus);
  return status as CheckStatus;
}

/** Names for a check whose definition does not give them. */
export interface CheckDefaults {
  readonly checkId: string;
  readonly name: string;
  readonly serviceId: string;
}

/**
 * A check of the local agent from its JSON definition (a service's `Check`/`Checks` entry, or a
 * `/v1/agent/check/register` body), validated as Consul's `CheckType.Validate` does, with its texts.
 * Script checks are refused as a Consul agent does by default (no `enable_script_checks`).
 */
export function parseAgentCheck(body: Record<string, unknown>, defaults: CheckDefaults, status: CheckStatus | undefined): CheckSpec {
  const ttlMs = durationMs(body, "TTL");
  const intervalMs = durationMs(body, "Interval");
  const timeoutMs = durationMs(body, "Timeout");
  const script = present(body, "Args") || present(body, "ScriptArgs");
  const alias = present(body, "AliasNode") || present(body, "AliasService");
  const intervalCheck = script || ["HTTP", "TCP", "UDP", "GRPC", "H2PING", "OSService"].some((name) => present(body, name));
  if (intervalMs > 0 && ttlMs > 0) throw new BadRequest("Invalid check: Interval and TTL cannot both be specified");
  if (intervalCheck && intervalMs <= 0) {
    throw new BadRequest("Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks");
  }
  if (intervalCheck && alias) throw new BadRequest("Invalid check: Interval cannot be set for Alias checks");
  if (alias && ttlMs > 0) throw new BadRequest("Invalid check: TTL must be not be set for Alias checks");
  if (!intervalCheck && !alias && ttlMs <= 0) throw new BadRequest("Invalid check: TTL must be > 0 for TTL checks");
  const outputMaxSize = integerField(body, "OutputMaxSize");
  if (outputMaxSize < 0) throw new BadRequest("Invalid check: MaxOutputMaxSize must be positive");
  if (script) {
    throw new HttpFailure(500, "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true");
  }
  const http = stringField(body, "HTTP");
  const tcp = stringField(body, "TCP");
  const grpc = stringField(body, "GRPC");
  const type = grpc
    ? "grpc"
    : http
      ? "http"
      : ttlMs > 0
        ? "ttl"
        : tcp
          ? "tcp"
          : present(body, "UDP")
            ? "udp"
            : alias
              ? "alias"
              : present(body, "H2PING")
                ? "h2ping"
                : "os_service";
  const header = headerField(body);
  const definition: CheckDefinition | undefined =
    http || tcp || grpc
      ? {
          ...(http ? { http } : {}),
          ...(stringField(body, "Method") ? { method: stringField(body, "Method") } : {}),
          ...(header ? { header } : {}),
          ...(stringField(body, "Body") ? { body: stringField(body, "Body") } : {}),
          ...(booleanField(body, "DisableRedirects") ? { disableRedirects: true } : {}),
          ...(booleanField(body, "TLSSkipVerify") ? { tlsSkipVerify: true } : {}),
          ...(stringField(body, "TLSServerName") ? { tlsServerName: stringField(body, "TLSServerName") } : {}),
          ...(tcp ? { tcp } : {}),
          ...(grpc ? { grpc } : {}),
          ...(booleanField(body, "GRPCUseTLS") ? { grpcUseTls: true } : {}),
          intervalMs,
          timeoutMs,
          outputMaxSize: outputMaxSize > 0 ? outputMaxSize : 4096,
        }
      : undefined;
  return {
    checkId: stringField(body, "CheckID") || stringField(body, "ID") || defaults.checkId,
    name: stringField(body, "Name") || defaults.name,
    ...(status ? { status } : {}),
    notes: stringField(body, "Notes"),
    serviceId: defaults.serviceId,
    type,
    interval: durationText(body, "Interval", intervalMs),
    timeout: durationText(body, "Timeout", timeoutMs),
    ...(ttlMs > 0 ? { ttlMs } : {}),
    ...(definition ? { definition } : {}),
  };
}
