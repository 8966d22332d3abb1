import { isIPv4, isIPv6 } from "node:net";
import { KnownRegex, type StringRules } from "../gen/validate/validate_pb.js";

/** A precompiled well-known string format (hostname, ip, uri, header name…) from a `StringRules.well_known` case. */
export interface StringFormat {
  /** What the value must be, as reported in an error: e.g. `a valid hostname`. */
  readonly description: string;
  /** True when the value has the format. */
  readonly test: (value: string) => boolean;
}

// protoc-gen-validate's well-known header regexes (validate.proto `KnownRegex`), RFC 7230 tokens.
// Note `+-.` inside the name class is a range (`+ , - .`), exactly as upstream writes it.
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
/** With `strict: false` both header rules only forbid NUL, CR and LF. */
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const QUOTED_LOCAL = /^"(?:[^"\\\r\n]|\\.)*"$/;
const URI_FORBIDDEN = /[\u0000-\u0020\u007F]|%(?![0-9A-Fa-f]{2})/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** RFC 1034 hostname as protoc-gen-validate checks it: ≤ 253 chars, labels 1–63 of [a-z0-9-], no edge hyphen, one trailing dot allowed. */
function isHostname(value: string): boolean {
  if (value.length > 253) return false;
  const host = (value.endsWith(".") ? value.slice(0, -1) : value).toLowerCase();
  for (const label of host.split(".")) {
    if (!HOST_LABEL.test(label)) return false;
  }
  return true;
}

/** An IP literal as Go's net.ParseIP reads it: IPv4 dotted quad or IPv6 without brackets or zone. */
function isIp(value: string): boolean {
  return isIPv4(value) || isIPv6Literal(value);
}

function isIPv6Literal(value: string): boolean {
  return !value.includes("%") && isIPv6(value);
}

/** A bare address (`local@host`, no display name): local part ≤ 64, whole ≤ 254, hostname domain. */
function isEmail(value: string): boolean {
  if (value.length > 254) return false;
  const at = value.lastIndexOf("@");
  if (at <= 0) return false;
  const local = value.slice(0, at);
  if (local.length > 64 || !(DOT_ATOM.test(local) || QUOTED_LOCAL.test(local))) return false;
  return isHostname(value.slice(at + 1));
}

/** A URI reference (RFC 3986): no spaces or control characters, well-formed percent escapes. */
function isUriRef(value: string): boolean {
  return !URI_FORBIDDEN.test(value);
}

/** An absolute URI: a URI reference that starts with a scheme. */
function isUri(value: string): boolean {
  return URI_SCHEME.test(value) && isUriRef(value);
}

/**
 * Compiles the `well_known` case of string rules into a format check, or undefined when none is
 * set. `strict: false` relaxes the two header regexes as protoc-gen-validate does.
 */
export function wellKnownStringFormat(rules: StringRules): StringFormat | undefined {
  const wellKnown = rules.wellKnown;
  switch (wellKnown.case) {
    case undefined:
      return undefined;
    case "email":
      return wellKnown.value ? { description: "a valid email address", test: isEmail } : undefined;
    case "hostname":
      return wellKnown.value ? { description: "a valid hostname", test: isHostname } : undefined;
    case "ip":
      return wellKnown.value ? { description: "a valid IP address", test: isIp } : undefined;
    case "ipv4":
      return wellKnown.value ? { description: "a valid IPv4 address", test: isIPv4 } : undefined;
    case "ipv6":
      return wellKnown.value ? { description: "a valid IPv6 address", test: isIPv6Literal } : undefined;
    case "uri":
      return wellKnown.value ? { description: "a valid absolute URI", test: isUri } : undefined;
    case "uriRef":
      return wellKnown.value ? { description: "a valid URI reference", test: isUriRef } : undefined;
    case "address":
      return wellKnown.value ? { description: "a valid hostname or IP address", test: (v) => isHostname(v) || isIp(v) } : undefined;
    case "uuid":
      return wellKnown.value ? { description: "a valid UUID", test: (v) => UUID.test(v) } : undefined;
    case "wellKnownRegex": {
      const strict = rules.strict;
      switch (wellKnown.value) {
        case KnownRegex.HTTP_HEADER_NAME: {
          const regex = strict ? HEADER_NAME : HEADER_LOOSE;
          return { description: `a valid HTTP header name (${regex.source})`, test: (v) => regex.test(v) };
        }
        case KnownRegex.HTTP_HEADER_VALUE: {
          const regex = strict ? HEADER_VALUE : HEADER_LOOSE;
          return { description: `a valid HTTP header value (${regex.source})`, test: (v) => regex.test(v) };
        }
        default:
          return undefined;
      }
    }
  }
}
