import { createRequire } from "node:module";
import { Command, Option } from "commander";
import type { BridgeConfig } from "../bridge/start-bridge.js";
import {
  addConsulOptions,
  addServingOptions,
  type BridgeOptionValues,
  bridgeConfigFromOptions,
  checkServingOptions,
} from "./bridge-options.js";
import { type HostPort, parseAdminAddress, parseHostPort } from "./option-values.js";
import { staleAfterSeconds } from "./status-exit-code.js";

/** What `dev` adds to the bridge options. */
export interface DevSettings {
  /** Where the embedded Consul API listens. */
  consulListen: HostPort;
  /** Start the demo services (web, greeter). */
  demo: boolean;
}

/** What `status` needs. */
export interface StatusSettings {
  admin: string;
  json: boolean;
}

/** What `demo-backend` needs. */
export interface DemoBackendSettings {
  protocol: "http" | "grpc";
  listen: HostPort;
  /** Shown in every answer, so load balancing is visible. */
  id: string;
}

/** The work behind each command; tests replace them to check parsing alone. */
export interface CommandActions {
  serve(config: BridgeConfig, values: BridgeOptionValues): Promise<void>;
  dev(values: BridgeOptionValues, settings: DevSettings): Promise<void>;
  status(settings: StatusSettings): Promise<void>;
  demoBackend(settings: DemoBackendSettings): Promise<void>;
}

/** The package version, shown by --version. */
export function packageVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

const serveExamples = `
Examples:
  # Bridge every service of the local agent's datacenter
  $ consul-xds-bridge serve

  # Services named web-* in dc1, failing over to dc2, with an ACL token from a file
  $ consul-xds-bridge serve --consul https://consul.internal:8501 --ca-file ca.pem \\
      --datacenter dc1 --prefix web- --failover-datacenters dc2 --token-file /run/secrets/consul-token

  # Mutual TLS on the xDS port
  $ consul-xds-bridge serve --tls-cert server.pem --tls-key server-key.pem --tls-client-ca clients-ca.pem

Environment (as for the consul CLI): CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE,
CONSUL_HTTP_SSL, CONSUL_HTTP_SSL_VERIFY, CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY,
CONSUL_TLS_SERVER_NAME. Flags win over the environment. The token is never taken as a flag value.

Exit status: 0 after SIGTERM or SIGINT, 1 when a port cannot be bound, 2 for bad flags or a
--datacenter that Consul does not know (while Consul cannot be reached, serve keeps retrying).`;

const devExamples = `
Examples:
  # An embedded Consul API on 127.0.0.1:8500, demo services, and xDS on 127.0.0.1:18000
  $ consul-xds-bridge dev

  # Then, in another terminal, register a service exactly as with Consul (no check: stays passing):
  $ curl -X PUT localhost:8500/v1/agent/service/register -d '{"Name":"api","Address":"127.0.0.1","Port":8080}'

  # A TTL check goes critical ("TTL expired") unless passed again within its TTL:
  $ curl -X PUT localhost:8500/v1/agent/service/register \\
      -d '{"Name":"api","Address":"127.0.0.1","Port":8080,"Check":{"TTL":"30s","Status":"passing"}}'
  $ while curl -sf -X PUT localhost:8500/v1/agent/check/pass/service:api; do sleep 10; done

  # Keep a real Consul on :8500 undisturbed
  $ consul-xds-bridge dev --consul-listen 127.0.0.1:18500

  # Serve xDS to other machines too (xDS has no authentication: mind who can reach the port)
  $ consul-xds-bridge dev --xds-listen 0.0.0.0:18000`;

const statusExamples = `
Examples:
  $ consul-xds-bridge status
  $ consul-xds-bridge status --admin 10.0.0.5:19000 --json

Exit status:
  0  the bridge is ready (initial Consul sync done, data fresh) and every client is synced or
     catching up
  1  a client rejects its configuration (NACK)
  2  the admin API cannot be reached
  3  the bridge is not ready (initial Consul sync not complete, or its Consul data is too old), or
     a client has left a response unacknowledged for more than ${staleAfterSeconds} s (stale)
  4  a mass withdrawal of endpoints is held back (--max-withdrawal): the bridge serves the last
     good state until the hold time passes or an operator confirms it (ConfirmWithdrawal)`;

/** Builds the command-line program: serve, dev, status. */
export function createProgram(actions: CommandActions): Command {
  const program = new Command("consul-xds-bridge")
    .description("Serves Consul's service catalog as xDS configuration to Envoy and proxyless gRPC clients.")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", `\nRun 'consul-xds-bridge <command> --help' for a command's options and examples.`);

  const serve = addServingOptions(addConsulOptions(new Command("serve")))
    .description("watch Consul and serve xDS")
    .addHelpText("after", serveExamples)
    .action(async (values: BridgeOptionValues, command: Command) => {
      let config: BridgeConfig;
      try {
        checkServingOptions(values);
        config = bridgeConfigFromOptions(values);
      } catch (error) {
        return command.error(`error: ${(error as Error).message}`, { exitCode: 2 });
      }
      await actions.serve(config, values);
    });

  // Dev mode serves demo data with no authentication: loopback unless told otherwise.
  const dev = addServingOptions(new Command("dev"), { xdsListen: "127.0.0.1:18000" })
    .description("run the bridge on an embedded Consul-compatible catalog with demo services (no Consul needed)")
    .addOption(
      new Option("--consul-listen <host:port>", "where the embedded Consul HTTP API listens")
        .default(parseHostPort("127.0.0.1:8500"), "127.0.0.1:8500")
        .argParser(parseHostPort),
    )
    .addOption(new Option("--no-demo", "do not start the demo services"))
    .addHelpText("after", devExamples)
    .action(async (values: BridgeOptionValues & { consulListen: HostPort; demo: boolean }, command: Command) => {
      try {
        checkServingOptions(values);
      } catch (error) {
        return command.error(`error: ${(error as Error).message}`, { exitCode: 2 });
      }
      await actions.dev(values, { consulListen: values.consulListen, demo: values.demo });
    });

  const status = new Command("status")
    .description("show every connected xDS client and its sync state, like istioctl proxy-status")
    .addOption(
      new Option("--admin <address>", "the bridge's admin address (host:port, or an http:// URL)")
        .default("http://127.0.0.1:19000", "127.0.0.1:19000")
        .argParser(parseAdminAddress),
    )
    .option("--json", "print the admin API's answer as JSON")
    .addHelpText("after", statusExamples)
    .action(async (values: { admin: string; json?: boolean }) => actions.status({ admin: values.admin, json: values.json ?? false }));

  const demoBackend = new Command("demo-backend")
    .description("run one demo service instance (HTTP, or the gRPC Greeter) for trying the bridge out")
    .addOption(new Option("--protocol <protocol>", "what to serve").choices(["http", "grpc"] as const).default("http" as const))
    .addOption(
      new Option("--listen <host:port>", "where to listen").default(parseHostPort("0.0.0.0:8080"), "0.0.0.0:8080").argParser(parseHostPort),
    )
    .addOption(new Option("--id <id>", "instance name shown in answers").default("demo"))
    .addHelpText(
      "after",
      `
Examples:
  $ consul-xds-bridge demo-backend --protocol http --listen 0.0.0.0:8080 --id web-1
  $ consul-xds-bridge demo-backend --protocol grpc --listen 0.0.0.0:9090 --id greeter-1`,
    )
    .action(async (values: DemoBackendSettings) => actions.demoBackend(values));

  return program.addCommand(serve).addCommand(dev).addCommand(status).addCommand(demoBackend);
}
