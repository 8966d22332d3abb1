/** Trims a fixed-point number's trailing zeros (`1.500` → `1.5`, `2.000` → `2`). */
function trim(value: string): string {
  return value.includes(".") ? value.replace(/0+$/, "").replace(/\.$/, "") : value;
}

/**
 * Milliseconds as Go's `time.Duration.String()` prints them, which is how Consul renders the
 * durations of a check definition: `0s`, `500ms`, `1.5s`, `1m30s`, `1h0m0s`.
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1) {
    const us = abs * 1000;
    return us < 1 ? `${sign}${Math.round(us * 1000)}ns` : `${sign}${trim(us.toFixed(3))}µs`;
  }
  if (abs < 1000) return `${sign}${trim(abs.toFixed(6))}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = trim(((abs % 60_000) / 1000).toFixed(9));
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
