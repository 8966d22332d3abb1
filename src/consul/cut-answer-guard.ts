import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";

/** The part of a papi request an `onRequest` extension sees that this guard needs. */
interface PapiRequest {
  /** `node:http` or `node:https`, chosen by papi from the base URL. */
  transport: { request(options: RequestOptions): ClientRequest };
}

/** The papi client (the `consul` client's base class) with its documented extension hook. */
export interface ExtensibleClient {
  _ext(event: "onRequest", extension: (request: PapiRequest, next: () => void) => void): void;
}

/**
 * Makes an answer that ends early fail its request at once. papi (under the `consul` client) reads
 * a body with only `data` and `end` listeners, and Node emits neither `end` nor `error` when the
 * socket closes mid-body, so a cut answer (Consul or a proxy closing the connection half-way) left
 * the request pending until its timeout: for a blocking query that is wait + wait/16 + margin,
 * minutes during which the watch saw no change. The guard wraps papi's transport through papi's
 * `onRequest` extension point and turns the close of an incomplete answer into an ECONNRESET error,
 * which the watcher retries with backoff like any other.
 */
export function failCutAnswers(client: ExtensibleClient): void {
  client._ext("onRequest", (request, next) => {
    const transport = request.transport;
    request.transport = {
      request(options) {
        const req = transport.request(options);
        req.once("response", (res: IncomingMessage) => {
          let received = 0;
          res.on("data", (chunk: Buffer) => {
            received += chunk.length;
          });
          res.once("close", () => {
            if (res.complete) return;
            const expected = res.headers["content-length"];
            const of = expected === undefined ? "" : ` of ${expected}`;
            const error = new Error(`Consul closed the connection after ${received}${of} bytes of the answer`);
            req.emit("error", Object.assign(error, { code: "ECONNRESET" }));
          });
        });
        return req;
      },
    };
    next();
  });
}
