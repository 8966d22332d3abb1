import * as http from "node:http";
import * as https from "node:https";
import type { CheckDefinition } from "./catalog-records.js";
import type { CheckProbe, ProbeResult } from "./check-probe.js";
import { goDialError } from "./go-net-error.js";

const maxRedirects = 10;

interface Reply {
  readonly status: number;
  readonly statusText: string;
  readonly location: string | undefined;
  readonly body: Buffer;
}

/** Go's url.Error operation name: `Get`, `Post`… */
function goOp(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
}

/** The last `max` bytes of the chunks (Consul reads check bodies into a circular buffer). */
function tail(chunks: Buffer[], max: number): Buffer {
  const all = Buffer.concat(chunks);
  return all.length > max ? all.subarray(all.length - max) : all;
}

function request(url: URL, method: string, definition: CheckDefinition, body: string, signal: AbortSignal): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, values] of Object.entries(definition.header ?? {})) headers[name] = [...values];
    const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    if (!lower.has("user-agent")) headers["User-Agent"] = "Consul Health Check";
    if (!lower.has("accept")) headers.Accept = "text/plain, text/*, */*";
    if (body !== "") headers["Content-Length"] = String(Buffer.byteLength(body));
    const options: https.RequestOptions = { method, headers, signal, agent: false };
    if (url.protocol === "https:") {
      options.rejectUnauthorized = !definition.tlsSkipVerify;
      if (definition.tlsServerName) options.servername = definition.tlsServerName;
    }
    const req = (url.protocol === "https:" ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        kept += chunk.length;
        // Keep memory bounded on a large body: only the tail is ever reported.
        while (kept - (chunks[0]?.length ?? 0) >= definition.outputMaxSize && chunks.length > 1) kept -= chunks.shift()!.length;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? "",
          location: res.headers.location,
          body: tail(chunks, definition.outputMaxSize),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body === "" ? undefined : body);
  });
}

/**
 * Consul's HTTP check: a request (GET unless `Method` says otherwise, User-Agent `Consul Health
 * Check`, redirects followed up to 10 like Go's client); 2xx passes, 429 warns, anything else is
 * critical; Output `HTTP GET <url>: 200 OK Output: <body tail>`, or Go's error text.
 */
export function httpCheckProbe(definition: CheckDefinition): CheckProbe {
  const method = definition.method || "GET";
  const target = definition.http ?? "";
  const fail = (text: string): ProbeResult => ({ status: "critical", output: `${goOp(method)} "${target}": ${text}` });
  return {
    async run(signal) {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return { status: "critical", output: `parse "${target}": invalid URI for request` };
      }
      let currentMethod = method;
      let body = definition.body ?? "";
      try {
        for (let hop = 0; ; hop += 1) {
          const reply = await request(url, currentMethod, definition, body, signal);
          const redirect = [301, 302, 303, 307, 308].includes(reply.status) && reply.location && !definition.disableRedirects;
          if (redirect) {
            if (hop + 1 >= maxRedirects) return fail(`stopped after ${maxRedirects} redirects`);
            url = new URL(reply.location!, url);
            if (reply.status <= 303 && currentMethod !== "HEAD") {
              currentMethod = "GET";
              body = "";
            }
            continue;
          }
          const output = `HTTP ${method} ${target}: ${reply.status} ${reply.statusText} Output: ${reply.body.toString("utf8")}`;
          const status = reply.status >= 200 && reply.status <= 299 ? "passing" : reply.status === 429 ? "warning" : "critical";
          return { status, output };
        }
      } catch (error) {
        return fail(goDialError(error, url.host));
      }
    },
    timedOut: () => fail("context deadline exceeded (Client.Timeout exceeded while awaiting headers)"),
  };
}
