/** Most distinct node sets shared before the table starts over (a churning catalog must not grow it forever). */
const maxSharedSets = 10_000;

/**
 * Which bridged services have an instance on which node, as the service reads showed: a changed node
 * check (serfHealth, node maintenance) changes every service on that node, and the check feed names
 * only the node. Services spread over the same nodes share one set object.
 */
export class NodeServiceIndex {
  private readonly serviceNodes = new Map<string, ReadonlySet<string>>();
  private readonly nodeServices = new Map<string, Set<string>>();
  private readonly sharedSets = new Map<string, ReadonlySet<string>>();

  /** Records that `service` has instances on exactly `nodes` now. */
  set(service: string, nodes: ReadonlySet<string>): void {
    for (const node of this.serviceNodes.get(service) ?? []) {
      if (nodes.has(node)) continue;
      const services = this.nodeServices.get(node);
      services?.delete(service);
      if (services?.size === 0) this.nodeServices.delete(node);
    }
    for (const node of nodes) {
      let services = this.nodeServices.get(node);
      if (!services) this.nodeServices.set(node, (services = new Set()));
      services.add(service);
    }
    if (nodes.size === 0) this.serviceNodes.delete(service);
    else this.serviceNodes.set(service, this.shared(nodes));
  }

  /** Forgets `service` (deregistered or no longer bridged). */
  delete(service: string): void {
    this.set(service, new Set());
  }

  /** The services with an instance on `node` (empty when none is known). */
  servicesOn(node: string): Iterable<string> {
    return this.nodeServices.get(node) ?? [];
  }

  private shared(nodes: ReadonlySet<string>): ReadonlySet<string> {
    const key = [...nodes].sort().join("\u0000");
    const existing = this.sharedSets.get(key);
    if (existing) return existing;
    if (this.sharedSets.size >= maxSharedSets) this.sharedSets.clear();
    this.sharedSets.set(key, nodes);
    return nodes;
  }
}
