import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { repoPath } from "./repo-path.js";

/** A compose health check, as far as the deploy tests read it. */
export interface ComposeHealthcheck {
  test: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

/** A compose service, as far as the deploy tests read it. */
export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: ComposeHealthcheck;
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  profiles?: string[];
  stop_grace_period?: string;
}

/** A compose network with its IPAM blocks. */
export interface ComposeNetwork {
  ipam?: { config?: Array<{ subnet?: string; ip_range?: string; gateway?: string }> };
}

/** The parts of docker-compose.yml the deploy tests check. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork | null>;
}

/** One `ports:` entry in short syntax ("[ip:]host:container[/proto]"). */
export interface PublishedPort {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

/** One `volumes:` entry in short syntax ("source:target[:ro]"). */
export interface VolumeMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Reads docker-compose.yml (YAML merge keys on, as compose has them; duplicate keys are errors). */
export function loadComposeFile(path = repoPath("docker-compose.yml")): ComposeFile {
  const document = parse(readFileSync(path, "utf8"), { merge: true }) as ComposeFile;
  if (typeof document !== "object" || document === null || typeof document.services !== "object") {
    throw new Error(`${path} has no services`);
  }
  return document;
}

/** The service's command as an argument list; the deploy files use the exec (list) form only. */
export function commandArgs(service: ComposeService): string[] {
  if (!Array.isArray(service.command)) throw new Error(`expected a command list, got ${JSON.stringify(service.command)}`);
  return service.command.map(String);
}

/** The service's environment as a map (list form "KEY=value" included). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry) => [entry.split("=")[0]!, entry.slice(entry.indexOf("=") + 1)]));
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? "" : String(value)]));
}

/** The service's published ports. */
export function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((entry) => {
    const match = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(String(entry));
    if (!match) throw new Error(`unsupported ports entry ${JSON.stringify(entry)}`);
    return {
      ...(match[1] ? { hostIp: match[1] } : {}),
      hostPort: Number(match[2]),
      containerPort: Number(match[3]),
      protocol: match[4] ?? "tcp",
    };
  });
}

/** The service's bind mounts and volumes. */
export function volumeMounts(service: ComposeService): VolumeMount[] {
  return (service.volumes ?? []).map((entry) => {
    const [source, target, mode] = String(entry).split(":");
    if (!source || !target) throw new Error(`unsupported volumes entry ${JSON.stringify(entry)}`);
    return { source, target, readOnly: mode === "ro" };
  });
}

/** The networks the service joins, with its fixed IPv4 address on each when it has one. */
export function serviceNetworks(service: ComposeService): Array<{ network: string; ipv4Address?: string }> {
  const networks = service.networks ?? [];
  if (Array.isArray(networks)) return networks.map((network) => ({ network }));
  return Object.entries(networks).map(([network, settings]) => ({
    network,
    ...(settings?.ipv4_address ? { ipv4Address: settings.ipv4_address } : {}),
  }));
}

/** The names of the services this one waits for, with the condition it waits on. */
export function dependencies(service: ComposeService): Array<{ name: string; condition: string }> {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) return dependsOn.map((name) => ({ name, condition: "service_started" }));
  return Object.entries(dependsOn).map(([name, settings]) => ({ name, condition: settings?.condition ?? "service_started" }));
}

/** The health check command as one string (for finding the port it probes). */
export function healthcheckText(service: ComposeService): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(" ") : (test ?? "");
}

/** Parses a compose duration ("15s", "1m30s", "500ms") into milliseconds. */
export function composeDurationMs(value: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  let total = 0;
  const rest = value.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_match, amount: string, unit: string) => {
    total += Number(amount) * units[unit]!;
    return "";
  });
  if (rest !== "" || value === "") throw new Error(`not a compose duration: ${value}`);
  return total;
}
