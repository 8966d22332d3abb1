import type { Logger } from "pino";
import type { ServiceInstance } from "../model/service-instance.js";
import { instanceFromHealthEntry } from "./health-entry.js";
import { InstanceInterner } from "./instance-interner.js";
import { isObject } from "./is-object.js";

/** Distinct warnings remembered before the set starts over (each is logged once, not on every read). */
const warnedCap = 10_000;

/** What one `/v1/health/service/:name` answer holds for the model. */
export interface ServiceEntries {
  /** The plain instances, their parts shared with equal ones already read. */
  readonly instances: ServiceInstance[];
  /** Nodes those instances are on. */
  readonly nodes: ReadonlySet<string>;
  /** Every entry was a sidecar or gateway: not a service the bridge routes to. */
  readonly onlyOtherKinds: boolean;
}

/**
 * Turns one datacenter's `/v1/health/service/:name` answers into instances (see
 * instanceFromHealthEntry): skipped entries are logged once each, with the service and instance
 * named, and the raft indexes the entries carry are handed to `remember` (they explain catalog moves).
 */
export class ServiceEntryReader {
  private readonly warned = new Set<string>();
  /** Shares the immutable parts of instances across reads and services (see InstanceInterner). */
  private readonly interner = new InstanceInterner();

  constructor(
    private readonly datacenter: string,
    private readonly log: Logger,
    private readonly remember: (index: number) => void,
  ) {}

  /** Reads the entries of service `name`. */
  read(name: string, entries: readonly unknown[]): ServiceEntries {
    const instances: ServiceInstance[] = [];
    const nodes = new Set<string>();
    let otherKinds = 0;
    for (const entry of entries) {
      if (isObject(entry) && isObject(entry.Service)) {
        this.remember(Number(entry.Service.CreateIndex));
        this.remember(Number(entry.Service.ModifyIndex));
      }
      const result = instanceFromHealthEntry(entry, this.datacenter);
      if (result.kind === "instance") {
        instances.push(this.interner.intern(result.instance));
        nodes.add(result.instance.node);
        continue;
      }
      if (result.level === "debug") {
        otherKinds += 1;
        this.log.debug({ service: name, instance: result.instanceId, reason: result.reason }, "skipped instance");
        continue;
      }
      this.warnOnce(name, result.instanceId, result.reason);
    }
    return { instances, nodes, onlyOtherKinds: entries.length > 0 && otherKinds === entries.length };
  }

  private warnOnce(service: string, instance: string, reason: string): void {
    const key = `${service}\u0000${instance}\u0000${reason}`;
    if (this.warned.has(key)) return;
    if (this.warned.size > warnedCap) this.warned.clear();
    this.warned.add(key);
    this.log.warn({ service, instance, reason }, `skipped instance ${instance} of service ${service}: ${reason}`);
  }
}
