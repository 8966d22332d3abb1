// docker-compose.yml, the Consul service definitions in deploy/consul/ and the Envoy bootstrap,
// checked for agreement without a Docker engine: files exist, addresses and ports line up, and the
// commands the containers run parse with the CLI's own parser.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parseHostPort } from "../src/cli/option-values.js";
import type { DemoBackendSettings } from "../src/cli/program.js";
import {
  type ComposeFile,
  type ComposeService,
  commandArgs,
  composeDurationMs,
  dependencies,
  environmentOf,
  healthcheckText,
  loadComposeFile,
  publishedPorts,
  serviceNetworks,
  volumeMounts,
} from "./support/compose-file.js";
import { type ConsulServiceDefinition, readConsulServiceDefinitions } from "./support/consul-service-definitions.js";
import { parseDockerfile } from "./support/dockerfile-stages.js";
import { adsCluster, readEnvoyBootstrap } from "./support/envoy-bootstrap.js";
import { ipv4InCidr } from "./support/ipv4-cidr.js";
import { type ParsedCommandLine, parseCommandLine } from "./support/parse-command-line.js";
import { repoPath } from "./support/repo-path.js";
import { createTestPki } from "./support/test-pki.js";

type Serve = Extract<ParsedCommandLine, { command: "serve" }>;

/** A compose service running `demo-backend`, with what the CLI parsed from its command. */
interface DemoContainer {
  name: string;
  service: ComposeService;
  settings: DemoBackendSettings;
  address?: string;
}

// Loaded in `before` below, not at module scope: a broken file then fails the tests with its
// message instead of aborting the file's loading.
let compose!: ComposeFile;
let definitions!: ConsulServiceDefinition[];
let services!: ComposeFile["services"];

/** The one service whose image starts with `prefix`. */
function serviceByImage(prefix: string): [string, ComposeService] {
  const found = Object.entries(services).filter(([, service]) => service.image?.startsWith(prefix));
  assert.equal(found.length, 1, `exactly one service runs ${prefix}`);
  return found[0]!;
}

/** The value following `flag` in an argument list (`-flag value` or `-flag=value`). */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  if (index >= 0) return args[index + 1];
  return args.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

let consulName!: string;
let consul!: ComposeService;
let envoyName!: string;
let envoy!: ComposeService;
let bridgeName!: string;
let bridge!: ComposeService;
let consulArgs!: string[];

/** The container path Envoy's -c names, and the bootstrap file the compose file mounts there. */
function envoyBootstrapFile(service: ComposeService): string {
  const target = flagValue(commandArgs(service), "-c") ?? flagValue(commandArgs(service), "--config-path");
  assert.ok(target, "envoy is started with -c <bootstrap>");
  const mount = volumeMounts(service).find((volume) => volume.target === target);
  assert.ok(mount, `a volume mounts the bootstrap at ${target}`);
  return repoPath(mount.source);
}

/** The bridge's command as the CLI parses it (a parse error fails every test that needs it, with its message). */
let bridgeCommand!: Promise<Serve>;
/** Every demo-backend container, its command parsed by the CLI. */
let demoContainers!: Promise<DemoContainer[]>;

before(() => {
  compose = loadComposeFile();
  definitions = readConsulServiceDefinitions(repoPath("deploy/consul"));
  services = compose.services;
  [consulName, consul] = serviceByImage("hashicorp/consul:");
  [envoyName, envoy] = serviceByImage("envoyproxy/envoy:");
  const bridgeEntry = Object.entries(services).find(([, service]) => Array.isArray(service.command) && service.command[0] === "serve");
  assert.ok(bridgeEntry, "a service runs `serve`");
  [bridgeName, bridge] = bridgeEntry;
  consulArgs = commandArgs(consul);
  bridgeCommand = parseCommandLine(commandArgs(bridge)).then((parsed) => {
    assert.equal(parsed.command, "serve");
    return parsed;
  });
  demoContainers = Promise.all(
    Object.entries(services)
      .filter(([, service]) => Array.isArray(service.command) && service.command[0] === "demo-backend")
      .map(async ([name, service]) => {
        const parsed = await parseCommandLine(commandArgs(service));
        assert.equal(parsed.command, "demo-backend");
        const address = serviceNetworks(service).find((network) => network.ipv4Address)?.ipv4Address;
        return { name, service, settings: parsed.settings, ...(address ? { address } : {}) };
      }),
  );
  // Reported by the tests that await them; not an unhandled rejection before they run.
  bridgeCommand.catch(() => {});
  demoContainers.catch(() => {});
});

describe("docker-compose.yml", () => {
  it("should reference only files, folders and build stages that exist", () => {
    const stages = parseDockerfile(readFileSync(repoPath("Dockerfile"), "utf8"));
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined) {
        const build = typeof service.build === "string" ? { context: service.build } : service.build;
        assert.ok(statSync(repoPath(build.context)).isDirectory(), `${name}: build context ${build.context}`);
        const dockerfile = join(repoPath(build.context), build.dockerfile ?? "Dockerfile");
        assert.ok(existsSync(dockerfile), `${name}: ${dockerfile} exists`);
        if (build.target)
          assert.ok(
            stages.some((stage) => stage.name === build.target),
            `${name}: Dockerfile has a stage ${build.target}`,
          );
      } else {
        assert.match(service.image ?? "", /^[\w./-]+:[\w.-]+$/, `${name}: an image with an explicit tag`);
      }
      for (const volume of volumeMounts(service)) {
        if (volume.source.startsWith(".") || volume.source.startsWith("/")) {
          assert.ok(existsSync(repoPath(volume.source)), `${name}: ${volume.source} exists`);
        }
      }
    }
  });

  it("should build the bridge and the demo backends from one runtime image, and the client from the example stage", async () => {
    const demos = await demoContainers;
    const image = bridge.image;
    assert.ok(image && typeof bridge.build === "object" && bridge.build.target === "runtime");
    for (const demo of demos) {
      assert.equal(demo.service.image, image, `${demo.name} runs the bridge's image`);
      assert.deepEqual(demo.service.build, bridge.build, `${demo.name} builds it the same way`);
    }
    const clients = Object.values(services).filter((service) => typeof service.build === "object" && service.build.target === "example");
    assert.equal(clients.length, 1, "one proxyless client container");
  });

  it("should give the Consul agent the service definitions as a read-only config dir, in the bridge's datacenter", async () => {
    const serve = await bridgeCommand;
    assert.deepEqual(consulArgs.slice(0, 2), ["agent", "-dev"]);
    assert.equal(flagValue(consulArgs, "-client"), "0.0.0.0", "the API answers other containers");
    const configDir = flagValue(consulArgs, "-config-dir");
    assert.ok(configDir, "-config-dir names the mounted definitions");
    // The image's entrypoint chowns /consul/config, which fails on a read-only mount.
    assert.notEqual(configDir, "/consul/config");
    const mount = volumeMounts(consul).find((volume) => volume.target === configDir);
    assert.ok(mount, `a volume is mounted at ${configDir}`);
    assert.equal(repoPath(mount.source), repoPath("deploy/consul"));
    assert.ok(mount.readOnly, "mounted read-only");
    assert.equal(flagValue(consulArgs, "-datacenter") ?? "dc1", serve.config.consul.datacenter);
  });

  it("should give every Consul service definition a check the agent runs itself, of the service's protocol", () => {
    assert.ok(definitions.length >= 3, "web ×2 and greeter");
    assert.equal(new Set(definitions.map((d) => d.id)).size, definitions.length, "service IDs are unique");
    for (const definition of definitions) {
      assert.ok(definition.checks.length >= 1, `${definition.file}: has a check`);
      const protocol = definition.meta["xds-bridge-protocol"] ?? "http1";
      assert.ok(["http1", "http", "http2", "grpc"].includes(protocol), `${definition.file}: protocol ${protocol}`);
      for (const check of definition.checks) {
        assert.ok(check.interval, `${definition.file}: the check has an interval`);
        assert.equal(check.ttl, undefined, `${definition.file}: a real check, not a TTL nobody refreshes`);
        const target = `${definition.address}:${definition.port}`;
        if (protocol === "grpc") {
          assert.equal(check.grpc, target, `${definition.file}: a GRPC check on the instance`);
        } else {
          assert.ok(check.http, `${definition.file}: an HTTP check`);
          assert.equal(new URL(check.http).host, target, `${definition.file}: the HTTP check probes the instance`);
        }
      }
    }
    assert.ok(
      definitions.some((d) => d.checks.some((c) => c.grpc)),
      "the gRPC demo has a GRPC check",
    );
  });

  it("should run each registered instance at the address and port its definition gives", async () => {
    const demos = await demoContainers;
    for (const definition of definitions) {
      const demo = demos.find((candidate) => candidate.address === definition.address);
      assert.ok(demo, `${definition.file}: a demo container has address ${definition.address}`);
      assert.equal(demo.settings.id, definition.id, `${demo.name}: --id`);
      assert.equal(demo.settings.listen.port, definition.port, `${demo.name}: --listen port`);
      assert.equal(demo.settings.listen.host, "0.0.0.0", `${demo.name}: listens on all interfaces`);
      const grpc = definition.meta["xds-bridge-protocol"] === "grpc";
      assert.equal(demo.settings.protocol, grpc ? "grpc" : "http", `${demo.name}: --protocol`);
      assert.equal(demo.service.profiles, undefined, `${demo.name}: starts with a plain docker compose up`);
    }
    for (const demo of demos) {
      const registered = definitions.some((definition) => definition.address === demo.address);
      assert.ok(registered || demo.service.profiles, `${demo.name}: registered by a definition, or opt-in (a profile)`);
    }
  });

  it("should give the demo containers distinct fixed addresses inside the subnet, outside the dynamic range", async () => {
    const demos = await demoContainers;
    const networks = Object.entries(compose.networks ?? {});
    for (const demo of demos) {
      assert.ok(demo.address, `${demo.name} has a fixed address (EDS endpoints need IP literals)`);
      const joined = serviceNetworks(demo.service).find((network) => network.ipv4Address === demo.address)!;
      const ipam = networks.find(([name]) => name === joined.network)?.[1]?.ipam?.config?.[0];
      assert.ok(ipam?.subnet, `network ${joined.network} has a subnet`);
      assert.ok(ipv4InCidr(demo.address, ipam.subnet), `${demo.name}: ${demo.address} in ${ipam.subnet}`);
      assert.ok(ipam.ip_range, `network ${joined.network} keeps dynamic addresses in an ip_range`);
      assert.ok(!ipv4InCidr(demo.address, ipam.ip_range), `${demo.name}: ${demo.address} outside ${ipam.ip_range}`);
    }
    assert.equal(new Set(demos.map((demo) => demo.address)).size, demos.length, "no address twice");
    for (const [name, service] of Object.entries(services)) {
      for (const network of serviceNetworks(service))
        assert.ok(compose.networks?.[network.network] !== undefined, `${name}: network ${network.network}`);
    }
  });

  it("should run the bridge with flags its CLI accepts, against the compose Consul, bridging every demo service", async () => {
    const serve = await bridgeCommand;
    const consulUrl = new URL(serve.config.consul.address);
    assert.equal(consulUrl.hostname, consulName, "--consul names the Consul service");
    assert.equal(Number(consulUrl.port), 8500, "Consul's HTTP port");
    assert.equal(serve.config.consul.datacenter, "dc1");
    assert.equal(serve.config.xds.host, "0.0.0.0", "xDS reachable from Envoy and the client");
    assert.equal(serve.config.admin?.host, "0.0.0.0", "admin reachable through the published port");
    for (const definition of definitions) {
      const { prefix, tag } = serve.config.consul;
      assert.ok(!prefix || definition.name.startsWith(prefix), `--prefix ${prefix} keeps ${definition.name}`);
      assert.ok(!tag || definition.tags.includes(tag), `--tag ${tag} keeps ${definition.name}`);
    }
    assert.ok(composeDurationMs(bridge.stop_grace_period ?? "10s") > serve.values.shutdownGrace, "docker stop waits out --shutdown-grace");
  });

  it("should point Envoy's xDS cluster at the bridge's service name and xDS port", async () => {
    const serve = await bridgeCommand;
    const xds = adsCluster(readEnvoyBootstrap(envoyBootstrapFile(envoy)));
    assert.equal(xds.host, bridgeName);
    assert.equal(xds.port, serve.config.xds.port);
    assert.ok(
      dependencies(envoy).some((dependency) => dependency.name === bridgeName),
      "Envoy waits for the bridge",
    );
    assert.match(environmentOf(envoy).loglevel ?? "", /^\$\{ENVOY_LOG_LEVEL:-\w+\}$/, "log level switchable with ENVOY_LOG_LEVEL");
  });

  it("should publish the ports the containers listen on, every one on loopback only", async () => {
    const serve = await bridgeCommand;
    const bootstrap = readEnvoyBootstrap(envoyBootstrapFile(envoy));
    const envoyAdmin = bootstrap.admin?.address?.address;
    assert.equal(envoyAdmin?.case, "socketAddress");
    const envoyAdminPort = envoyAdmin.value.portSpecifier.value as number;
    const expected: Record<string, number[]> = {
      [consulName]: [8500],
      [bridgeName]: [serve.config.xds.port, serve.config.admin!.port],
      [envoyName]: [serve.values.envoyListener.port, envoyAdminPort],
    };
    for (const [name, ports] of Object.entries(expected)) {
      const published = publishedPorts(services[name]!);
      assert.deepEqual(published.map((port) => port.containerPort).sort(), [...ports].sort(), `${name} publishes ${ports.join(", ")}`);
      for (const port of published) assert.equal(port.hostPort, port.containerPort, `${name}: the same port on the host`);
    }
    for (const [name, port] of [
      [bridgeName, serve.config.admin!.port],
      [envoyName, envoyAdminPort],
    ] as const) {
      const entry = publishedPorts(services[name]!).find((published) => published.containerPort === port);
      assert.equal(entry?.hostIp, "127.0.0.1", `${name}'s admin port is published on loopback only`);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const port of publishedPorts(service)) {
        assert.equal(port.hostIp, "127.0.0.1", `${name} publishes ${port.hostPort} on 127.0.0.1, as the README says`);
      }
    }
    const hostPorts = Object.values(services).flatMap((service) => publishedPorts(service).map((port) => port.hostPort));
    assert.equal(new Set(hostPorts).size, hostPorts.length, "no host port twice");
  });

  it("should point the proxyless client at the bridge and at a gRPC service", async () => {
    const serve = await bridgeCommand;
    const client = Object.values(services).find((service) => typeof service.build === "object" && service.build.target === "example")!;
    const environment = environmentOf(client);
    const server = parseHostPort(environment.XDS_SERVER ?? "");
    assert.equal(server.host, bridgeName);
    assert.equal(server.port, serve.config.xds.port);
    const target = /^xds:\/\/\/(.+)$/.exec(environment.TARGET ?? "")?.[1];
    assert.ok(
      target && definitions.some((d) => d.name === target && d.meta["xds-bridge-protocol"] === "grpc"),
      `${environment.TARGET} is a gRPC service`,
    );
    assert.match(environment.INTERVAL_MS ?? "", /^\d+$/, "runs in a loop");
    const names = dependencies(client).map((dependency) => dependency.name);
    assert.ok(names.includes(bridgeName), "waits for the bridge");
  });

  it("should wait only on services that exist and report health, each probing the port it listens on", async () => {
    const serve = await bridgeCommand;
    const demos = await demoContainers;
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of dependencies(service)) {
        assert.ok(services[dependency.name], `${name} depends on ${dependency.name}, which exists`);
        assert.equal(dependency.condition, "service_healthy", `${name} waits for ${dependency.name} to be healthy`);
        assert.ok(services[dependency.name]!.healthcheck, `${dependency.name} has a health check`);
      }
      const test = service.healthcheck?.test;
      if (test) assert.ok(Array.isArray(test) && test[0] === "CMD", `${name}: health check in exec form`);
    }
    assert.match(
      healthcheckText(bridge),
      new RegExp(`:${serve.config.admin!.port}/readyz`),
      "the bridge reports ready after the Consul sync",
    );
    for (const demo of demos) {
      assert.ok(healthcheckText(demo.service).includes(String(demo.settings.listen.port)), `${demo.name} probes its --listen port`);
    }
    assert.ok(consul.healthcheck, "the agent reports health");
    const bootstrap = readEnvoyBootstrap(envoyBootstrapFile(envoy));
    const admin = bootstrap.admin?.address?.address;
    assert.ok(
      admin?.case === "socketAddress" && healthcheckText(envoy).includes(`/${admin.value.portSpecifier.value}`),
      "Envoy probes its admin port",
    );
    assert.match(healthcheckText(envoy), /GET \/ready /);
  });

  it("should register web-3 in the README exactly where its container runs", async () => {
    const demos = await demoContainers;
    const readme = readFileSync(repoPath("README.md"), "utf8");
    const registration = [...readme.matchAll(/-d '(\{[^']*"ID":"web-3"[^']*\})'/g)].map(
      (match) => JSON.parse(match[1]!) as Record<string, unknown>,
    );
    assert.equal(registration.length, 1, "one agent API registration of web-3");
    const web3 = demos.find((demo) => demo.settings.id === "web-3");
    assert.ok(web3?.service.profiles?.length, "web-3 is opt-in");
    const [body] = registration as [{ Address: string; Port: number; Name: string; Check: { HTTP: string } }];
    assert.equal(body.Address, web3.address);
    assert.equal(body.Port, web3.settings.listen.port);
    assert.ok(
      definitions.some((d) => d.name === body.Name),
      "an instance of a demo service",
    );
    assert.equal(new URL(body.Check.HTTP).host, `${web3.address}:${web3.settings.listen.port}`);
    assert.ok(readme.includes(`--profile ${web3.service.profiles[0]} up -d web-3`), "the README starts it with its profile");
  });
});

describe("deploy/docker-compose.tls.yml (the mTLS overlay)", () => {
  const overlay = loadComposeFile(repoPath("deploy/docker-compose.tls.yml"));

  it("should run the bridge with mTLS flags the CLI accepts, on files the certificate mount provides", async (t) => {
    const serve = await bridgeCommand;
    const overlayBridge = overlay.services[bridgeName];
    assert.ok(overlayBridge, "overrides the bridge");
    const args = commandArgs(overlayBridge);
    // The plaintext command plus the TLS flags, nothing else changed.
    assert.deepEqual(args.slice(0, commandArgs(bridge).length), commandArgs(bridge));
    const mount = volumeMounts(overlayBridge)[0];
    assert.ok(mount?.readOnly, "certificates mounted read-only");
    // Stand in for the bind mount: the files the README makes, in a temporary folder.
    const folder = mkdtempSync(join(tmpdir(), "deploy-tls-"));
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    const pki = await createTestPki();
    const server = await pki.issue("bridge");
    const files: Record<string, string> = { "ca.pem": pki.ca.cert, "bridge.pem": server.cert, "bridge-key.pem": server.key };
    for (const [file, pem] of Object.entries(files)) writeFileSync(join(folder, file), pem);
    const local = args.map((arg) => (arg.startsWith(`${mount.target}/`) ? join(folder, arg.slice(mount.target.length + 1)) : arg));
    const parsed = await parseCommandLine(local);
    assert.equal(parsed.command, "serve");
    assert.ok(parsed.config.xds.tls?.clientCa, "client certificates required (mutual TLS)");
    assert.equal(parsed.config.xds.port, serve.config.xds.port);
  });

  it("should give Envoy the TLS bootstrap and its certificates at the paths the bootstrap names", () => {
    const overlayEnvoy = overlay.services[envoyName];
    assert.ok(overlayEnvoy, "overrides Envoy");
    const merged: ComposeService = { ...envoy, volumes: overlayEnvoy.volumes ?? [] };
    const bootstrapFile = envoyBootstrapFile(merged);
    assert.equal(bootstrapFile, repoPath("deploy/envoy/envoy-tls.yaml"));
    const paths = [...readFileSync(bootstrapFile, "utf8").matchAll(/filename:\s*(\S+?)\s*\}?$/gm)].map((match) => match[1]!);
    assert.ok(paths.length >= 3, "certificate, key and CA files");
    const certificates = volumeMounts(merged).find((volume) => paths.every((path) => path.startsWith(`${volume.target}/`)));
    assert.ok(certificates, `one mount provides ${paths.join(", ")}`);
    const bridgeMount = volumeMounts(overlay.services[bridgeName]!)[0]!;
    assert.equal(repoPath(certificates.source), repoPath(bridgeMount.source), "Envoy and the bridge share the certificate folder");
    const readme = readFileSync(repoPath("README.md"), "utf8");
    for (const path of paths) assert.ok(readme.includes(path.split("/").at(-1)!), `the README makes ${path.split("/").at(-1)}`);
  });

  it("should leave out the proxyless client, which cannot present a client certificate", () => {
    const client = Object.entries(services).find(
      ([, service]) => typeof service.build === "object" && service.build.target === "example",
    )![0];
    assert.ok(overlay.services[client]?.profiles?.length, `${client} is moved to a profile`);
  });
});
