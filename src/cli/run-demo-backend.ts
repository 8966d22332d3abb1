import { startGrpcDemo, startHttpDemo } from "../dev/demo-backends.js";
import { createLogger } from "../observe/create-logger.js";
import type { DemoBackendSettings } from "./program.js";
import { shutdownSignal } from "./shutdown-signal.js";

/** `demo-backend`: serves HTTP or the gRPC Greeter until SIGTERM/SIGINT. */
export async function runDemoBackend(settings: DemoBackendSettings): Promise<void> {
  const logger = createLogger();
  const start = settings.protocol === "grpc" ? startGrpcDemo : startHttpDemo;
  const backend = await start(settings.id, settings.listen.host, settings.listen.port);
  logger.info(
    { id: settings.id, protocol: settings.protocol, listen: `${settings.listen.host}:${backend.port}` },
    "demo backend listening",
  );
  await shutdownSignal(logger);
  await backend.close();
  process.exit(0);
}
