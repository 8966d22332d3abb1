// gRPC backends served by C-core's own server (tests/support/ccore/echo_backends.py): each answers
// WhoAmI with its name and grpc.health.v1.Health/Check with SERVING or NOT_SERVING.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { debianPython } from "./ccore-client.js";
import { repoPath } from "./repo-path.js";

/** One backend server. */
export interface CcoreBackend {
  readonly name: string;
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
}

/** A process serving several named backends. */
export interface CcoreBackends {
  readonly backends: readonly CcoreBackend[];
  /** The backend named `name` (throws for an unknown name). */
  get(name: string): CcoreBackend;
  /** WhoAmI calls `name` has served so far. */
  calls(name: string): number;
  /** Sets what `name`'s health service answers; resolves once the backend confirmed. */
  setServing(name: string, serving: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Starts one backend per name on free ports of 127.0.0.1. */
export async function startCcoreBackends(names: readonly string[]): Promise<CcoreBackends> {
  const child = spawn(debianPython, [repoPath("tests/support/ccore/echo_backends.py"), ...names], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = once(child, "exit");
  const backends: CcoreBackend[] = [];
  const calls = new Map<string, number>(names.map((n) => [n, 0]));
  const confirmations = new Map<string, Array<() => void>>();
  let ready: () => void = () => {};
  let failed: (error: Error) => void = () => {};
  const whenReady = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    const event = JSON.parse(line) as { name?: string; port?: number; ready?: boolean; call?: string; health?: string };
    if (event.port !== undefined && event.name !== undefined) {
      backends.push({ name: event.name, port: event.port, address: `127.0.0.1:${event.port}` });
    } else if (event.ready) ready();
    else if (event.call !== undefined) calls.set(event.call, (calls.get(event.call) ?? 0) + 1);
    else if (event.health !== undefined) for (const confirm of confirmations.get(event.health)?.splice(0) ?? []) confirm();
  });
  void exited.then(() => failed(new Error(`the backends exited before listening: ${stderr}`)));
  await whenReady;
  return {
    backends,
    get(name) {
      const backend = backends.find((b) => b.name === name);
      if (!backend) throw new Error(`no backend named ${name}`);
      return backend;
    },
    calls: (name) => calls.get(name) ?? 0,
    setServing(name, serving) {
      return new Promise((resolve) => {
        confirmations.set(name, [...(confirmations.get(name) ?? []), resolve]);
        child.stdin.write(`${JSON.stringify({ op: "health", name, serving })}\n`);
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
