import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A Consul agent check in a service definition file (snake_case keys, as Consul's config files use). */
export interface ConsulCheckDefinition {
  id?: string;
  name?: string;
  http?: string;
  method?: string;
  grpc?: string;
  grpc_use_tls?: boolean;
  tcp?: string;
  ttl?: string;
  interval?: string;
  timeout?: string;
}

/** A Consul agent service definition (`{"service": {...}}` in the agent's config dir). */
export interface ConsulServiceDefinition {
  /** The file it came from, relative to the folder. */
  file: string;
  id: string;
  name: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  checks: ConsulCheckDefinition[];
}

/**
 * Reads every service definition file of an agent config folder. Throws on anything the deploy
 * files should not contain: a non-JSON file, a file without `service`, a definition missing id,
 * name, address or port.
 */
export function readConsulServiceDefinitions(folder: string): ConsulServiceDefinition[] {
  return readdirSync(folder)
    .sort()
    .flatMap((file) => {
      if (!file.endsWith(".json")) throw new Error(`${file}: only .json service definitions are expected in ${folder}`);
      const document = JSON.parse(readFileSync(join(folder, file), "utf8")) as {
        service?: Record<string, unknown>;
        config_entries?: unknown;
      };
      // Agent config files holding only config entries (config_entries.bootstrap) define no service.
      if (document.service === undefined && document.config_entries !== undefined) return [];
      const service = document.service;
      if (!service || typeof service !== "object") throw new Error(`${file}: no "service" object`);
      const { id, name, address, port } = service as { id?: unknown; name?: unknown; address?: unknown; port?: unknown };
      if (typeof id !== "string" || typeof name !== "string" || typeof address !== "string" || typeof port !== "number") {
        throw new Error(`${file}: service needs string id, name, address and a numeric port`);
      }
      const single = service.check as ConsulCheckDefinition | undefined;
      const many = (service.checks as ConsulCheckDefinition[] | undefined) ?? [];
      return [
        {
          file,
          id,
          name,
          address,
          port,
          tags: (service.tags as string[] | undefined) ?? [],
          meta: (service.meta as Record<string, string> | undefined) ?? {},
          checks: [...(single ? [single] : []), ...many],
        },
      ];
    });
}
