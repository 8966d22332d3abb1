// gRPC C-core's xDS client (Debian's python3-grpcio, run with /usr/bin/python3) as a test peer: a
// process that dials `xds:///<name>` targets through a bootstrap naming the bridge, makes the calls
// a test asks for, and reports each call's outcome. Its xds_client trace is kept for assertions.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { debianPackageGate, type PackageGate } from "./debian-package.js";
import { repoPath } from "./repo-path.js";

/** Debian's interpreter: the python3 on PATH may be another build without python3-grpcio. */
export const debianPython = "/usr/bin/python3";

/** Probes for C-core (python3-grpcio); see {@link debianPackageGate} for skip and CI behaviour. */
export function ccoreGate(suite: string): PackageGate {
  return debianPackageGate(suite, {
    debianPackage: "python3-grpcio",
    command: debianPython,
    args: ["-c", "import grpc; print(grpc.__version__)"],
  });
}

/** One call's result as C-core reported it. */
export type CallOutcome =
  | { readonly ok: true; readonly backend: string; readonly ms: number }
  | { readonly ok: false; readonly code: string; readonly details: string; readonly ms: number };

/** Options of one batch of calls. */
export interface CallOptions {
  /** Calls made one after another (default 1). */
  readonly count?: number;
  /** Deadline of each call (default 2,000 ms). */
  readonly timeoutMs?: number;
  /** Method path (default the echo backends' WhoAmI). */
  readonly path?: string;
  /** Request metadata, e.g. a header a route hashes on. */
  readonly metadata?: ReadonlyArray<readonly [string, string]>;
  /** gRPC wait-for-ready (default false: calls fail fast when the channel is in TRANSIENT_FAILURE). */
  readonly waitForReady?: boolean;
}

/** A running C-core client process. */
export interface CcoreClient {
  /** The node ID it sends (and the bridge's status shows). */
  readonly nodeId: string;
  /** Makes calls to `target` (`xds:///<name>`); one channel per target, kept for the process's life. */
  call(target: string, options?: CallOptions): Promise<CallOutcome[]>;
  /**
   * Calls `target` one call at a time until `done` holds for the outcomes so far (it gets them all,
   * latest last); rejects after `limitMs` as a failure guard, with the outcomes in the message.
   */
  callUntil(
    target: string,
    done: (outcomes: readonly CallOutcome[]) => boolean,
    limitMs?: number,
    options?: CallOptions,
  ): Promise<CallOutcome[]>;
  /** C-core's trace so far (GRPC_TRACE=xds_client, GRPC_VERBOSITY=debug). */
  trace(): string;
  /** Ends the process (closing its channels, which unsubscribes its watches). */
  close(): Promise<void>;
}

/** Options of {@link startCcoreClient}. */
export interface CcoreClientOptions {
  /** The bridge's xDS address, `host:port`. */
  readonly xdsAddress: string;
  /** Default `ccore-<pid>-<n>`. */
  readonly nodeId?: string;
  /** Extra bootstrap `node.metadata`. */
  readonly nodeMetadata?: Readonly<Record<string, unknown>>;
  /** GRPC_TRACE value (default `xds_client`). */
  readonly trace?: string;
}

let started = 0;

/** The last `n` outcomes are all ok and from backends in `backends`. */
export function lastFrom(backends: ReadonlySet<string>, n: number): (outcomes: readonly CallOutcome[]) => boolean {
  return (outcomes) => outcomes.length >= n && outcomes.slice(-n).every((o) => o.ok && backends.has(o.backend));
}

/** The last `n` outcomes all failed with `code`. */
export function lastFailed(code: string, n: number): (outcomes: readonly CallOutcome[]) => boolean {
  return (outcomes) => outcomes.length >= n && outcomes.slice(-n).every((o) => !o.ok && o.code === code);
}

/** Starts `tests/support/ccore/xds_client.py` with a bootstrap that points at `xdsAddress`. */
export async function startCcoreClient(options: CcoreClientOptions): Promise<CcoreClient> {
  started += 1;
  const nodeId = options.nodeId ?? `ccore-${process.pid}-${started}`;
  const dir = mkdtempSync(join(tmpdir(), "ccore-"));
  const bootstrap = join(dir, "bootstrap.json");
  writeFileSync(
    bootstrap,
    JSON.stringify({
      xds_servers: [{ server_uri: options.xdsAddress, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
      node: { id: nodeId, locality: {}, ...(options.nodeMetadata ? { metadata: options.nodeMetadata } : {}) },
    }),
  );
  const child: ChildProcess = spawn(debianPython, [repoPath("tests/support/ccore/xds_client.py")], {
    env: {
      ...process.env,
      GRPC_XDS_BOOTSTRAP: bootstrap,
      GRPC_TRACE: options.trace ?? "xds_client",
      GRPC_VERBOSITY: "debug",
      // C-core reads sockets only while some thread polls. Python's synchronous calls poll while they
      // wait for an answer, but a call that fails fast (no endpoint) never does, so in a loop of such
      // calls the xDS stream was read by the backup poller alone, every 5 s by default. 100 ms keeps
      // the client's view of the bridge current without a call in flight.
      GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS: "100",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let trace = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (trace += chunk));
  const exited = once(child, "exit");
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) {
      const [code, signal] = (await exited) as [number | null, string | null];
      throw new Error(`the C-core client exited (${signal ?? `code ${code}`}); its trace ends:\n${trace.slice(-3_000)}`);
    }
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  // Commands are answered in order; a queue keeps concurrent callers from reading each other's answers.
  let queue: Promise<unknown> = Promise.resolve();
  const send = <T>(command: Record<string, unknown>): Promise<T> => {
    const answer = queue.then(async () => {
      child.stdin!.write(`${JSON.stringify(command)}\n`);
      const reply = await next();
      if ("error" in reply) throw new Error(`C-core client: ${String(reply.error)}`);
      return reply as T;
    });
    queue = answer.catch(() => undefined);
    return answer;
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const ready = await next();
    if (ready.ready !== true) throw new Error(`unexpected first line from the C-core client: ${JSON.stringify(ready)}`);
  } catch (error) {
    child.kill("SIGKILL");
    cleanup();
    throw error;
  }

  const call = async (target: string, callOptions: CallOptions = {}): Promise<CallOutcome[]> => {
    const reply = await send<{ outcomes: CallOutcome[] }>({ op: "call", target, ...callOptions });
    return reply.outcomes;
  };
  return {
    nodeId,
    call,
    async callUntil(target, done, limitMs = 15_000, callOptions = {}) {
      const outcomes: CallOutcome[] = [];
      const deadline = Date.now() + limitMs;
      while (!done(outcomes)) {
        if (Date.now() > deadline) {
          const tail = outcomes.slice(-8).map((o) => (o.ok ? o.backend : `${o.code}: ${o.details}`));
          throw new Error(`${target}: the expected outcomes did not come within ${limitMs} ms; the last were ${JSON.stringify(tail)}`);
        }
        outcomes.push(...(await call(target, { ...callOptions, count: 1 })));
      }
      return outcomes;
    },
    trace: () => trace,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

/** Problems C-core reported about what it was sent: NACKs (a request with an error) and validation errors. */
export function ccoreXdsProblems(trace: string): string[] {
  return trace
    .split("\n")
    .filter((line) => /errors validating|NACK/i.test(line) || (/sending ADS request: /.test(line) && !/ error=OK\s*$/.test(line)));
}

/** The type names (`Listener`, `Cluster`…) C-core ACKed: requests that carry a version and no error. */
export function ccoreAckedTypes(trace: string): Set<string> {
  const acked = new Set<string>();
  for (const match of trace.matchAll(/sending ADS request: type=envoy\.config\.\w+\.v3\.(\w+) version=(\S+) nonce=\S+ error=OK/g)) {
    acked.add(match[1]!);
  }
  return acked;
}
