import type { Http2ServerResponse } from "node:http2";
import type { Readable } from "node:stream";
import { createContextKey } from "@connectrpc/connect";

/**
 * Connect context value holding the client's "address:port". The HTTP/2 listener fills it from the
 * socket, because Connect's handler context does not carry the peer itself.
 */
export const peerAddressKey = createContextKey<string>("", { description: "xDS client address" });

/**
 * Connect context value holding the largest request message the listener accepts, in bytes. The
 * listener sets it for every request, so handlers that read request bodies themselves (the streaming
 * fast path, REST) enforce the same limit Connect applies to the other methods.
 */
export const readMaxBytesKey = createContextKey<number>(4 * 1024 * 1024, { description: "xDS request size limit" });

/**
 * Connect context value holding the Node.js request itself (HTTP/1.1 or HTTP/2 compatibility API).
 * The streaming fast path reads request bodies from it by events, rather than through the universal
 * request's async iterable (three async-iteration layers per chunk, a visible cost when thousands
 * of clients acknowledge a push at once). Handlers fall back to the universal body without it.
 */
export const nodeRequestKey = createContextKey<Readable | undefined>(undefined, { description: "Node.js request" });

/**
 * Connect context value holding the Node.js response of an HTTP/2 request (compatibility API). Once
 * Connect's adapter has written the head, the streaming fast path writes its pre-framed messages to
 * it directly, rather than handing each one to the adapter's body loop (a promise, two listeners and
 * an iteration step per write, on every stream of a fan-out). Unset for HTTP/1.1.
 */
export const nodeResponseKey = createContextKey<Http2ServerResponse | undefined>(undefined, { description: "Node.js response" });

/**
 * Connect context value holding the request's authority (HTTP/2 `:authority`, HTTP/1.1 `Host`) as
 * the client sent it. Envoy sends the name of its cluster for the bridge there (e.g.
 * "consul-xds-bridge:xds"), which is not a valid URL authority, so the listener hands Connect a
 * placeholder instead (see listenXds) and keeps the original here.
 */
export const authorityKey = createContextKey<string>("", { description: "request authority as sent" });
