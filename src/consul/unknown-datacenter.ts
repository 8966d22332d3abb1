import type { ConsulClient } from "./consul-client.js";

/**
 * Whether Consul knows `datacenter` at all, from `/v1/catalog/datacenters`: "No path to datacenter"
 * means either a name Consul never heard of (a typo in `--datacenter`, which retrying cannot fix)
 * or a known datacenter that cannot be reached right now (which it can). Resolves with the names
 * Consul knows when `datacenter` is not among them; with undefined when it is, or when the list
 * cannot be read (then nothing is decided and the watch goes on retrying).
 */
export async function knownDatacentersWithout(
  client: ConsulClient,
  datacenter: string,
  query: { readonly timeoutMs: number; readonly signal: AbortSignal },
): Promise<string[] | undefined> {
  try {
    const { body } = await client.catalogDatacenters(query);
    if (!Array.isArray(body)) return undefined;
    const known = body.filter((name): name is string => typeof name === "string");
    return known.includes(datacenter) ? undefined : known;
  } catch {
    return undefined;
  }
}
