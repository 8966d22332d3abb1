import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { type ConnectRouter, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ConnectionAge } from "./connection-age.js";
import { answerUnimplemented } from "./grpc-unimplemented.js";
import { routeByPreface } from "./preface-router.js";
import { authorityKey, nodeRequestKey, nodeResponseKey, peerAddressKey, readMaxBytesKey } from "./request-context.js";

/** TLS for the xDS port; with `clientCa`, clients must present a certificate it signed (mutual TLS). */
export interface XdsTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  clientCa?: string | Buffer;
}

/** Options of {@link listenXds}. */
export interface XdsListenerOptions {
  /** Interface to bind (default "0.0.0.0"). */
  host?: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** Registers the gRPC services served on this port. */
  routes: (router: ConnectRouter) => void;
  /** Without it, the port speaks clear text: HTTP/2 (h2c, prior knowledge) and HTTP/1.1. */
  tls?: XdsTlsOptions;
  /** Largest request message accepted, in bytes (default 4 MiB); bigger ones end the stream with an error. */
  readMaxBytes?: number;
  /** Concurrent streams one HTTP/2 connection may open (default 1,000). */
  maxStreamsPerConnection?: number;
  /** Ends the open gRPC streams cleanly; called first when the listener closes. */
  endStreams?: () => Promise<void>;
  /**
   * Closes connections after about this long (±10 % jitter): GOAWAY for HTTP/2, `Connection: close`
   * for HTTP/1.1, so clients spread again over replicas (default: never).
   */
  maxConnectionAgeMs?: number;
  /** After the GOAWAY of an aged connection, how long its open streams may run (default 30,000 ms). */
  maxConnectionAgeGraceMs?: number;
  /** Jitter source for the connection age, a number in [0, 1) (tests; default Math.random). */
  random?: () => number;
}

/** A bound xDS port. */
export interface XdsListener {
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting connections, ends open streams cleanly, then closes every connection (GOAWAY for
   * HTTP/2, idle HTTP/1.1 ones at once); connections still open after `graceMs` (default 5,000) are
   * destroyed.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Connect builds each request's URL from its authority and throws, from inside the request
 * listener, for one that is not a valid URL authority: an uncaught exception that would end the
 * process. Envoy sends the name of its xDS cluster as the authority ("consul-xds-bridge:xds" in
 * deploy/envoy/), which is such a name. A request with an authority that does not parse gets the
 * placeholder "xds.invalid" in its place, the original being kept (authorityKey); returns false
 * for a request without any authority (answered 400).
 */
function acceptableAuthority(request: http.IncomingMessage | http2.Http2ServerRequest, originals: WeakMap<object, string>): boolean {
  const http2Request = "authority" in request;
  const authority = http2Request ? request.authority : request.headers.host;
  if (!authority) return false;
  originals.set(request, authority);
  if (URL.canParse(`http://${authority}/`)) return true;
  if (http2Request) request.headers[":authority"] = "xds.invalid";
  else request.headers.host = "xds.invalid";
  return true;
}

/** Answers a request the Connect adapter cannot take, with an HTTP status and nothing else. */
function refuse(response: http.ServerResponse | http2.Http2ServerResponse, status: number): void {
  if (!response.headersSent) (response as http.ServerResponse).writeHead(status, { "content-length": "0" });
  response.end();
}

/**
 * Binds the xDS port and serves `routes` on it with Connect: gRPC over HTTP/2 (h2c or TLS) for the
 * streams, CSDS and health, and HTTP/1.1 as well for REST-JSON polling. In clear text a connection is
 * handed to the HTTP/2 or the HTTP/1.1 server by its first bytes (routeByPreface); over TLS, ALPN
 * decides (h2, or http/1.1). Both servers share one Connect handler.
 *
 * Responses are never compressed: clients such as grpc-js advertise gzip, and Connect would then
 * gzip every response of 1 kB or more separately for each stream. On a fan-out to thousands of
 * streams that was most of the server's CPU, for bytes that mostly cross a local network; the
 * resources themselves are encoded once per version and shared. Compressed requests are accepted.
 */
export async function listenXds(options: XdsListenerOptions): Promise<XdsListener> {
  const readMaxBytes = options.readMaxBytes ?? readMaxBytesKey.defaultValue;
  const authorities = new WeakMap<object, string>();
  const http2Responses = new WeakMap<object, http2.Http2ServerResponse>();
  const connect = connectNodeAdapter({
    routes: options.routes,
    readMaxBytes,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    grpcWeb: false,
    fallback: answerUnimplemented,
    contextValues: (request) => {
      const socket = request.socket;
      return createContextValues()
        .set(peerAddressKey, `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`)
        .set(readMaxBytesKey, readMaxBytes)
        .set(nodeRequestKey, request)
        .set(nodeResponseKey, http2Responses.get(request))
        .set(authorityKey, authorities.get(request) ?? "");
    },
  });
  const handler = (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => {
    const authority = acceptableAuthority(request, authorities);
    if (!authority) return refuse(response, 400);
    if ("stream" in response) http2Responses.set(request, response);
    try {
      connect(request, response);
    } catch {
      // Connect's adapter throws synchronously for requests it cannot even represent: answer, never crash.
      refuse(response, 400);
    }
  };
  const age =
    options.maxConnectionAgeMs !== undefined
      ? new ConnectionAge({
          maxAgeMs: options.maxConnectionAgeMs,
          graceMs: options.maxConnectionAgeGraceMs ?? 30_000,
          ...(options.random ? { random: options.random } : {}),
        })
      : undefined;
  const settings: http2.Settings = { maxConcurrentStreams: options.maxStreamsPerConnection ?? 1_000 };
  const h2 = options.tls
    ? http2.createSecureServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          settings,
          maxSessionMemory: 64,
          allowHTTP1: true,
        },
        handler,
      )
    : http2.createServer({ settings, maxSessionMemory: 64 }, handler);
  const h1 = options.tls ? undefined : http.createServer(handler);
  // The server that owns the port, and so every connection: the TLS server itself, or a plain
  // TCP server handing each connection to h2 or h1.
  const undecided = new Set<net.Socket>();
  const listener: net.Server = h1 ? net.createServer((socket) => routeByPreface(socket, h2 as http2.Http2Server, h1, undecided)) : h2;

  const sessions = new Set<http2.Http2Session>();
  h2.on("session", (session: http2.Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    age?.session(session);
  });
  // HTTP/1.1 connections: from h1 in clear text, from the TLS server when ALPN chose http/1.1.
  const h1Sockets = new Set<net.Socket>();
  const trackH1 = (socket: net.Socket) => {
    h1Sockets.add(socket);
    socket.once("close", () => h1Sockets.delete(socket));
    age?.socket(socket);
  };
  // Weak: a closed connection's socket must not stay reachable for the life of the process.
  const busy = new WeakMap<net.Socket, number>();
  const onH1Request = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const socket = request.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once("close", () => busy.set(socket, (busy.get(socket) ?? 1) - 1));
    age?.request(request, response);
  };
  if (h1) {
    h1.on("connection", trackH1);
    h1.on("request", onH1Request);
    h1.on("clientError", (_error, socket) => socket.destroy());
  } else {
    h2.on("secureConnection", (socket: net.Socket & { alpnProtocol?: string | false }) => {
      if (socket.alpnProtocol !== "h2") trackH1(socket);
    });
    h2.on(
      "request",
      (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => {
        if (request.httpVersionMajor === 1) onH1Request(request as http.IncomingMessage, response as http.ServerResponse);
      },
    );
  }
  // A client that fails the TLS handshake (e.g. no certificate under mTLS) must not disturb the server.
  h2.on("tlsClientError", () => {});
  h2.on("sessionError", () => {});
  listener.on("error", () => {});

  listener.listen(options.port, options.host ?? "0.0.0.0");
  await once(listener, "listening");
  const address = listener.address() as net.AddressInfo;

  let closing: Promise<void> | undefined;
  const close = async (graceMs = 5_000): Promise<void> => {
    const closed = once(listener, "close").then(() => undefined);
    listener.close();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([options.endStreams?.() ?? Promise.resolve(), deadline]);
    for (const session of sessions) session.close();
    for (const socket of undecided) socket.destroy();
    for (const socket of h1Sockets) if ((busy.get(socket) ?? 0) === 0) socket.destroy();
    await Promise.race([closed, deadline]);
    for (const session of sessions) session.destroy();
    for (const socket of h1Sockets) socket.destroy();
    await closed;
  };
  return {
    host: address.address,
    port: address.port,
    close: (graceMs) => (closing ??= close(graceMs)),
  };
}
