import type { Logger } from "pino";
import type { Clock } from "../model/clock.js";
import type { HealthPolicy } from "../model/health-policy.js";
import { ServiceModel } from "../model/service-model.js";
import { WithdrawalGuard } from "../model/withdrawal-guard.js";
import type { BridgeMetrics } from "../observe/bridge-metrics.js";
import { holdLogFields, holdSentence } from "../observe/describe-withdrawal-hold.js";

/**
 * Default grace of a service that vanished from Consul: 5 minutes. A redeploy that deregisters a
 * service's last instance and registers the new one (stop, pull an image, start, first passing
 * check) takes seconds to a couple of minutes; within the grace clients see one EDS update, where
 * gRPC C-core 1.51, told the listener no longer exists, stays failing long after it returns.
 * Longer is cheap (an empty service costs a few resources, and its clients fail fast either way);
 * a deleted service still leaves within minutes.
 */
export const defaultVanishedServiceGraceMs = 5 * 60_000;

/** Default share of the served endpoints, in percent, withdrawn at once before a hold (0: off). */
export const defaultMaxWithdrawalPercent = 50;

/**
 * Default hold of a mass withdrawal: 10 minutes. Long enough for the alert (an error line, a
 * metric, `status` exiting 4) to reach someone through a pager's usual minutes of delay and for
 * them to undo an ACL or deploy mistake before any traffic is lost; a genuine mass decommission
 * meanwhile costs connection failures to instances already gone, which gRPC's round_robin and
 * Envoy's retries route around. An operator confirms sooner with ConfirmWithdrawal.
 */
export const defaultWithdrawalHoldMs = 10 * 60_000;

/** The bridge's settings for what keeps Consul's answers from taking traffic away (part of BridgeConfig). */
export interface BridgeGuardSettings {
  /**
   * How long a service that vanished from Consul keeps its resources, with no endpoints, so a
   * redeploy registering it again is one EDS update (ms; default {@link defaultVanishedServiceGraceMs}; 0 = off).
   */
  vanishedServiceGraceMs?: number | undefined;
  /**
   * The largest share of served endpoints, in percent, that Consul's answers may withdraw at once
   * before the bridge holds the withdrawal (default {@link defaultMaxWithdrawalPercent}; 0 = never hold). See WithdrawalGuard.
   */
  maxWithdrawalPercent?: number | undefined;
  /** How long a held withdrawal waits before it is applied anyway (ms; default {@link defaultWithdrawalHoldMs}). */
  withdrawalHoldMs?: number | undefined;
  /** Paces the model's grace periods and the withdrawal hold (default the system clock; tests pass a virtual one). */
  clock?: Clock | undefined;
}

/** What {@link createGuardedModel} needs: the bridge's settings for the two guards, and where to report. */
export interface GuardedModelOptions extends BridgeGuardSettings {
  readonly localDatacenter: string;
  readonly failoverDatacenters: readonly string[];
  readonly healthPolicy: HealthPolicy;
  readonly metrics: BridgeMetrics;
  /** Where a hold is told (the Consul component's logger). */
  readonly log: Logger;
}

/**
 * The bridge's model with what keeps Consul's answers from taking traffic away: the grace of
 * vanished services (in the model) and the mass-withdrawal guard the watcher writes through, whose
 * holds are logged (an error naming the services, then how it ended) and counted.
 */
export function createGuardedModel(options: GuardedModelOptions): { model: ServiceModel; guard: WithdrawalGuard } {
  const { log } = options;
  const model = new ServiceModel({
    localDatacenter: options.localDatacenter,
    failoverDatacenters: options.failoverDatacenters,
    vanishedGraceMs: options.vanishedServiceGraceMs ?? defaultVanishedServiceGraceMs,
    clock: options.clock,
  });
  const guard: WithdrawalGuard = new WithdrawalGuard({
    model,
    healthPolicy: options.healthPolicy,
    maxWithdrawalPercent: options.maxWithdrawalPercent ?? defaultMaxWithdrawalPercent,
    holdMs: options.withdrawalHoldMs ?? defaultWithdrawalHoldMs,
    clock: options.clock,
    onHeld: () => {
      options.metrics.withdrawalHeld();
      // Logged once the answer that tripped the guard has been applied whole, so the line names
      // every service it held, not only those seen before the limit was crossed.
      setImmediate(() => {
        const hold = guard.hold;
        if (hold) log.error(holdLogFields(hold), `holding a mass withdrawal: ${holdSentence(hold)}`);
      });
    },
    onReleased: (hold, reason) => {
      const fields = holdLogFields(hold);
      if (reason === "recovered") log.info(fields, `held withdrawal ${hold.id} no longer needed: Consul serves the endpoints again`);
      else if (reason === "confirmed") log.warn(fields, `applying held withdrawal ${hold.id}: confirmed by an operator`);
      else log.warn(fields, `applying held withdrawal ${hold.id}: it persisted for the hold time`);
    },
  });
  return { model, guard };
}
