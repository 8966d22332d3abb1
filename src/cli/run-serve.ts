import type { Logger } from "pino";
import { type Bridge, type BridgeConfig, startBridge } from "../bridge/start-bridge.js";
import { createLogger } from "../observe/create-logger.js";
import type { BridgeOptionValues } from "./bridge-options.js";
import { shutdownSignal } from "./shutdown-signal.js";

/** Explains a failure to bind a port in one line naming the flag. */
export function describeStartError(error: unknown, config: BridgeConfig): string {
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
    const flag = port === config.xds.port && address === config.xds.host ? "--xds-listen" : "--admin-listen";
    const why = code === "EADDRINUSE" ? "address already in use" : code === "EACCES" ? "permission denied" : "address not available";
    return `cannot listen on ${address}:${port} (${flag}): ${why}`;
  }
  return (error as Error).message ?? String(error);
}

/** Starts the bridge, or exits with status 1 and one clear line when it cannot start. */
export async function startOrExit(config: BridgeConfig, logger: Logger): Promise<Bridge> {
  try {
    return await startBridge({ ...config, logger });
  } catch (error) {
    logger.fatal(describeStartError(error, config));
    process.exit(1);
  }
}

/**
 * `serve`: runs until SIGTERM/SIGINT, then ends streams cleanly within the grace period and exits 0;
 * exits 2 when Consul shows the configuration cannot work (an unknown `--datacenter`).
 */
export async function runServe(config: BridgeConfig, values: BridgeOptionValues): Promise<void> {
  const logger = createLogger({ level: values.logLevel, format: values.logFormat });
  const bridge = await startOrExit(config, logger);
  const signal = await Promise.race([shutdownSignal(logger), bridge.fatal.then(() => undefined)]);
  if (signal === undefined) {
    await bridge.close(0);
    process.exit(2);
  }
  logger.info({ signal, graceMs: values.shutdownGrace }, "shutting down");
  await bridge.close(values.shutdownGrace);
  logger.info("stopped");
  process.exit(0);
}
