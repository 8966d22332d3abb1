import { type LevelWithSilent, type Logger, pino } from "pino";
import pretty from "pino-pretty";

/** Log levels the CLI accepts, quietest last. */
export const logLevels: readonly LevelWithSilent[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: LevelWithSilent;
  /** "json" (one JSON object per line), "pretty" (for people), or "auto": pretty on a TTY (default). */
  format?: "json" | "pretty" | "auto";
  /** Where to write (default stdout). */
  destination?: NodeJS.WritableStream;
}

/**
 * Paths pino removes from every log line, wherever a token could end up by mistake. Tokens are
 * never logged on purpose; this is the second line of defence.
 */
export const redactedPaths = [
  "token",
  "*.token",
  "headers['x-consul-token']",
  "*.headers['x-consul-token']",
  "headers.authorization",
  "*.headers.authorization",
];

/** The bridge's logger: structured JSON by default, readable on a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stdout;
  const format = options.format ?? "auto";
  const usePretty = format === "pretty" || (format === "auto" && (destination as { isTTY?: boolean }).isTTY === true);
  const base = {
    level: options.level ?? "info",
    base: { name: "consul-xds-bridge" },
    redact: { paths: redactedPaths, censor: "[redacted]" },
  };
  if (usePretty) {
    return pino(base, pretty({ destination, sync: true, ignore: "pid,hostname,name", translateTime: "SYS:HH:MM:ss.l" }));
  }
  return pino(base, destination);
}

/** A logger that writes nothing: the default for components given none. */
export const silentLogger: Logger = pino({ level: "silent" });
