import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { repoPath, repoRoot } from "./repo-path.js";

/** A running examples/greeter-client.ts, with its output captured line by line. */
export interface GreeterExample {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line `match` accepts (lines already printed count). */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Kills the process if it still runs. */
  stop(): Promise<void>;
}

/** Spawns the proxyless example as `npm run example:greeter` does (tsx), with `env` added and no GRPC_XDS_* of the test's own. */
export function spawnGreeterExample(env: Record<string, string>): GreeterExample {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("GRPC_XDS_")));
  const child = spawn(process.execPath, ["--import", "tsx", repoPath("examples/greeter-client.ts")], {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let err = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  // "close" (not "exit"): every output line has been read by then.
  const exited = once(child, "close").then(([code, signal]) => (code ?? signal) as number | string);
  const describe = () => `stdout:\n${lines.join("\n")}\nstderr:\n${err}`;
  return {
    child,
    stdout: () => lines.join("\n"),
    stderr: () => err,
    exited,
    waitForLine(match, timeoutMs = 30_000) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(onLine);
        };
        const onLine = (line: string) => {
          if (!match(line)) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching line within ${timeoutMs} ms; ${describe()}`));
        }, timeoutMs);
        listeners.add(onLine);
        void exited.then(() => {
          if (!listeners.has(onLine)) return;
          done();
          reject(new Error(`the example exited before the expected line; ${describe()}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
