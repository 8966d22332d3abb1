/**
 * One response message as gRPC frame bytes (flag, 4-byte length, message), in chunks whose
 * concatenation is the frame: the per-stream part first, then any large pre-encoded parts shared by
 * every stream that receives the same content, passed by reference.
 */
export type FramedMessage = readonly Uint8Array[];

/** Chunks at least this large are written by reference; smaller ones are joined with their neighbours. */
export const joinBelowBytes = 16 * 1024;

/**
 * The chunks to write for a batch of framed messages: consecutive small chunks joined into one, so
 * several queued messages leave in one write; large chunks passed through, never copied per stream.
 */
export function joinFrames(frames: readonly FramedMessage[]): Uint8Array[] {
  if (frames.length === 1 && frames[0]!.length === 1) return frames[0] as Uint8Array[];
  const chunks: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let runBytes = 0;
  const flush = () => {
    if (run.length === 1) chunks.push(run[0]!);
    else if (run.length > 1) chunks.push(Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const frame of frames) {
    for (const chunk of frame) {
      if (chunk.length >= joinBelowBytes) {
        flush();
        chunks.push(chunk);
      } else {
        run.push(chunk);
        runBytes += chunk.length;
      }
    }
  }
  flush();
  return chunks;
}
