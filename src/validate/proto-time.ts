/** A google.protobuf.Duration or Timestamp as protobuf-es holds it. */
export interface ProtoTime {
  readonly seconds: bigint;
  readonly nanos: number;
}

const NANOS_PER_SECOND = 1_000_000_000n;
const MAX_DURATION_SECONDS = 315_576_000_000n;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp range.
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

/** Total nanoseconds of a Duration or Timestamp, exact (bigint), for comparisons. */
export function protoTimeToNanos(time: ProtoTime): bigint {
  return BigInt(time.seconds) * NANOS_PER_SECOND + BigInt(time.nanos);
}

/** True when a Duration is inside the range protobuf defines (±10,000 years, nanos with the sign of seconds). */
export function isValidDuration(duration: ProtoTime): boolean {
  const seconds = BigInt(duration.seconds);
  const nanos = duration.nanos;
  if (seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS) return false;
  if (nanos > 999_999_999 || nanos < -999_999_999 || !Number.isInteger(nanos)) return false;
  return !((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0));
}

/** True when a Timestamp is inside 0001-01-01 … 9999-12-31 with 0 ≤ nanos < 1e9. */
export function isValidTimestamp(timestamp: ProtoTime): boolean {
  const seconds = BigInt(timestamp.seconds);
  return (
    seconds >= MIN_TIMESTAMP_SECONDS &&
    seconds <= MAX_TIMESTAMP_SECONDS &&
    Number.isInteger(timestamp.nanos) &&
    timestamp.nanos >= 0 &&
    timestamp.nanos <= 999_999_999
  );
}

/** Renders nanoseconds as a proto3-JSON duration (`5s`, `0.250s`, `-1.000000001s`). */
export function formatDurationNanos(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const seconds = abs / NANOS_PER_SECOND;
  const fraction = abs % NANOS_PER_SECOND;
  let text = seconds.toString();
  if (fraction !== 0n) {
    text += `.${fraction
      .toString()
      .padStart(9, "0")
      .replace(/(?:000)+$/, "")}`;
  }
  return `${negative ? "-" : ""}${text}s`;
}

/** Renders nanoseconds since the epoch as an RFC 3339 timestamp (millisecond precision). */
export function formatTimestampNanos(nanos: bigint): string {
  const millis = Number(nanos / 1_000_000n);
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? `${nanos}ns since epoch` : date.toISOString();
}
