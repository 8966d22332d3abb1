import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Socket } from "node:net";

/** How long a new connection may take to show which HTTP version it speaks. */
const decideWithinMs = 10_000;

/** The HTTP/2 connection preface every HTTP/2 client sends first (RFC 9113, section 3.4). */
const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Hands a cleartext connection to the HTTP/2 server when it opens with the HTTP/2 connection
 * preface (h2c with prior knowledge: gRPC clients, Envoy), and to the HTTP/1.1 server otherwise
 * (REST-JSON pollers, curl). Only the first bytes are looked at, and only until they match or stop
 * matching the preface; they are put back on the socket before it is handed over, so either server
 * reads the connection from its first byte. Node's HTTP/2 server cannot take HTTP/1.1 in clear text
 * itself (`allowHTTP1` is for TLS, where ALPN decides).
 */
export function routeByPreface(socket: Socket, h2: http2.Http2Server, h1: http.Server, undecided: Set<Socket>): void {
  let seen: Buffer = Buffer.alloc(0);
  // Until it is handed over the socket belongs to no server: track it (so closing the port can
  // destroy it) and give it a deadline (a client that never says enough must not hold it forever).
  undecided.add(socket);
  socket.setTimeout(decideWithinMs, () => socket.destroy());
  socket.once("close", () => undecided.delete(socket));
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const compared = Math.min(seen.length, preface.length);
    const matches = seen.subarray(0, compared).equals(preface.subarray(0, compared));
    if (matches && seen.length < preface.length) return; // not decided yet
    socket.off("data", onData);
    socket.off("error", onError);
    socket.setTimeout(0);
    undecided.delete(socket);
    socket.pause();
    socket.unshift(seen);
    if (matches) {
      // Left paused: the HTTP/2 session reads what is buffered itself, then the socket's handle.
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  const onError = () => socket.destroy();
  socket.on("error", onError);
  socket.on("data", onData);
}
