import { constants, type Http2ServerResponse } from "node:http2";
import { type FramedMessage, joinFrames } from "./grpc-frame-writer.js";

/**
 * Writes a call's response batches straight to its Node.js HTTP/2 response, once Connect's adapter
 * has written the head: one `write` per chunk, with no promise, listener or async-iteration layer
 * per chunk, which is what a fan-out to thousands of streams pays for on the adapter's body loop.
 * Flow control is honoured: after a write the stream cannot take, the next waits for 'drain'.
 * Resolves when the batches end, when the stream closed under it, or when `signal` aborts (the
 * client went away, the deadline passed, the server shuts down); a stream still stuck in flow
 * control then is reset (CANCEL), as nothing more, trailers included, could reach that client.
 * Rejects with whatever the batches rejected with. The caller ends the batches in every case.
 */
export async function writeBatchesDirectly(
  batches: AsyncIterator<readonly FramedMessage[]>,
  response: Http2ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    const next = await batches.next();
    if (next.done) return;
    for (const chunk of joinFrames(next.value)) {
      if (isClosed(response)) return;
      // With a callback the compatibility API never throws on a stream that has just closed.
      if (response.write(chunk, ignoreWriteResult)) continue;
      await drainedOrEnded(response, signal);
      if (signal.aborted && !isClosed(response) && response.stream.writableLength > 0) {
        response.stream.close(constants.NGHTTP2_CANCEL);
        return;
      }
    }
  }
}

/** True once the HTTP/2 stream under `response` closed or was destroyed: nothing more can be written. */
function isClosed(response: Http2ServerResponse): boolean {
  return response.stream.destroyed || response.stream.closed;
}

/** A write's outcome is seen on the stream ('close', 'error'), which the call's signal already follows. */
function ignoreWriteResult(): void {}

/** Resolves on the response's next 'drain', when its stream closes, or when `signal` aborts. */
function drainedOrEnded(response: Http2ServerResponse, signal: AbortSignal): Promise<void> {
  if (isClosed(response) || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    response.once("drain", done);
    response.once("close", done);
    signal.addEventListener("abort", done);
  });
}
