import { type DevEnvironment, startDevEnvironment } from "../dev/start-dev-environment.js";
import { createLogger } from "../observe/create-logger.js";
import { type BridgeOptionValues, bridgeConfigFromOptions } from "./bridge-options.js";
import type { DevSettings } from "./program.js";
import { describeStartError } from "./run-serve.js";
import { shutdownSignal } from "./shutdown-signal.js";

/** "host:port" as a client would dial it ("[::1]:18000" for IPv6). */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for an address that listens on every interface. */
function allInterfaces(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

/** Where a client on this machine dials a port bound to `host`. */
function localDial(host: string, port: number): string {
  return hostPort(allInterfaces(host) ? "127.0.0.1" : host, port);
}

/** The "what to run next" text printed once dev mode is up; addresses are the ones actually bound. */
export function devBanner(env: DevEnvironment): string {
  const consul = env.consul.url;
  const consulHostPort = consul.replace(/^http:\/\//, "");
  const { xdsHost, xdsPort, adminHost, adminPort } = env.bridge;
  const xds = localDial(xdsHost, xdsPort);
  const admin = adminHost !== undefined && adminPort !== undefined ? localDial(adminHost, adminPort) : undefined;
  const lines = [
    "",
    "consul-xds-bridge dev is running (Ctrl-C to stop)",
    `  Consul HTTP API (embedded): ${consul}`,
    `  xDS (ADS, gRPC over h2c):   ${hostPort(xdsHost, xdsPort)}`,
    allInterfaces(xdsHost)
      ? "    on every interface: xDS has no authentication, anyone who can reach this port gets the configuration"
      : "",
    admin !== undefined && adminHost !== undefined
      ? `  admin:                      http://${hostPort(adminHost, adminPort!)}  (/ui status page, /metrics, /readyz, admin API)`
      : "",
  ];
  if (env.demo.length > 0) {
    lines.push("", "Demo services (registered through the agent API):");
    for (const d of env.demo) lines.push(`  ${d.service.padEnd(8)} ${d.id.padEnd(10)} 127.0.0.1:${d.port}  (${d.protocol})`);
  }
  lines.push(
    "",
    "Try next:",
    "  # what Consul holds",
    `  curl ${consul}/v1/catalog/services`,
    "  # register a service exactly as with a Consul agent (no check: it stays passing)",
    `  curl -X PUT ${consulHostPort}/v1/agent/service/register -d '{"Name":"api","Address":"127.0.0.1","Port":8080}'`,
    '  # a TTL check goes critical ("TTL expired") unless passed again within its TTL',
    `  curl -X PUT ${consulHostPort}/v1/agent/service/register \\`,
    `    -d '{"Name":"api","Address":"127.0.0.1","Port":8080,"Check":{"TTL":"30s","Status":"passing"}}'`,
    `  while curl -sf -X PUT ${consulHostPort}/v1/agent/check/pass/service:api; do sleep 10; done   # keeps it passing`,
    "  # fail a check (and pass it again) and watch endpoints move",
    `  curl -X PUT ${consulHostPort}/v1/agent/check/fail/service:web-1`,
    "  # call the greeter through a proxyless gRPC client (xds:///greeter)",
    `  XDS_SERVER=${xds} npm run example:greeter`,
    ...(admin !== undefined
      ? [
          "  # the live status page: services, clients, changes",
          `  open http://${admin}/ui`,
          "  # connected clients and their sync state",
          `  node dist/cli/main.js status${admin !== "127.0.0.1:19000" ? ` --admin ${admin}` : ""}`,
        ]
      : []),
    "  # an Envoy on this machine (its listener on :10000 comes from the bridge):",
    xdsPort === 18000
      ? "  envoy -c deploy/envoy/envoy-dev.yaml && curl -H 'Host: web' localhost:10000"
      : `  envoy -c deploy/envoy/envoy-dev.yaml   (after changing its xDS port 18000 to ${xdsPort})`,
    "",
  );
  return lines.filter((line, i) => line !== "" || lines[i - 1] !== "").join("\n");
}

/** `dev`: runs the dev environment until SIGTERM/SIGINT. */
export async function runDev(values: BridgeOptionValues, settings: DevSettings): Promise<void> {
  const logger = createLogger({ level: values.logLevel, format: values.logFormat });
  const { consul: _consul, ...bridge } = bridgeConfigFromOptions({ ...values, consul: "http://127.0.0.1:8500", consulMaxSockets: 16 });
  let env: DevEnvironment;
  try {
    env = await startDevEnvironment({
      bridge: { ...bridge, consul: { prefix: values.prefix, tag: values.tag } },
      consulHost: settings.consulListen.host,
      consulPort: settings.consulListen.port,
      demo: settings.demo,
      logger,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === "EADDRINUSE" && (error as { port?: number }).port === settings.consulListen.port
        ? `cannot listen on ${settings.consulListen.host}:${settings.consulListen.port} (--consul-listen): address already in use (is a Consul agent running? pick another with --consul-listen)`
        : describeStartError(error, { ...bridge, consul: { address: "" } });
    logger.fatal(message);
    process.exit(1);
  }
  process.stdout.write(devBanner(env));
  const signal = await shutdownSignal(logger);
  logger.info({ signal }, "shutting down");
  await env.close(values.shutdownGrace);
  process.exit(0);
}
