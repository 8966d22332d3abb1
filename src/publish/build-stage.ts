import type { Logger } from "pino";
import type { MappingWarning, ResolvedMappingOptions, ServiceChainInput, ServiceMapping } from "../mapping/index.js";
import type { ModelView } from "../model/service-model.js";
import type { ChainStage } from "./chain-stage.js";

/** Options of {@link BuildStage}. */
export interface BuildStageOptions {
  readonly mapService: (
    view: ModelView,
    service: string,
    options: ResolvedMappingOptions,
    chain?: ServiceChainInput,
  ) => ServiceMapping | undefined;
  readonly options: ResolvedMappingOptions;
  /** Yield to the event loop after this much work, in ms (a full build of 10,000 services takes seconds). */
  readonly yieldAfterMs: number;
  readonly logger: Logger | undefined;
  /** Discovery chains from config entries; absent: plain routing for every service. */
  readonly chains?: { readonly stage: ChainStage; readonly downstreamService: string } | undefined;
}

/**
 * The mapping stage: maps each changed service once (the result is shared by every client kind),
 * with the discovery chain the chain stage compiled for it (its warnings join the mapping's).
 * A mapping that throws is a bug: it is logged and counted, and the service is left out of the
 * result, so everything it published stays as it was.
 */
export class BuildStage {
  /** Services mapped in total. */
  servicesBuilt = 0;
  /** Mappings that threw, in total. */
  buildErrors = 0;

  constructor(private readonly options: BuildStageOptions) {}

  /**
   * Maps `names` against `view` one at a time, handing each mapping (undefined: the service has no
   * instances list any more) to `next` before the following one is made, so a full build never holds
   * every mapping at once. Returns the names mapped.
   */
  async forEach(
    view: ModelView,
    names: Iterable<string>,
    next: (name: string, mapping: ServiceMapping | undefined) => void,
  ): Promise<Set<string>> {
    const mapped = new Set<string>();
    let sliceStart = performance.now();
    let sinceCheck = 0;
    for (const name of names) {
      let mapping: ServiceMapping | undefined;
      try {
        const chains = this.options.chains;
        let chain: ServiceChainInput | undefined;
        let chainWarnings: readonly MappingWarning[] = [];
        if (chains && view.services.has(name)) {
          const outcome = chains.stage.chainFor(view, name);
          chainWarnings = outcome.warnings;
          if (outcome.chain) chain = { chain: outcome.chain, entries: outcome.entries, downstreamService: chains.downstreamService };
        } else {
          chains?.stage.forget(name);
        }
        mapping = this.options.mapService(view, name, this.options.options, chain);
        if (mapping && chainWarnings.length > 0) mapping = { ...mapping, warnings: [...mapping.warnings, ...chainWarnings] };
        this.servicesBuilt += 1;
      } catch (error) {
        this.buildErrors += 1;
        this.options.logger?.error({ err: error, service: name }, "mapping a service failed; its last good resources stay");
        continue;
      }
      mapped.add(name);
      next(name, mapping);
      if (++sinceCheck >= 32) {
        sinceCheck = 0;
        if (performance.now() - sliceStart >= this.options.yieldAfterMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    }
    return mapped;
  }
}
