import * as net from "node:net";
import type { CheckDefinition } from "./catalog-records.js";
import type { CheckProbe } from "./check-probe.js";
import { goDialError } from "./go-net-error.js";

/** Splits `host:port` / `[v6]:port` as Go's net.SplitHostPort does. */
function splitHostPort(target: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(target);
  if (!match) return undefined;
  return { host: match[1] ?? match[2] ?? "", port: Number(match[3]) };
}

/** Consul's TCP check: a connection that opens passes (`TCP connect <addr>: Success`); a failure is critical with Go's dial error. */
export function tcpCheckProbe(definition: CheckDefinition): CheckProbe {
  const target = definition.tcp ?? "";
  return {
    run(signal) {
      const parts = splitHostPort(target);
      if (!parts) return Promise.resolve({ status: "critical", output: `dial tcp ${target}: address ${target}: missing port in address` });
      return new Promise((resolve) => {
        const socket = net.connect({ host: parts.host, port: parts.port });
        const done = (result: { status: "passing" | "critical"; output: string }): void => {
          signal.removeEventListener("abort", onAbort);
          socket.destroy();
          resolve(result);
        };
        const onAbort = (): void => done({ status: "critical", output: `dial tcp ${target}: operation was canceled` });
        signal.addEventListener("abort", onAbort, { once: true });
        socket.once("connect", () => done({ status: "passing", output: `TCP connect ${target}: Success` }));
        socket.once("error", (error) => done({ status: "critical", output: goDialError(error, target) }));
      });
    },
    timedOut: () => ({ status: "critical", output: `dial tcp ${target}: i/o timeout` }),
  };
}
