import type { IncomingMessage, ServerResponse } from "node:http";
import { BadRequest } from "./json-fields.js";

/** An answer that ends a request early, with Consul's status and text (and headers, e.g. `Allow`). */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const maxBodyBytes = 4 * 1024 * 1024;

/** Sends a plain-text answer, as Consul sends its errors. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends a 200 JSON answer. */
export function sendJson(res: ServerResponse, json: string | Buffer, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(json), ...headers });
  res.end(json);
}

/** Sends the headers of a JSON answer and half its body, then closes the connection mid-body (the cut-body fault). */
export function sendCut(res: ServerResponse, json: string | Buffer, headers: Readonly<Record<string, string>>): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(json);
  res.writeHead(200, { "Content-Length": body.length, ...headers, "Content-Type": "application/json" });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

/** Go's strconv.ParseBool, which Consul uses for `?enable=`, `?passing=`…: exactly these spellings. */
export function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/** The request's ACL token: `X-Consul-Token`, then `Authorization: Bearer`, then `?token=`. */
export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers["x-consul-token"];
  if (typeof header === "string" && header !== "") return header;
  const auth = req.headers.authorization;
  if (typeof auth === "string" && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, "").trim();
  const query = url.searchParams.get("token");
  return query === null || query === "" ? undefined : query;
}

/** Reads and parses a JSON body; an empty or broken body is Consul's 400 "Request decode failed". */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) throw new HttpFailure(413, "Request body too large");
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new BadRequest("Request decode failed: EOF");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadRequest(`Request decode failed: ${(error as Error).message}`);
  }
}
