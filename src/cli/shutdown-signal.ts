import type { Logger } from "pino";

/**
 * Resolves on the first SIGTERM or SIGINT with the signal's name. A second signal while shutting
 * down exits at once with status 1, for an operator who does not want to wait for the grace period.
 */
export function shutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        logger.warn({ signal }, "second signal: exiting without waiting");
        process.exit(1);
      }
      received = signal;
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
