import type { Http2ServerResponse } from "node:http2";
import { type FramedMessage, joinFrames } from "./grpc-frame-writer.js";

/**
 * Writes a call's response batches straight to its Node.js HTTP/2 response, once Connect's adapter
 * has written the head: one `write` per chunk, with no promise, listener or async-iteration layer
 * per chunk, which is what a fan-out to thousands of streams pays for on the adapter's body loop.
 * Flow control is honoured: after a write the stream cannot take, the next waits for 'drain'.
 * Resolves when the batches end, or when the stream closed under it (the call's signal then ends
 * the batches too); rejects with whatever the batches rejected with.
 */
export async function writeBatchesDirectly(batches: AsyncIterator<readonly FramedMessage[]>, response: Http2ServerResponse): Promise<void> {
  const { stream } = response;
  for (;;) {
    const next = await batches.next();
    if (next.done) return;
    for (const chunk of joinFrames(next.value)) {
      if (isClosed(response)) return;
      // With a callback the compatibility API never throws on a stream that has just closed.
      if (!response.write(chunk, ignoreWriteResult)) await drainedOrClosed(response);
    }
    if (stream.destroyed) return;
  }
}

/** True once the HTTP/2 stream under `response` closed or was destroyed: nothing more can be written. */
function isClosed(response: Http2ServerResponse): boolean {
  return response.stream.destroyed || response.stream.closed;
}

/** A write's outcome is seen on the stream ('close', 'error'), which the call's signal already follows. */
function ignoreWriteResult(): void {}

/** Resolves on the response's next 'drain', or at once/when its stream closes. */
function drainedOrClosed(response: Http2ServerResponse): Promise<void> {
  if (isClosed(response)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.once("drain", done);
    response.once("close", done);
  });
}
