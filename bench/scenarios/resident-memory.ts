import { type BenchContext, sleep } from "../bench-context.js";
import type { MemoryReading } from "../bridge-process.js";

/** Takes `count` memory readings of the bridge process, `intervalMs` apart (with `gc`: each after a full GC). */
export async function sampleMemory(ctx: BenchContext, count: number, intervalMs: number, gc = false): Promise<MemoryReading[]> {
  const readings: MemoryReading[] = [];
  for (let i = 0; i < count; i++) {
    readings.push(await ctx.bridge.call("memory", { gc }));
    await sleep(intervalMs);
  }
  return readings;
}
