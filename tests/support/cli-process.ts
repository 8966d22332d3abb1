import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** The built command, as `npm test` leaves it (it builds before testing). */
export const cliPath = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** A running `consul-xds-bridge` process whose output is captured line by line. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line (parsed as JSON when possible) that `match` accepts. */
  waitForLine<T = Record<string, unknown>>(match: (line: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Kills the process if it still runs. */
  stop(): Promise<void>;
}

/** Spawns the real CLI with `args`; the environment is the test's own plus `env`, without CONSUL_* unless given. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CONSUL_")));
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<(line: string) => void>();
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return line;
    }
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine<T>(match: (line: T) => boolean, timeoutMs = 15_000) {
      return new Promise<T>((resolve, reject) => {
        const seen = out
          .split("\n")
          .map(parse)
          .find((line) => match(line as T));
        if (seen !== undefined) return resolve(seen as T);
        const timer = setTimeout(() => {
          listeners.delete(onLine);
          reject(new Error(`no matching output line within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onLine = (line: string) => {
          const value = parse(line) as T;
          if (!match(value)) return;
          clearTimeout(timer);
          listeners.delete(onLine);
          resolve(value);
        };
        listeners.add(onLine);
        void exited.then(() => {
          if (!listeners.has(onLine)) return;
          clearTimeout(timer);
          listeners.delete(onLine);
          reject(new Error(`the process exited before the expected line; stdout:\n${out}\nstderr:\n${err}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/**
 * The arguments of `serve` against `consulUrl` as the tests run it: xDS (and the admin port, unless
 * `admin` is false) on free loopback ports, JSON logs, and (with `debounce`, the default) no
 * coalescing window; `extra` arguments go last.
 */
export function serveArgs(
  consulUrl: string,
  extra: readonly string[] = [],
  options: { admin?: boolean; debounce?: boolean } = {},
): string[] {
  return [
    "serve",
    "--consul",
    consulUrl,
    "--xds-listen",
    "127.0.0.1:0",
    ...(options.admin === false ? ["--no-admin"] : ["--admin-listen", "127.0.0.1:0"]),
    "--log-format",
    "json",
    ...(options.debounce === false ? [] : ["--debounce", "0"]),
    ...extra,
  ];
}

/** The arguments of `dev` as the tests run it: its catalog, xDS and admin ports free on loopback, JSON logs; `extra` last. */
export function devArgs(extra: readonly string[] = []): string[] {
  return [
    "dev",
    "--consul-listen",
    "127.0.0.1:0",
    "--xds-listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
    "--log-format",
    "json",
    ...extra,
  ];
}
