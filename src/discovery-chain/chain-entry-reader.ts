import { type ConfigEntry, type ConfigEntryKey, configEntryKey } from "../model/config-entry.js";
import { validateConfigEntry } from "../model/validate-config-entry.js";
import type { ChainContext, ChainDependencies, ChainProblem } from "./discovery-chain.js";

/** Thrown while compiling to abandon an invalid chain (caught by compileDiscoveryChain). */
export class ChainError extends Error {
  constructor(readonly problem: ChainProblem) {
    super(problem.message);
  }
}

/**
 * How one chain compilation reads config entries: every key consulted (present or not) and every
 * service read is recorded as a dependency, each entry is checked with Consul's own validation once,
 * and the protocols of the chain's services are checked for consistency, as Consul does.
 */
export class ChainEntryReader {
  readonly services = new Set<string>();
  private readonly entryKeys = new Set<ConfigEntryKey>();
  private readonly validated = new Set<ConfigEntryKey>();
  private protocol: string | undefined;

  constructor(
    private readonly chainService: string,
    readonly context: ChainContext,
  ) {
    this.services.add(chainService);
  }

  /** What the chain was compiled from. */
  dependencies(): ChainDependencies {
    return { services: this.services, entries: this.entryKeys };
  }

  /** The entry under `key` as it is, recorded as a dependency. */
  consult(key: ConfigEntryKey): ConfigEntry | undefined {
    this.entryKeys.add(key);
    return this.context.entries.entries.get(key);
  }

  /** The entry under `key`, checked with Consul's own validation once. */
  entry(key: ConfigEntryKey): ConfigEntry | undefined {
    const entry = this.consult(key);
    if (entry && !this.validated.has(key)) {
      this.validated.add(key);
      const problem = validateConfigEntry(entry);
      if (problem !== undefined) throw new ChainError({ entry: key, message: problem });
    }
    return entry;
  }

  /**
   * Consul's protocol of a service (its recordServiceProtocol): the service-defaults' `Protocol`
   * whenever that entry exists — one without `Protocol` is tcp, even when proxy-defaults sets one
   * (hashicorp/consul#11457) — else proxy-defaults `global`, else tcp; checked against the chain's.
   */
  protocolOf(service: string): string {
    const own = this.consult(configEntryKey("service-defaults", service));
    const global = this.consult(configEntryKey("proxy-defaults", "global"));
    const value =
      own?.kind === "service-defaults"
        ? (own.protocol ?? "tcp")
        : ((global?.kind === "proxy-defaults" ? global.protocol : undefined) ?? "tcp");
    if (this.protocol === undefined) this.protocol = value;
    else if (this.protocol !== value) {
      throw new ChainError({
        entry: configEntryKey("service-defaults", service),
        field: "Protocol",
        message: `discovery chain ${JSON.stringify(this.chainService)} uses inconsistent protocols; service ${JSON.stringify(service)} has ${JSON.stringify(value)} which is not ${JSON.stringify(this.protocol)}`,
      });
    }
    return value;
  }
}
