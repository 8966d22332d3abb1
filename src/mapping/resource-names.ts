// How Consul names become xDS resource names. Consul accepts almost any non-empty string as a
// service name (names that are not DNS labels only draw a warning), so names are escaped:
// [A-Za-z0-9._-] stay as they are and every other UTF-8 byte becomes %XX (upper-case hex, "%"
// itself included). The escaping is injective, so two Consul names never share a resource name,
// and the result has no ":", "*", "/" or whitespace: it is a valid Envoy name, a valid virtual host
// domain, never an `xdstp:` name, and usable as is in an `xds:///<name>` target. Names the bridge
// owns itself (the Envoy listener and its route configuration) contain ":", so they can never
// collide with a service's names.

const SAFE = /^[A-Za-z0-9._-]*$/;
const encoder = new TextEncoder();

/** The xDS resource name of a Consul name: itself when it is made of [A-Za-z0-9._-], else escaped. */
export function resourceNameFor(consulName: string): string {
  if (SAFE.test(consulName)) return consulName;
  let out = "";
  for (const char of consulName) {
    if (SAFE.test(char)) {
      out += char;
      continue;
    }
    for (const byte of encoder.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Name of the Envoy HTTP listener (bridge-owned: contains ":", which escaped service names never do). */
export const envoyListenerName = "consul-xds-bridge:http";

/** Name of the Envoy listener's RouteConfiguration (bridge-owned, like {@link envoyListenerName}). */
export const envoyRouteConfigurationName = "consul-xds-bridge:http";
