import type { ChainEndpointSource, ChainTarget } from "../discovery-chain/index.js";
import type { ServiceInstance } from "../model/service-instance.js";
import type { ModelView } from "../model/service-model.js";
import type { EndpointCandidate } from "./build-load-assignment.js";
import { classifyEndpointAddress, type EndpointAddress } from "./endpoint-address.js";
import type { MappingWarning } from "./mapping-warning.js";

/** One priority group of a target's assignment: the candidates of one source, in order. */
export interface ChainEndpointGroup {
  /** A label for warnings: `<service>` in `<datacenter>`, with the subset. */
  readonly datacenter: string;
  readonly candidates: readonly EndpointCandidate[];
}

const entries = new WeakMap<ServiceInstance, unknown>();

/**
 * The instance as a `/v1/health/service` entry, the value subset filters are evaluated on (what
 * Consul evaluates them on), built once per instance object. The model keeps no per-check detail, so
 * `Checks` is empty, and only the fields the model has are present: Node.Node, Node.Datacenter,
 * Node.Meta, Service.ID, Service.Service, Service.Tags, Service.Address, Service.Port,
 * Service.Meta, Service.Weights.
 */
export function filterEntryOf(service: string, instance: ServiceInstance): unknown {
  let entry = entries.get(instance);
  if (entry === undefined) {
    entry = {
      Node: { Node: instance.node, Datacenter: instance.datacenter, Meta: instance.nodeMeta },
      Service: {
        ID: instance.id,
        Service: service,
        Tags: instance.tags,
        Address: instance.address,
        Port: instance.port,
        Meta: instance.meta,
        Weights: { Passing: instance.weights.passing, Warning: instance.weights.warning },
      },
      Checks: [],
    };
    entries.set(instance, entry);
  }
  return entry;
}

/** The sources a target's assignment is built from, in priority order. */
export function chainTargetSources(target: ChainTarget, servedDatacenters: readonly string[]): ChainEndpointSource[] {
  const sources: ChainEndpointSource[] = [target];
  if (target.failoverByFlag) {
    for (const datacenter of servedDatacenters) if (datacenter !== target.datacenter) sources.push({ ...target, datacenter });
  }
  sources.push(...target.failover);
  return sources;
}

/**
 * The endpoint candidates of a chain target, one group per source in priority order (the target's
 * own instances, then `--failover-datacenters` or the resolver's failover sources): the instances
 * of the source's service in its datacenter that its subset filter selects — warning instances left
 * out when the subset is `OnlyPassing` — with a usable port and an IP address (chain targets are EDS
 * clusters; other instances are skipped with a warning naming them). Health itself is judged later,
 * by the assignment builder.
 */
export function chainTargetEndpoints(
  view: ModelView,
  owner: string,
  target: ChainTarget,
): { groups: ChainEndpointGroup[]; warnings: MappingWarning[] } {
  const warnings: MappingWarning[] = [];
  const groups: ChainEndpointGroup[] = [];
  const served = [...new Set([view.localDatacenter, ...view.failoverDatacenters])];
  for (const source of chainTargetSources(target, served)) {
    const instances = view.services.get(source.service)?.get(source.datacenter)?.instances ?? [];
    const candidates: EndpointCandidate[] = [];
    for (const instance of instances) {
      if (source.matches && !safeMatch(source.matches, filterEntryOf(source.service, instance))) continue;
      if (source.onlyPassing && instance.health.status === "warning") continue;
      const address = classifyEndpointAddress(instance.address);
      const portOk = Number.isInteger(instance.port) && instance.port >= 1 && instance.port <= 65535;
      if (!portOk || address.kind !== "ip") {
        warnings.push({
          service: owner,
          instance: instance.id,
          datacenter: source.datacenter,
          code: !portOk ? "invalid-port" : address.kind === "hostname" ? "hostname-address" : "invalid-address",
          message: `instance ${instance.id} of ${source.service} on ${instance.node} cannot be an endpoint of a discovery-chain target (${describe(instance, address, portOk)}); skipped`,
        });
        continue;
      }
      candidates.push({ instance, address: address.address });
    }
    groups.push({ datacenter: source.datacenter, candidates });
  }
  return { groups, warnings };
}

function describe(instance: ServiceInstance, address: EndpointAddress, portOk: boolean): string {
  if (!portOk) return `port ${instance.port}`;
  if (address.kind === "hostname") return `hostname ${instance.address}; chain targets take IP addresses`;
  return address.kind === "invalid" ? address.reason : instance.address;
}

function safeMatch(matches: (entry: unknown) => boolean, entry: unknown): boolean {
  try {
    return matches(entry);
  } catch {
    return false;
  }
}
