import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { GrpcDeframer } from "./grpc-framing.js";
import { monoMs } from "./mono-clock.js";

/** What one raw fan-out cost. */
export interface RawFanoutResult {
  /** monoMs just before the first write. */
  readonly startedAt: number;
  /** monoMs when the last echo arrived. */
  readonly lastEchoAt: number;
  /** CPU time of this process (user + system) from the first write to the last echo, in ms. */
  readonly cpuMs: number;
  readonly streams: number;
  readonly echoes: number;
}

/**
 * The efficiency baseline: a bare node:http2 server holding one gRPC-shaped stream per client, which
 * writes one shared, already framed message to every stream and counts the small message each client
 * sends back (the size of an ACK). No protocol state, no per-stream encoding: the floor of a fan-out.
 */
export class RawFanoutServer {
  private readonly server = http2.createServer({ settings: { maxConcurrentStreams: 1_000 }, maxSessionMemory: 64 });
  private readonly streams = new Set<http2.ServerHttp2Stream>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private echoes = 0;
  private echoTarget = Number.POSITIVE_INFINITY;
  private onTarget: (() => void) | undefined;

  constructor() {
    this.server.on("stream", (stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      this.streams.add(stream);
      const deframer = new GrpcDeframer();
      stream.on("data", (chunk: Buffer) => {
        this.echoes += deframer.push(chunk).length;
        if (this.echoes >= this.echoTarget) this.onTarget?.();
      });
      stream.on("error", () => {});
      stream.on("close", () => this.streams.delete(stream));
    });
    this.server.on("session", (session: http2.ServerHttp2Session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
    });
    this.server.on("sessionError", () => {});
  }

  /** Listens on 127.0.0.1 on a free port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Writes `frame` to every stream and resolves once `echoes` messages came back (or after `timeoutMs`). */
  async fanout(frame: Buffer, echoes: number, timeoutMs: number): Promise<RawFanoutResult> {
    this.echoes = 0;
    this.echoTarget = echoes;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onTarget = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const cpu = process.cpuUsage();
    const startedAt = monoMs();
    for (const stream of this.streams) stream.write(frame);
    await done;
    const lastEchoAt = monoMs();
    const used = process.cpuUsage(cpu);
    this.onTarget = undefined;
    this.echoTarget = Number.POSITIVE_INFINITY;
    return { startedAt, lastEchoAt, cpuMs: (used.user + used.system) / 1000, streams: this.streams.size, echoes: this.echoes };
  }

  /** Closes every stream and the server. */
  async close(): Promise<void> {
    for (const stream of this.streams) stream.close();
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
