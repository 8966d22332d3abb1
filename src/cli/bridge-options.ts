import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { defaultMaxWithdrawalPercent, defaultVanishedServiceGraceMs, defaultWithdrawalHoldMs } from "../bridge/bridge-guards.js";
import type { BridgeConfig } from "../bridge/start-bridge.js";
import { passingOnly } from "../model/health-policy.js";
import { logLevels } from "../observe/create-logger.js";
import {
  consulBaseUrl,
  type HostPort,
  integerIn,
  parseBoolean,
  parseDatacenter,
  parseDatacenterList,
  parseDuration,
  parseHostPort,
} from "./option-values.js";

/** Health policies the CLI accepts: which Consul check states receive traffic. */
export const healthPolicies = ["passing", "passing-or-warning"] as const;

/** How instances of failover datacenters are addressed (`--remote-dc-address`). */
export const remoteDcAddressRules = ["wan", "lan"] as const;

/** Log formats the CLI accepts. */
export const logFormats = ["auto", "json", "pretty"] as const;

/** The parsed values of the options every bridge-running command shares. */
export interface BridgeOptionValues {
  consul: string;
  datacenter?: string;
  failoverDatacenters?: string[];
  remoteDcAddress?: (typeof remoteDcAddressRules)[number];
  prefix?: string;
  tag?: string;
  stale?: boolean;
  tokenFile?: string;
  caFile?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  consulMaxSockets: number;
  xdsListen: HostPort;
  adminListen: HostPort;
  admin: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  envoyListener: HostPort;
  zoneMetaKey: string;
  healthPolicy: (typeof healthPolicies)[number];
  debounce: number;
  readinessMaxStaleness: number;
  vanishedServiceGrace: number;
  maxWithdrawal: number;
  withdrawalHold: number;
  maxStreams: number;
  maxResourceNames: number;
  maxRequestBytes: number;
  maxConnectionAge?: number;
  maxConnectionAgeGrace: number;
  restEdsRefreshDelay: number;
  shutdownGrace: number;
  logLevel: (typeof logLevels)[number];
  logFormat: (typeof logFormats)[number];
  /** False with --no-config-entries. */
  configEntries: boolean;
  downstreamService: string;
}

/** Defaults that differ between the commands sharing {@link addServingOptions}. */
export interface ServingDefaults {
  /** Where xDS listens unless --xds-listen says otherwise (serve: all interfaces; dev: loopback). */
  xdsListen: string;
}

/** Adds the xDS, admin, mapping and logging options (serve and dev). */
export function addServingOptions(command: Command, defaults: ServingDefaults = { xdsListen: "0.0.0.0:18000" }): Command {
  return command
    .addOption(new Option("--prefix <prefix>", "bridge only services whose names start with <prefix>"))
    .addOption(new Option("--tag <tag>", "bridge only services carrying this Consul tag"))
    .addOption(
      new Option("--xds-listen <host:port>", "where the xDS gRPC server listens (xDS has no authentication without --tls-client-ca)")
        .default(parseHostPort(defaults.xdsListen), defaults.xdsListen)
        .argParser(parseHostPort),
    )
    .addOption(
      new Option("--admin-listen <host:port>", "where /metrics, /healthz, /readyz and the admin API listen")
        .default(parseHostPort("127.0.0.1:19000"), "127.0.0.1:19000")
        .argParser(parseHostPort),
    )
    .addOption(new Option("--no-admin", "do not open the admin port"))
    .addOption(new Option("--tls-cert <file>", "serve xDS over TLS with this PEM certificate (needs --tls-key)"))
    .addOption(new Option("--tls-key <file>", "PEM private key of --tls-cert"))
    .addOption(new Option("--tls-client-ca <file>", "require client certificates signed by this PEM CA (mutual TLS)"))
    .addOption(
      new Option("--envoy-listener <ip:port>", "address of the HTTP listener sent to Envoy proxies")
        .default(parseHostPort("0.0.0.0:10000"), "0.0.0.0:10000")
        .argParser(parseHostPort),
    )
    .addOption(new Option("--zone-meta-key <key>", "Consul node-meta key whose value becomes the locality zone").default("zone"))
    .addOption(new Option("--no-config-entries", "ignore Consul's service-router, service-splitter, service-resolver and service-defaults"))
    .addOption(
      new Option(
        "--downstream-service <name>",
        "the service whose service-defaults UpstreamConfig applies to the bridge's clients",
      ).default("consul-xds-bridge"),
    )
    .addOption(
      new Option("--health-policy <policy>", "which instances receive traffic").choices(healthPolicies).default("passing" as const),
    )
    .addOption(
      new Option("--debounce <duration>", "coalesce Consul changes for this long before publishing")
        .default(50, "50ms")
        .argParser(parseDuration),
    )
    .addOption(
      new Option("--readiness-max-staleness <duration>", "report not ready when Consul data is older than this")
        .default(120_000, "2m")
        .argParser(parseDuration),
    )
    .addOption(
      new Option(
        "--vanished-service-grace <duration>",
        "keep a service that vanished from Consul, with no endpoints, this long, so a redeploy that registers it again is one " +
          "endpoint update (gRPC C-core stays failing long after a listener it was told is gone returns); the default covers a " +
          "redeploy's stop, pull, start and first check with margin, and costs clients nothing (they fail fast either way); " +
          "0 = remove at once",
      )
        .default(defaultVanishedServiceGraceMs, "5m")
        .argParser(parseDuration),
    )
    .addOption(
      new Option(
        "--max-withdrawal <percent>",
        "hold back Consul answers that would withdraw more than this share of the served endpoints at once (within 30 s, " +
          "across two services or more): the last good state is served until --withdrawal-hold passes or an operator " +
          "confirms (admin API ConfirmWithdrawal); 0 = never hold",
      )
        .default(defaultMaxWithdrawalPercent)
        .argParser(integerIn(0, 100)),
    )
    .addOption(
      new Option(
        "--withdrawal-hold <duration>",
        "how long a held withdrawal waits before it is applied anyway: time for the alert to reach someone and for an ACL " +
          "or deploy mistake to be undone",
      )
        .default(defaultWithdrawalHoldMs, "10m")
        .argParser(parseDuration),
    )
    .addOption(
      new Option("--max-streams <n>", "xDS streams open at once before new ones are refused")
        .default(20_000)
        .argParser(integerIn(1, 1_000_000)),
    )
    .addOption(
      new Option("--max-resource-names <n>", "resource names one DiscoveryRequest may carry")
        .default(100_000)
        .argParser(integerIn(1, 10_000_000)),
    )
    .addOption(
      new Option("--max-request-bytes <n>", "largest DiscoveryRequest accepted, in bytes")
        .default(4 * 1024 * 1024, "4194304")
        .argParser(integerIn(1024, 1 << 30)),
    )
    .addOption(
      new Option(
        "--max-connection-age <duration>",
        "close xDS connections after about this long (±10% jitter; GOAWAY), so clients spread over replicas again (default: never)",
      ).argParser(parseDuration),
    )
    .addOption(
      new Option("--max-connection-age-grace <duration>", "how long streams of an aged connection may run after its GOAWAY")
        .default(30_000, "30s")
        .argParser(parseDuration),
    )
    .addOption(
      new Option("--rest-eds-refresh-delay <duration>", "how often Envoys polling clusters over REST are told to poll their endpoints")
        .default(5_000, "5s")
        .argParser(parseDuration),
    )
    .addOption(
      new Option("--shutdown-grace <duration>", "how long SIGTERM waits for streams to end")
        .default(10_000, "10s")
        .argParser(parseDuration),
    )
    .addOption(new Option("--log-level <level>", "log verbosity").choices(logLevels).default("info" as const))
    .addOption(
      new Option("--log-format <format>", "json lines, or pretty (auto: pretty on a terminal)")
        .choices(logFormats)
        .default("auto" as const),
    );
}

/** Adds the options that say which Consul to read and how (serve). */
export function addConsulOptions(command: Command): Command {
  return command
    .addOption(new Option("--consul <address>", "Consul HTTP API address").env("CONSUL_HTTP_ADDR").default("http://127.0.0.1:8500"))
    .addOption(new Option("--datacenter <dc>", "datacenter to serve (default: the agent's)").argParser(parseDatacenter))
    .addOption(
      new Option(
        "--failover-datacenters <dc,...>",
        "also route to these datacenters, in this order, when the local one has no healthy instance",
      ).argParser(parseDatacenterList),
    )
    .addOption(
      new Option(
        "--remote-dc-address <rule>",
        "address of failover-datacenter instances: wan (Service then Node TaggedAddresses.wan first, as Consul's Envoy integration) or lan",
      )
        .choices(remoteDcAddressRules)
        .default("wan" as const),
    )
    .addOption(new Option("--stale", "let any Consul server answer reads (no leader round trip)"))
    .addOption(new Option("--token-file <file>", "file holding the Consul ACL token").env("CONSUL_HTTP_TOKEN_FILE"))
    .addOption(new Option("--ca-file <file>", "PEM CA to verify Consul's certificate").env("CONSUL_CACERT"))
    .addOption(new Option("--client-cert <file>", "PEM client certificate for Consul").env("CONSUL_CLIENT_CERT"))
    .addOption(new Option("--client-key <file>", "PEM key of --client-cert").env("CONSUL_CLIENT_KEY"))
    .addOption(new Option("--tls-server-name <name>", "server name to verify in Consul's certificate").env("CONSUL_TLS_SERVER_NAME"))
    .addOption(
      new Option("--consul-max-sockets <n>", "most connections held open to Consul (it refuses more than 200 per client)")
        .default(16)
        .argParser(integerIn(3, 190)),
    );
}

/** Reads a file named by an option; the message names the option and the path, never the content. */
function readOptionFile(option: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InvalidArgumentError(`cannot read ${option} ${path}: ${code}`);
  }
}

/**
 * Turns parsed options and the environment into a BridgeConfig. The ACL token comes from
 * --token-file / CONSUL_HTTP_TOKEN_FILE, else CONSUL_HTTP_TOKEN; it is never accepted as a flag
 * value, so it never shows in `ps` output or shell history.
 */
export function bridgeConfigFromOptions(values: BridgeOptionValues, env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const ssl = env.CONSUL_HTTP_SSL ? parseBoolean(env.CONSUL_HTTP_SSL) : false;
  const verify = env.CONSUL_HTTP_SSL_VERIFY ? parseBoolean(env.CONSUL_HTTP_SSL_VERIFY) : true;
  const address = consulBaseUrl(values.consul, ssl);
  let token: string | undefined;
  if (values.tokenFile) token = readOptionFile("--token-file", values.tokenFile).trim();
  else if (env.CONSUL_HTTP_TOKEN) token = env.CONSUL_HTTP_TOKEN.trim();
  if (values.tlsCert && !values.tlsKey) throw new InvalidArgumentError("--tls-cert needs --tls-key");
  if (values.tlsKey && !values.tlsCert) throw new InvalidArgumentError("--tls-key needs --tls-cert");
  if (values.tlsClientCa && !values.tlsCert) throw new InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  if ((values.clientCert === undefined) !== (values.clientKey === undefined)) {
    throw new InvalidArgumentError("--client-cert and --client-key go together");
  }
  const consulTls =
    address.protocol === "https:"
      ? {
          ca: values.caFile ? readOptionFile("--ca-file", values.caFile) : undefined,
          cert: values.clientCert ? readOptionFile("--client-cert", values.clientCert) : undefined,
          key: values.clientKey ? readOptionFile("--client-key", values.clientKey) : undefined,
          servername: values.tlsServerName,
          rejectUnauthorized: verify,
        }
      : undefined;
  return {
    consul: {
      address: address.origin,
      token: token || undefined,
      tls: consulTls,
      datacenter: values.datacenter,
      failoverDatacenters: values.failoverDatacenters,
      remoteDatacenterAddress: values.remoteDcAddress,
      prefix: values.prefix,
      tag: values.tag,
      stale: values.stale ?? false,
      maxSockets: values.consulMaxSockets,
    },
    xds: {
      host: values.xdsListen.host,
      port: values.xdsListen.port,
      tls: values.tlsCert
        ? {
            cert: readOptionFile("--tls-cert", values.tlsCert),
            key: readOptionFile("--tls-key", values.tlsKey!),
            clientCa: values.tlsClientCa ? readOptionFile("--tls-client-ca", values.tlsClientCa) : undefined,
          }
        : undefined,
      maxStreams: values.maxStreams,
      maxResourceNamesPerRequest: values.maxResourceNames,
      maxRequestBytes: values.maxRequestBytes,
      maxConnectionAgeMs: values.maxConnectionAge,
      maxConnectionAgeGraceMs: values.maxConnectionAgeGrace,
      restEdsRefreshDelayMs: values.restEdsRefreshDelay,
    },
    admin: values.admin ? { host: values.adminListen.host, port: values.adminListen.port } : undefined,
    mapping: {
      healthPolicy: values.healthPolicy === "passing-or-warning" ? { routeWarning: true } : passingOnly,
      zoneMetaKey: values.zoneMetaKey,
      envoyListener: { address: values.envoyListener.host, port: values.envoyListener.port },
    },
    debounceMs: values.debounce,
    maxStalenessSeconds: values.readinessMaxStaleness / 1000,
    vanishedServiceGraceMs: values.vanishedServiceGrace,
    maxWithdrawalPercent: values.maxWithdrawal,
    withdrawalHoldMs: values.withdrawalHold,
    configEntries: { enabled: values.configEntries !== false, downstreamService: values.downstreamService ?? "consul-xds-bridge" },
  };
}

/** Validates option combinations that one value alone cannot (used by every bridge command). */
export function checkServingOptions(values: BridgeOptionValues): void {
  if (values.withdrawalHold <= 0) throw new InvalidArgumentError("--withdrawal-hold needs a duration above 0, such as 10m");
  // Node's timers fire at once beyond 2³¹−1 ms (24.8 days): a longer hold or grace would end at once.
  if (values.withdrawalHold > 20 * 24 * 3_600_000) throw new InvalidArgumentError("--withdrawal-hold must be at most 480h (20 days)");
  if (values.vanishedServiceGrace > 20 * 24 * 3_600_000) {
    throw new InvalidArgumentError("--vanished-service-grace must be at most 480h (20 days)");
  }
  if (values.envoyListener.port === 0) throw new InvalidArgumentError("--envoy-listener needs a port from 1 to 65535");
  if (values.maxConnectionAge !== undefined && values.maxConnectionAge < 1_000) {
    throw new InvalidArgumentError("--max-connection-age must be at least 1s");
  }
  // Node's timers fire at once beyond 2³¹−1 ms; the jitter adds 10 %.
  if (values.maxConnectionAge !== undefined && values.maxConnectionAge > 20 * 24 * 3_600_000) {
    throw new InvalidArgumentError("--max-connection-age must be at most 480h (20 days)");
  }
  if (values.maxConnectionAgeGrace > 20 * 24 * 3_600_000) {
    throw new InvalidArgumentError("--max-connection-age-grace must be at most 480h (20 days)");
  }
  if (!/^[0-9.]+$|:/.test(values.envoyListener.host)) {
    throw new InvalidArgumentError("--envoy-listener needs an IP address, e.g. 0.0.0.0:10000");
  }
}
