/** The longest google.protobuf.Duration (10,000 years), in seconds. */
const maxSeconds = 315_576_000_000;

/**
 * A non-negative duration in milliseconds — fractional ones included: Consul keeps nanoseconds
 * (`ConnectTimeout: "4.1ms"`) — as a google.protobuf.Duration: whole nanoseconds (a fraction would
 * not encode as int32 and breaks the gate), capped at the longest Duration. Negative (or NaN) input gives 0s.
 */
export function protoDuration(ms: number): { seconds: bigint; nanos: number } {
  const positive = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  if (positive / 1000 >= maxSeconds) return { seconds: BigInt(maxSeconds), nanos: 0 };
  let wholeMs = Math.floor(positive);
  let fractionNanos = Math.round((positive - wholeMs) * 1e6);
  if (fractionNanos >= 1e6) {
    wholeMs += 1;
    fractionNanos -= 1e6;
  }
  return { seconds: BigInt(Math.floor(wholeMs / 1000)), nanos: (wholeMs % 1000) * 1e6 + fractionNanos };
}
