import { readFileSync } from "node:fs";
import type * as http from "node:http";
import { type StatusPageSources, statusState } from "./status-state.js";

/** Options of {@link createStatusPage}. */
export interface StatusPageOptions {
  /** How often connected pages are checked for a new state (default 1,000 ms). */
  refreshMs?: number;
  /** A page gets the state at least this often, changed or not (default 5,000 ms: ages stay fresh). */
  keepAliveMs?: number;
}

/** The live status page on the admin port: `/ui` (the page), `/ui/state` (JSON), `/ui/events` (SSE). */
export interface StatusPage {
  /** Answers a GET for a `/ui` path; false when the path is not the page's. */
  handle(request: http.IncomingMessage, response: http.ServerResponse, path: string): boolean;
  /** Ends every event stream and stops the timers. */
  close(): void;
}

const assets: Readonly<Record<string, { file: string; type: string }>> = {
  "/ui": { file: "index.html", type: "text/html; charset=utf-8" },
  "/ui/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/ui/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/ui/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** The page loads nothing from anywhere else (no CDN, no inline script): the admin port is all it needs. */
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:";

function readAsset(file: string): Buffer | undefined {
  try {
    return readFileSync(new URL(`./ui/${file}`, import.meta.url));
  } catch {
    return undefined;
  }
}

/**
 * Serves the status page from files shipped with the package (src/admin/ui, copied to dist by the
 * build; no framework, nothing fetched from the network). Connected pages get the state over
 * server-sent events: at once when the change log has new records, else when a periodic check sees
 * the state change (a client ACKs, Consul goes stale), and at least every `keepAliveMs`.
 */
export function createStatusPage(sources: StatusPageSources, options: StatusPageOptions = {}): StatusPage {
  const files = new Map(Object.values(assets).map(({ file }) => [file, readAsset(file)] as const));
  const streams = new Map<http.ServerResponse, { last: string; sentAt: number }>();
  const keepAliveMs = options.keepAliveMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;

  /** Sends the state to every page whose last one differs or is old (or only to `to`, at once). */
  const push = (to?: http.ServerResponse) => {
    if (streams.size === 0) return;
    const now = Date.now();
    const state = statusState(sources, now);
    // Compared without the clock, so an unchanged state is not resent every tick.
    const body = JSON.stringify({ ...state, now: 0 });
    const data = JSON.stringify(state);
    for (const [response, sent] of streams) {
      if (to ? response !== to : sent.last === body && now - sent.sentAt < keepAliveMs) continue;
      sent.last = body;
      sent.sentAt = now;
      response.write(`event: state\ndata: ${data}\n\n`);
    }
  };
  const stopChanges = sources.onChanges(() => {
    soon ??= setTimeout(() => {
      soon = undefined;
      push();
    }, 50);
  });
  const ensureTimer = () => {
    if (timer || streams.size === 0) return;
    timer = setInterval(() => push(), options.refreshMs ?? 1_000);
    timer.unref();
  };
  const dropStream = (response: http.ServerResponse) => {
    streams.delete(response);
    if (streams.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    handle(request, response, path) {
      const asset = assets[path];
      if (asset) {
        const body = files.get(asset.file);
        if (!body) {
          response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
          response.end(`the status page's files are missing (src/admin/ui is copied to dist/admin/ui by npm run build)\n`);
          return true;
        }
        response.writeHead(200, {
          "content-type": asset.type,
          "cache-control": "no-store",
          "content-security-policy": contentSecurityPolicy,
        });
        response.end(request.method === "HEAD" ? undefined : body);
        return true;
      }
      if (path === "/ui/state") {
        response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        response.end(JSON.stringify(statusState(sources)));
        return true;
      }
      if (path === "/ui/events") {
        response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
        response.write("retry: 2000\n\n");
        streams.set(response, { last: "", sentAt: 0 });
        request.on("close", () => dropStream(response));
        push(response);
        ensureTimer();
        return true;
      }
      return false;
    },
    close() {
      stopChanges();
      if (soon) clearTimeout(soon);
      soon = undefined;
      for (const response of [...streams.keys()]) {
        dropStream(response);
        response.end();
      }
    },
  };
}
