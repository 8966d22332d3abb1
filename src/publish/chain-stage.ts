import { type ChainProblem, compileDiscoveryChain, type DiscoveryChain } from "../discovery-chain/index.js";
import type { MappingWarning } from "../mapping/index.js";
import type { ConfigEntryKey } from "../model/config-entry.js";
import { type ConfigEntriesView, type ConfigEntryChange, pickConfigEntries } from "../model/config-entry-store.js";
import type { ModelView } from "../model/service-model.js";

/** What the publisher needs of the config entries (ConfigEntryStore has it). */
export interface PublishedConfigEntries {
  view(): ConfigEntriesView;
  onChange(listener: (change: ConfigEntryChange) => void): () => void;
  whenSynced(): Promise<void>;
}

/** The chain a service is mapped with this publish, and what compiling it said. */
export interface ChainOutcome {
  /** Undefined: plain routing (no entry shapes the service, or its first chain is invalid). */
  readonly chain: DiscoveryChain | undefined;
  /**
   * The entries `chain` was compiled from, to map it with: the current ones for a fresh chain, the
   * ones read back then for a kept last good chain (never the entries that made the new one invalid).
   */
  readonly entries: ConfigEntriesView;
  readonly warnings: readonly MappingWarning[];
}

interface Dependencies {
  readonly services: ReadonlySet<string>;
  readonly entries: ReadonlySet<ConfigEntryKey>;
}

/**
 * The discovery-chain stage of the publisher, before mapping: compiles each rebuilt service's chain
 * from the current config entries, keeps the last good chain of every service with the entries it
 * read (an invalid chain never replaces it: the service keeps routing as before — mapped with the
 * entries of back then — or plainly if it never had one, with a warning naming the entry), and keeps the reverse index of what every chain read — other services
 * and config-entry keys — so a change rebuilds exactly the services whose chain it touches.
 */
export class ChainStage {
  /** Chains compiled in total. */
  compiled = 0;
  /** Compilations refused (invalid input) in total. */
  refused = 0;
  private readonly lastGood = new Map<
    string,
    { readonly chain: DiscoveryChain; readonly dependencies: Dependencies; readonly entries: ConfigEntriesView }
  >();
  private readonly dependenciesOf = new Map<string, Dependencies>();
  private readonly byService = new Map<string, Set<string>>();
  private readonly byEntry = new Map<ConfigEntryKey, Set<string>>();

  constructor(
    private readonly entries: PublishedConfigEntries,
    private readonly downstreamService: string,
  ) {}

  /** Compiles the chain of `service` against `view` and the current entries. */
  chainFor(view: ModelView, service: string): ChainOutcome {
    this.compiled += 1;
    const served = [...new Set([view.localDatacenter, ...view.failoverDatacenters])];
    const entries = this.entries.view();
    const result = compileDiscoveryChain(service, {
      entries,
      localDatacenter: view.localDatacenter,
      servedDatacenters: served,
      hasService: (name) => view.services.has(name),
      downstreamService: this.downstreamService,
    });
    const warnings: MappingWarning[] = result.warnings.map((problem) => ({
      service,
      code: "ignored-config-entry" as const,
      message: describe(problem),
    }));
    if (result.chain) {
      if (result.chain.isDefault) this.lastGood.delete(service);
      else {
        const read = pickConfigEntries(entries, result.dependencies.entries);
        this.lastGood.set(service, { chain: result.chain, dependencies: result.dependencies, entries: read });
      }
      this.index(service, result.dependencies);
      return { chain: result.chain.isDefault ? undefined : result.chain, entries, warnings };
    }
    this.refused += 1;
    const kept = this.lastGood.get(service);
    for (const problem of result.errors) {
      warnings.push({
        service,
        code: "invalid-config-entry",
        message: `${describe(problem)}; ${kept ? "keeping the last good discovery chain" : "plain routing until it is fixed"}`,
      });
    }
    // Rebuild on a change to what the old chain reads (its targets) and to what made the new one fail.
    const services = new Set([...result.dependencies.services, ...(kept?.dependencies.services ?? [])]);
    const keys = new Set([...result.dependencies.entries, ...(kept?.dependencies.entries ?? [])]);
    this.index(service, { services, entries: keys });
    return { chain: kept?.chain, entries: kept?.entries ?? entries, warnings };
  }

  /** Forgets a service that left the model. */
  forget(service: string): void {
    this.lastGood.delete(service);
    this.index(service, undefined);
  }

  /** The services whose chains read any of these services' instances or any of these entries. */
  dependents(services: Iterable<string>, keys: Iterable<ConfigEntryKey>): Set<string> {
    const out = new Set<string>();
    for (const name of services) for (const owner of this.byService.get(name) ?? []) out.add(owner);
    for (const key of keys) for (const owner of this.byEntry.get(key) ?? []) out.add(owner);
    return out;
  }

  private index(owner: string, next: Dependencies | undefined): void {
    const before = this.dependenciesOf.get(owner);
    for (const name of before?.services ?? []) if (!next?.services.has(name)) remove(this.byService, name, owner);
    for (const key of before?.entries ?? []) if (!next?.entries.has(key)) remove(this.byEntry, key, owner);
    if (!next) {
      this.dependenciesOf.delete(owner);
      return;
    }
    for (const name of next.services) if (name !== owner && !before?.services.has(name)) add(this.byService, name, owner);
    for (const key of next.entries) if (!before?.entries.has(key)) add(this.byEntry, key, owner);
    this.dependenciesOf.set(owner, next);
  }
}

function describe(problem: ChainProblem): string {
  const where =
    problem.entry === undefined ? "discovery chain" : problem.field === undefined ? problem.entry : `${problem.entry} ${problem.field}`;
  return `${where}: ${problem.message}`;
}

function add<K>(index: Map<K, Set<string>>, key: K, owner: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(owner);
}

function remove<K>(index: Map<K, Set<string>>, key: K, owner: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(owner);
  if (set.size === 0) index.delete(key);
}
