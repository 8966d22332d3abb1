import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { type ConnectRouter, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { answerUnimplemented } from "./grpc-unimplemented.js";
import { peerAddressKey } from "./peer-address.js";

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
  /** Without it, the port speaks HTTP/2 in clear text (h2c). */
  tls?: XdsTlsOptions;
  /** Largest request message accepted, in bytes (default 4 MiB); bigger ones end the stream with an error. */
  readMaxBytes?: number;
  /** Concurrent streams one HTTP/2 connection may open (default 1,000). */
  maxStreamsPerConnection?: number;
  /** Ends the open gRPC streams cleanly; called first when the listener closes. */
  endStreams?: () => Promise<void>;
}

/** A bound xDS port. */
export interface XdsListener {
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting connections, ends open streams cleanly, then closes every HTTP/2 connection
   * (GOAWAY); connections still open after `graceMs` (default 5,000) are destroyed.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Binds the xDS gRPC port (HTTP/2, h2c or TLS) and serves `routes` on it with Connect.
 *
 * Responses are never compressed: clients such as grpc-js advertise gzip, and Connect would then
 * gzip every response of 1 kB or more separately for each stream. On a fan-out to thousands of
 * streams that was most of the server's CPU, for bytes that mostly cross a local network; the
 * resources themselves are encoded once per version and shared. Compressed requests are accepted.
 */
export async function listenXds(options: XdsListenerOptions): Promise<XdsListener> {
  const handler = connectNodeAdapter({
    routes: options.routes,
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    grpcWeb: false,
    fallback: answerUnimplemented,
    contextValues: (request) => {
      const socket = request.socket;
      return createContextValues().set(peerAddressKey, `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`);
    },
  });
  const settings: http2.Settings = { maxConcurrentStreams: options.maxStreamsPerConnection ?? 1_000 };
  const server = options.tls
    ? http2.createSecureServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          settings,
          maxSessionMemory: 64,
        },
        handler,
      )
    : http2.createServer({ settings, maxSessionMemory: 64 }, handler);
  const sessions = new Set<http2.Http2Session>();
  server.on("session", (session: http2.Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // A client that fails the TLS handshake (e.g. no certificate under mTLS) must not disturb the server.
  server.on("tlsClientError", () => {});
  server.on("sessionError", () => {});

  server.listen(options.port, options.host ?? "0.0.0.0");
  await once(server, "listening");
  const address = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = async (graceMs = 5_000): Promise<void> => {
    const closed = once(server, "close").then(() => undefined);
    server.close();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([options.endStreams?.() ?? Promise.resolve(), deadline]);
    for (const session of sessions) session.close();
    await Promise.race([closed, deadline]);
    for (const session of sessions) session.destroy();
    await closed;
  };
  return {
    host: address.address,
    port: address.port,
    close: (graceMs) => (closing ??= close(graceMs)),
  };
}
