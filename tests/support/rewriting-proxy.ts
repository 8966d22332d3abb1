// A Consul stand-in for fault tests: an HTTP proxy in front of the embedded catalog that answers
// like it, except that the JSON bodies of chosen answers can be rewritten (fields removed, retyped)
// to play a Consul, or a proxy in between, answering badly on purpose.

import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";

/** Rewrites a decoded JSON answer of `path`; undefined leaves the answer as the catalog sent it. */
export type Rewrite = (path: string, body: unknown) => unknown;

/** Headers to add to the answer of `path` (e.g. X-Consul-Results-Filtered-By-ACLs); undefined adds none. */
export type AddHeaders = (path: string) => Record<string, string> | undefined;

/** A running proxy; set `rewrite` to start answering badly, clear it to stop. */
export interface RewritingProxy {
  readonly url: string;
  rewrite: Rewrite | undefined;
  /** Adds headers to answers, rewritten or not. */
  addHeaders: AddHeaders | undefined;
  /** Answers rewritten so far. */
  readonly rewritten: number;
}

/** Starts a proxy on port 0 in front of `upstream` (a base URL); closed when the test ends. */
export async function useRewritingProxy(t: TestContext, upstream: string): Promise<RewritingProxy> {
  const target = new URL(upstream);
  let rewritten = 0;
  const proxy: { rewrite: Rewrite | undefined; addHeaders: AddHeaders | undefined } = { rewrite: undefined, addHeaders: undefined };
  const server = createServer((req, res) => {
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent: false,
      },
      (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          let body = Buffer.concat(chunks);
          const path = (req.url ?? "/").split("?")[0] ?? "/";
          const rewrite = proxy.rewrite;
          if (rewrite && answer.statusCode === 200 && String(answer.headers["content-type"]).startsWith("application/json")) {
            const changed = rewrite(path, JSON.parse(body.toString("utf8")));
            if (changed !== undefined) {
              body = Buffer.from(JSON.stringify(changed));
              rewritten += 1;
            }
          }
          const headers = { ...answer.headers, ...proxy.addHeaders?.(path), "content-length": String(body.length) };
          delete headers["transfer-encoding"];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return Object.defineProperties(proxy, {
    url: { value: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, enumerable: true },
    rewritten: { get: () => rewritten, enumerable: true },
  }) as RewritingProxy;
}
