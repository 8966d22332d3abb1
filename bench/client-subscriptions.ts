import { clusterType, endpointType, listenerType, routeType } from "../src/snapshot/index.js";
import type { BenchSubscription } from "./ads-client.js";

/** Name of the i-th seeded service. */
export function serviceName(index: number): string {
  return `svc-${index}`;
}

/** The service every bench client uses: its flaps fan out to all K streams. */
export const hotService = serviceName(0);

/** How many services besides the hot one each client uses. */
export const otherServicesPerClient = 4;

/** What grpc-js sends as `node.user_agent_name`: the bridge serves such clients the gRPC snapshot. */
export const grpcUserAgent = "gRPC Node Pure JS";

/** A small deterministic PRNG (mulberry32), so a client uses the same services in every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The services client `client` uses, like a proxyless gRPC application with a handful of upstreams:
 * the hot service plus {@link otherServicesPerClient} others drawn (deterministically) from the rest of
 * the catalog, so popular and unpopular services both occur and most services have no client at all.
 */
export function clientServices(client: number, services: number): string[] {
  const others = new Set<string>();
  const next = random(client + 1);
  const wanted = Math.min(otherServicesPerClient, services - 1);
  while (others.size < wanted) others.add(serviceName(1 + Math.floor(next() * (services - 1))));
  return [hotService, ...others];
}

/**
 * A proxyless gRPC client's subscriptions for `names` after a reconnect: the listener of each
 * `xds:///<name>` target, its route configuration, cluster and endpoints, all requested at once on one
 * ADS stream (a cold grpc-js client discovers them one type at a time; a reconnecting one re-sends all).
 */
export function grpcSubscriptions(names: readonly string[]): BenchSubscription[] {
  return [listenerType, routeType, clusterType, endpointType].map((typeUrl) => ({ typeUrl, names }));
}

/** The service scoped Envoy `envoy` names before it exists; scenario 9 registers it to measure a cluster change. */
export function pendingUpstream(envoy: number): string {
  return `bench-scoped-new-${envoy}`;
}

/**
 * The upstreams (node metadata `consul-xds-bridge.upstreams`) of scoped Envoy `envoy` in scenario 9:
 * `count − 1` services drawn (deterministically, apart from the proxyless clients' draws) from the
 * catalog without the hot service, plus one that does not exist yet ({@link pendingUpstream}), as a
 * proxy deployed before the service it calls.
 */
export function scopedUpstreams(envoy: number, services: number, count: number): string[] {
  const names = new Set<string>();
  const next = random(0x5c0bed + envoy);
  const wanted = Math.min(count - 1, services - 1);
  while (names.size < wanted) names.add(serviceName(1 + Math.floor(next() * (services - 1))));
  return [...names, pendingUpstream(envoy)];
}
