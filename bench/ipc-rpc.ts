import { type ChildProcess, fork } from "node:child_process";

/** The operations a bench child process answers: one function per operation, taking one argument. */
export type RpcHandlers = { readonly [op: string]: (args: never) => unknown };

interface RpcRequest {
  readonly id: number;
  readonly op: string;
  readonly args: unknown;
}

interface RpcReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** A bench child process (catalog, bridge or clients) driven by request/reply messages over its IPC channel. */
export class RpcChild<Ops extends RpcHandlers> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => process.once("exit", (code) => resolve(code)));
    process.on("message", (message: RpcReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    void this.exited.then((code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (code ${code})`));
      this.pending.clear();
    });
  }

  /** Forks `module` (a compiled bench file) with `execArgv` (e.g. --cpu-prof) and structured-clone IPC. */
  static spawn<Ops extends RpcHandlers>(name: string, module: URL, execArgv: readonly string[] = []): RpcChild<Ops> {
    const child = fork(module, [], { execArgv: [...execArgv], serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    return new RpcChild<Ops>(name, child);
  }

  /** The child's process id. */
  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Runs `op` in the child and resolves with its result (rejects after `timeoutMs`). */
  call<K extends keyof Ops & string>(op: K, args: Parameters<Ops[K]>[0], timeoutMs = 600_000): Promise<Awaited<ReturnType<Ops[K]>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as Awaited<ReturnType<Ops[K]>>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send({ id, op, args } satisfies RpcRequest);
    });
  }

  /** Asks the child to exit (op "exit"), and kills it if it has not after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.send({ id: 0, op: "exit", args: undefined } satisfies RpcRequest);
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Serves `handlers` to the parent over IPC. Op "exit" ends the process (so --cpu-prof profiles are
 * written); the process also exits when the parent goes away.
 */
export function serveRpc(handlers: RpcHandlers, onExit: () => Promise<void> | void = () => {}): void {
  const send = (reply: RpcReply): void => {
    if (process.connected) process.send!(reply);
  };
  const exit = async (): Promise<void> => {
    try {
      await onExit();
    } finally {
      process.exit(0);
    }
  };
  process.on("disconnect", () => void exit());
  process.on("message", (message: RpcRequest) => {
    if (message.op === "exit") {
      void exit();
      return;
    }
    const handler = handlers[message.op] as ((args: unknown) => unknown) | undefined;
    if (!handler) {
      send({ id: message.id, ok: false, error: `unknown op ${message.op}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => send({ id: message.id, ok: true, result }),
        (error: unknown) =>
          send({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
}
