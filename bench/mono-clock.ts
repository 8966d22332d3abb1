/**
 * Milliseconds on the system-wide monotonic clock (CLOCK_MONOTONIC through libuv's hrtime), so that
 * timestamps taken in the catalog, bridge and client processes of one machine can be subtracted.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
