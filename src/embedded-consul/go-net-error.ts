/** `host:port` as Go prints a dialled address (IPv6 in brackets). */
function joinHostPort(host: string, port: number | string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The text Go's net package gives for a failed dial, from Node's error: what a Consul agent's TCP,
 * HTTP and gRPC checks put in a check's Output (`dial tcp 127.0.0.1:9: connect: connection refused`).
 * Errors without a Go counterpart keep Node's message.
 */
export function goDialError(error: unknown, target: string): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const address = e.address !== undefined && e.port !== undefined ? joinHostPort(e.address, e.port) : target;
  switch (e.code) {
    case "ECONNREFUSED":
      return `dial tcp ${address}: connect: connection refused`;
    case "EHOSTUNREACH":
      return `dial tcp ${address}: connect: no route to host`;
    case "ENETUNREACH":
      return `dial tcp ${address}: connect: network is unreachable`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `dial tcp: lookup ${e.hostname ?? target}: no such host`;
    case "ECONNRESET":
      return `read tcp ${address}: read: connection reset by peer`;
    default:
      return e.message ?? String(error);
  }
}
