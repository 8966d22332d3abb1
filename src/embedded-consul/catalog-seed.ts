import type { CheckStatus, ServiceWeights } from "./catalog-records.js";
import type { CatalogTransaction } from "./catalog-transaction.js";
import type { DatacenterCatalog } from "./datacenter-catalog.js";

/** One instance for `CatalogStore.seed`; every field but the port has a default. */
export interface SeedInstance {
  /** Default `<service>-<n>`. */
  readonly id?: string;
  /** Default `node-<n>` (n = position in the service's list), so services share nodes. */
  readonly node?: string;
  /** Address of the node when the seed creates it; default a unique 10.x.y.z. */
  readonly nodeAddress?: string;
  readonly nodeMeta?: Readonly<Record<string, string>>;
  /** Default "" (the node address is used). */
  readonly address?: string;
  /** Default 8080. */
  readonly port?: number;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  /** Default {1,1}; null renders `"Weights": null` like a catalog-API registration. */
  readonly weights?: ServiceWeights | null;
  readonly kind?: string;
  /** Status of the instance's single check `service:<id>`; null for no check. Default passing. */
  readonly status?: CheckStatus | null;
}

/** One service for `CatalogStore.seed`. */
export interface SeedService {
  readonly name: string;
  readonly instances: readonly SeedInstance[];
}

/**
 * Writes `services` into `dc` inside one transaction: nodes created as needed (`nextNode` numbers
 * their default addresses), each instance with one passing TTL check unless told otherwise.
 */
export function seedServices(
  dc: DatacenterCatalog,
  txn: CatalogTransaction,
  services: readonly SeedService[],
  nextNode: () => number,
): void {
  for (const service of services) {
    for (const [i, instance] of service.instances.entries()) {
      const nodeName = instance.node ?? `node-${i}`;
      if (!dc.node(nodeName) || instance.nodeAddress !== undefined || instance.nodeMeta !== undefined) {
        const n = nextNode();
        dc.ensureNode(txn, {
          name: nodeName,
          address: instance.nodeAddress ?? dc.node(nodeName)?.address ?? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
          meta: instance.nodeMeta ?? dc.node(nodeName)?.meta ?? {},
        });
      }
      const id = instance.id ?? `${service.name}-${i}`;
      dc.putService(txn, nodeName, {
        id,
        name: service.name,
        kind: instance.kind ?? "",
        tags: instance.tags ?? [],
        address: instance.address ?? "",
        taggedAddresses: {},
        meta: instance.meta ?? {},
        port: instance.port ?? 8080,
        weights: instance.weights === undefined ? { Passing: 1, Warning: 1 } : instance.weights,
        enableTagOverride: false,
      });
      if (instance.status !== null) {
        dc.putCheck(txn, nodeName, {
          checkId: `service:${id}`,
          name: `Service '${service.name}' check`,
          status: instance.status ?? "passing",
          notes: "",
          output: "",
          serviceId: id,
          type: "ttl",
          interval: "",
          timeout: "",
        });
      }
    }
  }
}
