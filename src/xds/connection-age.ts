import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Socket } from "node:net";

/** Options of {@link ConnectionAge}. */
export interface ConnectionAgeOptions {
  /** Connections are closed after about this long (each one jittered by ±10 %). */
  maxAgeMs: number;
  /** After the GOAWAY, how long open streams may still run before the connection is cut. */
  graceMs: number;
  /** A number in [0, 1), for the jitter (default Math.random). */
  random?: () => number;
}

/**
 * Closes every connection after a jittered maximum age, so that clients spread again over the
 * bridge's replicas after one of them restarted or was added (what gRPC's MAX_CONNECTION_AGE does
 * for managed control planes): an HTTP/2 connection gets a GOAWAY (clients open a new connection for
 * new streams, open ones may finish) and is cut after the grace; an HTTP/1.1 connection answers its
 * next response with `Connection: close`, and an idle one is closed at once. The ±10 % jitter keeps
 * connections opened together (after a restart) from all being closed together again.
 */
export class ConnectionAge {
  private readonly random: () => number;
  private readonly aged = new WeakSet<Socket>();
  private readonly busy = new WeakMap<Socket, number>();

  constructor(private readonly options: ConnectionAgeOptions) {
    this.random = options.random ?? Math.random;
    // Node's timers fire at once beyond 2³¹−1 ms: refuse what would close every connection at once.
    const longest = Math.max(options.maxAgeMs * 1.1, options.graceMs);
    if (!(longest <= 2_147_483_647))
      throw new RangeError(`connection age ${options.maxAgeMs} ms (grace ${options.graceMs} ms) is beyond what timers can wait`);
  }

  /** This connection's age limit: maxAgeMs ± 10 %. */
  private limit(): number {
    return this.options.maxAgeMs * (0.9 + 0.2 * this.random());
  }

  /** Ages an HTTP/2 session: GOAWAY at its age, destroyed after the grace. */
  session(session: http2.Http2Session): void {
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      if (session.closed || session.destroyed) return;
      session.close();
      grace = setTimeout(() => session.destroy(), this.options.graceMs).unref();
    }, this.limit()).unref();
    session.once("close", () => {
      clearTimeout(timer);
      clearTimeout(grace);
    });
  }

  /** Ages an HTTP/1.1 connection; call {@link request} for every request it carries. */
  socket(socket: Socket): void {
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      this.aged.add(socket);
      if ((this.busy.get(socket) ?? 0) === 0) socket.end();
      else grace = setTimeout(() => socket.destroy(), this.options.graceMs).unref();
    }, this.limit()).unref();
    socket.once("close", () => {
      clearTimeout(timer);
      clearTimeout(grace);
    });
  }

  /** An HTTP/1.1 request began on an aged (or ageing) connection. */
  request(request: http.IncomingMessage, response: http.ServerResponse): void {
    const socket = request.socket;
    if (this.aged.has(socket)) response.setHeader("connection", "close");
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const left = (this.busy.get(socket) ?? 1) - 1;
      this.busy.set(socket, left);
      if (left === 0 && this.aged.has(socket)) socket.end();
    });
  }
}
