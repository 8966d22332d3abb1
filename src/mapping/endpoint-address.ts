import { isIPv4, isIPv6 } from "node:net";

/** What an instance's address is, as far as an xDS endpoint is concerned. */
export type EndpointAddress =
  /** An IP literal, in canonical text (IPv6 lower-case and compressed), usable in EDS. */
  | { readonly kind: "ip"; readonly family: 4 | 6; readonly address: string }
  /** A syntactically valid DNS name (lower-case), usable only by a DNS cluster. */
  | { readonly kind: "hostname"; readonly address: string }
  | { readonly kind: "invalid"; readonly reason: string };

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Classifies an instance address: IP literal (canonicalised, so `0:0::1` and `::1` are one address),
 * DNS hostname, or unusable (empty, unspecified `0.0.0.0`/`::`, IPv6 zone ids, bad syntax, or a
 * dotted name whose last label is numeric — a mistyped IP such as `10.0.0.256`, not a hostname).
 */
export function classifyEndpointAddress(raw: string): EndpointAddress {
  if (raw === "") return { kind: "invalid", reason: "empty address" };
  if (isIPv4(raw)) {
    if (raw === "0.0.0.0") return { kind: "invalid", reason: "unspecified address 0.0.0.0" };
    return { kind: "ip", family: 4, address: raw };
  }
  if (isIPv6(raw)) {
    if (raw.includes("%")) return { kind: "invalid", reason: `scoped IPv6 address ${raw} is not supported` };
    let address: string;
    try {
      address = new URL(`http://[${raw}]/`).hostname.slice(1, -1);
    } catch {
      return { kind: "invalid", reason: `unparsable IPv6 address ${raw}` };
    }
    if (address === "::") return { kind: "invalid", reason: "unspecified address ::" };
    return { kind: "ip", family: 6, address };
  }
  const name = (raw.endsWith(".") ? raw.slice(0, -1) : raw).toLowerCase();
  const labels = name.split(".");
  if (name.length === 0 || name.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return { kind: "invalid", reason: `${JSON.stringify(raw)} is neither an IP address nor a hostname` };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    return { kind: "invalid", reason: `${JSON.stringify(raw)} is not a valid IP address` };
  }
  return { kind: "hostname", address: name };
}
