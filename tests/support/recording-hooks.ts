import type { ConnectError } from "@connectrpc/connect";
import type { RequestKind, StreamInfo, XdsServerHooks } from "../../src/xds/index.js";

/** What the server's hooks reported, and a way to wait for a given event. */
export interface RecordingHooks {
  readonly hooks: XdsServerHooks;
  readonly requests: Array<{ stream: StreamInfo; kind: RequestKind; typeUrl: string }>;
  readonly responses: Array<{ stream: number; typeUrl: string; version: string; names: string[]; removed: readonly string[] }>;
  readonly acks: Array<{ stream: number; typeUrl: string; version: string }>;
  readonly nacks: Array<{ typeUrl: string; version: string; message: string }>;
  readonly closes: Array<{ stream: number; error: ConnectError | undefined }>;
  /** Resolves once `condition` holds, re-checked after every hook call (fails a broken test after 5 s). */
  until(condition: () => boolean): Promise<void>;
}

/** Hooks that record every event, for tests that synchronise with the server through them. */
export function recordingHooks(): RecordingHooks {
  const waiters: Array<() => void> = [];
  const notify = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  const record: Omit<RecordingHooks, "hooks" | "until"> = { requests: [], responses: [], acks: [], nacks: [], closes: [] };
  const hooks: XdsServerHooks = {
    onStreamRequest: (stream, request, kind) => {
      record.requests.push({ stream, kind, typeUrl: request.typeUrl });
      notify();
    },
    onStreamResponse: (stream, response) => {
      record.responses.push({
        stream: stream.id,
        typeUrl: response.typeUrl,
        version: response.version,
        names: response.resources.map((r) => r.name),
        removed: response.removed ?? [],
      });
      notify();
    },
    onAck: (stream, typeUrl, version) => {
      record.acks.push({ stream: stream.id, typeUrl, version });
      notify();
    },
    onNack: (_stream, typeUrl, version, message) => {
      record.nacks.push({ typeUrl, version, message });
      notify();
    },
    onStreamClose: (stream, error) => {
      record.closes.push({ stream: stream.id, error });
      notify();
    },
  };
  async function until(condition: () => boolean): Promise<void> {
    const gaveUp = Date.now() + 5_000;
    while (!condition()) {
      if (Date.now() > gaveUp) throw new Error("the expected server event did not happen");
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1_000).unref();
      });
    }
  }
  return { hooks, ...record, until };
}
