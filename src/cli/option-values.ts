import { InvalidArgumentError } from "commander";
import { goDurationProblem, parseGoDuration } from "../consul/go-duration.js";

/** A host and port to bind or to point at. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses "host:port", "[v6]:port" or ":port" (all interfaces); ports 0–65535. */
export function parseHostPort(value: string): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new InvalidArgumentError("expected host:port, e.g. 0.0.0.0:18000, [::]:18000 or :18000");
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/**
 * Parses a duration in Consul's (Go's) syntax — "0", "250ms", "30s", "1m30s", "1h" — into
 * milliseconds. A bare number other than 0 is refused with a hint ("did you mean 5ms or 5s?"):
 * guessing its unit would silently turn "--shutdown-grace 10" into 10 ms.
 */
export function parseDuration(value: string): number {
  const text = value.trim();
  const ms = parseGoDuration(text);
  if (ms === undefined) throw new InvalidArgumentError(`expected a duration with a unit: ${goDurationProblem(text)}`);
  if (ms < 0) throw new InvalidArgumentError(`expected a duration of 0 or more, such as 250ms or 30s (got ${text})`);
  return Math.round(ms);
}

/** Returns a parser for integers between `min` and `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** Parses a comma-separated list of Consul datacenter names. */
export function parseDatacenterList(value: string): string[] {
  const list = value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (list.length === 0 || list.some((dc) => !/^[A-Za-z0-9_.-]+$/.test(dc))) {
    throw new InvalidArgumentError("expected datacenter names separated by commas, e.g. dc2,dc3");
  }
  return list;
}

/** Parses a datacenter name. */
export function parseDatacenter(value: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new InvalidArgumentError("expected a datacenter name (letters, digits, '-', '_', '.')");
  return value;
}

/** Parses a boolean the way consul reads CONSUL_HTTP_SSL and friends. */
export function parseBoolean(value: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (["1", "t", "true", "yes", "on"].includes(normalized)) return true;
  if (["0", "f", "false", "no", "off", ""].includes(normalized)) return false;
  throw new InvalidArgumentError("expected true or false");
}

/**
 * Turns a Consul address as the consul CLI accepts it (CONSUL_HTTP_ADDR: "host:port", or with an
 * http/https scheme) into a base URL; a scheme-less address uses https when `ssl` is set.
 */
export function consulBaseUrl(address: string, ssl: boolean): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `${ssl ? "https" : "http"}://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError("expected a Consul address such as http://127.0.0.1:8500 or 127.0.0.1:8500");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError(`expected an http:// or https:// Consul address (${url.protocol} is not supported)`);
  }
  if (url.username || url.password) {
    throw new InvalidArgumentError("expected an address without credentials (put the ACL token in --token-file)");
  }
  return url;
}

/**
 * Turns the admin address of `status --admin` into a base URL, accepted like `--consul`:
 * "host:port", "http://host:port" or "https://host:port" (a scheme-less address is http).
 */
export function parseAdminAddress(value: string): string {
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new InvalidArgumentError("expected host:port or an http:// URL, e.g. 127.0.0.1:19000 or http://127.0.0.1:19000");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
