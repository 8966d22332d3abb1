const unitMs: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const part = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;

/**
 * Parses a Go duration (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`) into milliseconds, the
 * syntax Consul accepts for `?wait=`; a bare number other than 0 is not a duration (undefined).
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest.startsWith("-")) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  while (rest !== "") {
    const match = part.exec(rest);
    if (!match) return undefined;
    const whole = match[1] ?? "";
    const fraction = match[2];
    if (whole === "" && (fraction === undefined || fraction === "")) return undefined;
    const value = Number(`${whole === "" ? "0" : whole}.${fraction ?? ""}`.replace(/\.$/, ""));
    total += value * (unitMs[match[3] ?? ""] ?? Number.NaN);
    rest = rest.slice(match[0].length);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

/**
 * Why `text` is not a Go duration, for error messages: a bare number gets a hint at the units it
 * probably meant ("5" → "5 has no unit (did you mean 5ms or 5s?)"); undefined when it parses.
 */
export function goDurationProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (parseGoDuration(trimmed) !== undefined) return undefined;
  if (/^[+-]?\d+(?:\.\d+)?$/.test(trimmed)) return `${trimmed} has no unit (did you mean ${trimmed}ms or ${trimmed}s?)`;
  return `${JSON.stringify(trimmed)} is not a duration such as 250ms, 30s, 1m30s or 1h`;
}

/** Milliseconds as a Go-style duration for messages: 0s, 250ms, 5s, 1.5s, 1m30s, 2h. */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${Math.round(rest * 1000) / 1000}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.round(rest) / 1000;
  return `${sign}${hours ? `${hours}h` : ""}${minutes ? `${minutes}m` : ""}${seconds ? `${seconds}s` : ""}`;
}
