import { createContextKey } from "@connectrpc/connect";

/**
 * Connect context value holding the client's "address:port". The HTTP/2 listener fills it from the
 * socket, because Connect's handler context does not carry the peer itself.
 */
export const peerAddressKey = createContextKey<string>("", { description: "xDS client address" });
