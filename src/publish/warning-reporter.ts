import type { Logger } from "pino";
import type { MappingWarning } from "../mapping/index.js";

/**
 * Reports each service's warnings when they change (not on every rebuild): a log line and the
 * `onWarnings` hook, and a running total for metrics.
 */
export class WarningReporter {
  private readonly reported = new Map<string, { key: string; count: number }>();
  private totalCount = 0;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly onWarnings: ((service: string, warnings: readonly MappingWarning[]) => void) | undefined,
  ) {}

  /** Warnings standing now, over every service. */
  get total(): number {
    return this.totalCount;
  }

  /** Reports `warnings` as the current warnings of `service` if they differ from the last reported ones. */
  report(service: string, warnings: readonly MappingWarning[]): void {
    const key = JSON.stringify(warnings.map((w) => [w.code, w.instance, w.clientKind, w.message]));
    const before = this.reported.get(service) ?? { key: "[]", count: 0 };
    if (key === before.key) return;
    this.reported.set(service, { key, count: warnings.length });
    this.totalCount += warnings.length - before.count;
    if (warnings.length > 0) {
      this.logger?.warn(
        { service, warnings: warnings.map(({ code, instance, clientKind, message }) => ({ code, instance, clientKind, message })) },
        "mapping warnings",
      );
    } else {
      this.logger?.info({ service }, "mapping warnings cleared");
    }
    this.onWarnings?.(service, warnings);
  }

  /** Forgets a service that is gone, clearing its warnings. */
  forget(service: string): void {
    const before = this.reported.get(service);
    if (!before) return;
    this.reported.delete(service);
    this.totalCount -= before.count;
    if (before.count > 0) {
      this.logger?.info({ service }, "service gone; its warnings are cleared");
      this.onWarnings?.(service, []);
    }
  }
}
