/**
 * Why a request to Consul failed, as a small closed set that status, metrics and logs can use:
 * - `unknown-datacenter`: `?dc=` names a datacenter Consul cannot reach (500 "No path to datacenter").
 * - `acl-denied`: 403 (unknown token: "ACL not found", or missing permission).
 * - `bad-request`: 400/404/405, or a filter Consul cannot compile.
 * - `unreachable`: connection refused, reset, DNS failure…
 * - `tls`: the TLS handshake failed (unknown CA, bad client certificate…).
 * - `rate-limited`: 429 (too many connections from this client).
 * - `server-error`: any other 5xx.
 * - `timeout`: no complete answer within the request timeout.
 * - `bad-response`: 2xx whose body is not the JSON expected.
 * - `aborted`: cancelled by the caller's signal.
 * - `internal`: a failure inside the bridge itself (a bug), not Consul's.
 */
export type ConsulErrorCode =
  | "unknown-datacenter"
  | "acl-denied"
  | "bad-request"
  | "unreachable"
  | "tls"
  | "rate-limited"
  | "server-error"
  | "timeout"
  | "bad-response"
  | "aborted"
  | "internal";

/** The one error type of the Consul client layer: a code plus a message that never contains a secret. */
export class ConsulError extends Error {
  override readonly name = "ConsulError";

  constructor(
    readonly code: ConsulErrorCode,
    message: string,
    /** HTTP status, when Consul answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
  "ERR_SOCKET_CLOSED",
]);

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("[redacted]");
  return out;
}

function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (Buffer.isBuffer(body)) return body.toString("utf8");
  if (body === undefined || body === null) return "";
  try {
    return JSON.stringify(body);
  } catch {
    return "";
  }
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}

/** What the bridge says when the scheme of `--consul` does not match what Consul speaks. */
export const plainHttpOnHttps = "Consul answered plain HTTP on an https:// address (use http://, or the port of Consul's HTTPS listener)";
/** The reverse: Go's HTTPS server answers a plain request with a 400 saying so. */
export const httpsOnPlainHttp = "Consul answered an http:// request as an HTTPS server (use https://)";

/** Classifies an HTTP answer from Consul that is not 2xx. */
export function consulErrorFromStatus(status: number, body: string, secrets: readonly string[] = []): ConsulError {
  const text = shorten(redact(body, secrets));
  const message = text === "" ? `HTTP ${status}` : `HTTP ${status}: ${text}`;
  if (status === 400 && /Client sent an HTTP request to an HTTPS server/i.test(body))
    return new ConsulError("tls", httpsOnPlainHttp, status);
  if (status === 429) return new ConsulError("rate-limited", message, status);
  if (status === 403 || status === 401) return new ConsulError("acl-denied", message, status);
  if (/No path to datacenter/i.test(body)) return new ConsulError("unknown-datacenter", message, status);
  if (/Failed to create boolean expression evaluator/i.test(body)) return new ConsulError("bad-request", message, status);
  if (status >= 500) return new ConsulError("server-error", message, status);
  return new ConsulError("bad-request", message, status);
}

interface ForeignError {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly isTimeout?: unknown;
  readonly isAbort?: unknown;
  readonly isCodec?: unknown;
  readonly isResponse?: unknown;
  readonly response?: { readonly statusCode?: unknown; readonly body?: unknown };
  readonly cause?: unknown;
}

/**
 * Converts whatever the HTTP stack threw (papi response/timeout/abort errors, Node socket errors,
 * TLS errors) into a {@link ConsulError}, removing every secret from the message.
 */
export function consulErrorFromReason(reason: unknown, secrets: readonly string[] = []): ConsulError {
  if (reason instanceof ConsulError) return reason;
  const error = (reason ?? {}) as ForeignError;
  const message = redact(typeof error.message === "string" ? error.message : String(reason), secrets).replace(/^consul: [\w.]+: /, "");
  if (error.isResponse === true && typeof error.response?.statusCode === "number") {
    return consulErrorFromStatus(error.response.statusCode, bodyText(error.response.body) || message, secrets);
  }
  if (error.isAbort === true) return new ConsulError("aborted", "request aborted");
  if (error.isTimeout === true) return new ConsulError("timeout", shorten(message));
  if (error.isCodec === true) return new ConsulError("bad-response", shorten(message));
  const code = typeof error.code === "string" ? error.code : "";
  const cause = (error.cause ?? {}) as ForeignError;
  const causeCode = typeof cause.code === "string" ? cause.code : "";
  const anyCode = code || causeCode;
  // OpenSSL reading an HTTP answer as a TLS record ("HTTP/1.1 400…" is no TLS version it knows).
  if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long/i.test(`${anyCode} ${message}`)) {
    return new ConsulError("tls", plainHttpOnHttps);
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(anyCode)) {
    return new ConsulError("tls", shorten(`${anyCode}: ${message}`));
  }
  if (
    networkCodes.has(anyCode) ||
    /socket hang up|ECONNRESET|ECONNREFUSED/i.test(message) ||
    (anyCode.startsWith("E") && !anyCode.startsWith("ERR_"))
  ) {
    return new ConsulError("unreachable", shorten(anyCode ? `${anyCode}: ${message}` : message));
  }
  if (reason instanceof TypeError || reason instanceof RangeError || reason instanceof SyntaxError) {
    return new ConsulError("internal", shorten(message));
  }
  return new ConsulError("unreachable", shorten(message));
}
