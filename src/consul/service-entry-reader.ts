import type { Logger } from "pino";
import type { ServiceInstance } from "../model/service-instance.js";
import { type AddressRule, type HealthEntryResult, instanceFromHealthEntry } from "./health-entry.js";
import { InstanceInterner } from "./instance-interner.js";
import { isObject } from "./is-object.js";

/** Distinct warnings remembered before the set starts over (each is logged once, not on every read). */
const warnedCap = 10_000;

/** What one `/v1/health/service/:name` answer holds for the model. */
export type ServiceEntries =
  | {
      readonly usable: true;
      /** The plain instances (new records, and the last good record of those whose new one is unreadable). */
      readonly instances: ServiceInstance[];
      /** Nodes those instances are on. */
      readonly nodes: ReadonlySet<string>;
      /** Every entry was a sidecar or gateway: not a service the bridge routes to. */
      readonly onlyOtherKinds: boolean;
    }
  | {
      /** Entries came, none was readable: a failed read, not "no instances" (that is `[]`). */
      readonly usable: false;
      /** How many entries were unreadable. */
      readonly unreadable: number;
    };

type Skipped = Extract<HealthEntryResult, { kind: "skip" }>;

const keyOf = (node: string, id: string): string => `${node}\u0000${id}`;

/**
 * Turns one datacenter's `/v1/health/service/:name` answers into instances (see
 * instanceFromHealthEntry) without ever letting an unreadable record withdraw an instance (a readable
 * but unroutable one, such as port 0, is skipped with a warning): an entry that cannot be read keeps
 * the last good record of the instance it was about, found by what it still says (`Service.ID`,
 * `Node.Node`; an entry saying neither keeps every earlier instance the answer does not show), each
 * with a warning naming service and instance, logged once. An answer
 * whose entries are all unreadable is not usable at all. The raft indexes the entries carry are
 * handed to `remember` (they explain catalog moves).
 */
export class ServiceEntryReader {
  private readonly warned = new Set<string>();
  /** Shares the immutable parts of instances across reads and services (see InstanceInterner). */
  private readonly interner = new InstanceInterner();

  constructor(
    private readonly datacenter: string,
    private readonly log: Logger,
    private readonly remember: (index: number) => void,
    /** Which address of an entry is used (the WAN rule for datacenters other than the local one). */
    private readonly addressRule: AddressRule = "lan",
  ) {}

  /** Reads the entries of service `name`; `previous` are its instances in the model now. */
  read(name: string, entries: readonly unknown[], previous: readonly ServiceInstance[] = []): ServiceEntries {
    const fresh: ServiceInstance[] = [];
    const skipped: Skipped[] = [];
    let otherKinds = 0;
    for (const entry of entries) {
      if (isObject(entry) && isObject(entry.Service)) {
        this.remember(Number(entry.Service.CreateIndex));
        this.remember(Number(entry.Service.ModifyIndex));
      }
      const result = instanceFromHealthEntry(entry, this.datacenter, this.addressRule);
      if (result.kind === "instance") fresh.push(this.interner.intern(result.instance));
      else if (result.unreadable) skipped.push(result);
      else if (result.level === "warn") this.warnOnce(name, result, "");
      else {
        otherKinds += 1;
        this.log.debug({ service: name, instance: result.instanceId, reason: result.reason }, "skipped instance");
      }
    }
    if (skipped.length > 0 && fresh.length === 0 && otherKinds < entries.length) {
      for (const skip of skipped) this.warnOnce(name, skip, previous.length > 0 ? "keeping the last good instances" : "");
      return { usable: false, unreadable: skipped.length };
    }
    const instances = [...fresh, ...this.keptRecords(name, skipped, fresh, previous)];
    return {
      usable: true,
      instances,
      nodes: new Set(instances.map((i) => i.node)),
      onlyOtherKinds: entries.length > 0 && otherKinds === entries.length,
    };
  }

  /** The earlier records the unreadable entries stand for, each skipped entry warned about once. */
  private keptRecords(
    name: string,
    skipped: readonly Skipped[],
    fresh: readonly ServiceInstance[],
    previous: readonly ServiceInstance[],
  ): ServiceInstance[] {
    if (skipped.length === 0) return [];
    const shown = new Set(fresh.map((i) => keyOf(i.node, i.id)));
    const unshown = previous.filter((i) => !shown.has(keyOf(i.node, i.id)));
    const kept = new Set<ServiceInstance>();
    for (const skip of skipped) {
      // What the record still says narrows which earlier instance it was; saying nothing, it could be any.
      const matches = unshown.filter(
        (i) => (skip.instanceId === "?" || i.id === skip.instanceId) && (skip.node === undefined || i.node === skip.node),
      );
      for (const instance of matches) kept.add(instance);
      this.warnOnce(name, skip, matches.length > 0 ? "keeping its last good record" : "no earlier record to keep");
    }
    return [...kept];
  }

  private warnOnce(service: string, skip: Skipped, outcome: string): void {
    const instance = skip.instanceId;
    const key = `${service}\u0000${instance}\u0000${skip.node ?? ""}\u0000${skip.reason}\u0000${outcome}`;
    if (this.warned.has(key)) return;
    if (this.warned.size > warnedCap) this.warned.clear();
    this.warned.add(key);
    this.log.warn(
      { service, instance, ...(skip.node !== undefined ? { node: skip.node } : {}), reason: skip.reason },
      `skipped instance ${instance} of service ${service}: ${skip.reason}${outcome === "" ? "" : `; ${outcome}`}`,
    );
  }
}
