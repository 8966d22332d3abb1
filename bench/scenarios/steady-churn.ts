import { endpointType } from "../../src/snapshot/index.js";
import { type BenchContext, type ScenarioResult, sleep } from "../bench-context.js";
import { hotService } from "../client-subscriptions.js";
import { metricRow } from "../metric-row.js";
import { monoMs } from "../mono-clock.js";
import { percentile } from "../stats.js";

/** Sorted arrival times per key. */
function index<T>(entries: readonly T[], key: (entry: T) => string, at: (entry: T) => number): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const entry of entries) {
    const k = key(entry);
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(at(entry));
  }
  for (const list of byKey.values()) list.sort((a, b) => a - b);
  return byKey;
}

/** The first time in sorted `times` at or after `from` (undefined: none). */
function firstAfter(times: readonly number[] | undefined, from: number): number | undefined {
  if (!times) return undefined;
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < from) low = mid + 1;
    else high = mid;
  }
  return times[low];
}

/**
 * Scenario 4: steady churn. The catalog changes instances at a steady rate (default 100/s) for a
 * while, walking the services the clients use (the hot one excepted) so a service changes again only
 * after all the others did. Lag = from the catalog's change to each subscribed client receiving that
 * service's assignment; "without growing lag" is judged as the median lag of the last third of the
 * changes over that of the first third (≤ 1.5×), with every change delivered to every subscriber.
 */
export async function runSteadyChurn(ctx: BenchContext): Promise<ScenarioResult> {
  const { options, catalog, bridge, workers, shares } = ctx;
  const subscribers = new Map<string, number[]>();
  for (const share of shares) {
    for (const spec of share) {
      for (const name of spec.services) {
        if (name === hotService) continue;
        let list = subscribers.get(name);
        if (!list) subscribers.set(name, (list = []));
        list.push(spec.id);
      }
    }
  }
  const services = [...subscribers.keys()].sort();
  await Promise.all(workers.map((w) => w.call("record", { on: true, typeUrl: endpointType })));
  await bridge.call("recordPublishes", { on: true });
  const changes = await catalog.call("churn", {
    services,
    instances: options.instances,
    ratePerSecond: options.churnRate,
    durationMs: options.churnSeconds * 1000,
  });
  // Let the bridge catch up: wait until nothing was published for 2 s (at most 60 s).
  const drainDeadline = monoMs() + 60_000;
  for (;;) {
    await sleep(250);
    const state = await bridge.call("publishLogState", undefined);
    if (monoMs() - Math.max(state.lastAt, changes.at(-1)?.at ?? 0) >= 2_000 || monoMs() > drainDeadline) break;
  }
  const pipeline = await bridge.call("recordPublishes", { on: false });
  const published = pipeline.published;
  const received = (await Promise.all(workers.map((w) => w.call("record", { on: false, typeUrl: endpointType })))).flat();

  const byClient = index(
    received,
    (r) => `${r.client}\u0000${r.name}`,
    (r) => r.at,
  );
  const byPublish = index(
    published,
    (p) => p.name,
    (p) => p.at,
  );
  const byAnswer = index(
    pipeline.answers,
    (a) => a.name,
    (a) => a.at,
  );
  const feeds = [...pipeline.feeds].sort((a, b) => a - b);
  // Where the time goes, stage by stage: Consul's change feed, the service read, the publish.
  const toFeed: number[] = [];
  const feedToAnswer: number[] = [];
  const answerToPublish: number[] = [];
  for (const change of changes) {
    const feedAt = firstAfter(feeds, change.at);
    const answerAt = firstAfter(byAnswer.get(change.service), change.at);
    const publishAt = firstAfter(byPublish.get(change.service), change.at);
    if (feedAt !== undefined) toFeed.push(feedAt - change.at);
    if (feedAt !== undefined && answerAt !== undefined) feedToAnswer.push(answerAt - feedAt);
    if (answerAt !== undefined && publishAt !== undefined) answerToPublish.push(publishAt - answerAt);
  }
  const pushLags: number[] = [];
  const perChange: Array<{ at: number; lag: number }> = [];
  const publishLags: number[] = [];
  let expected = 0;
  let delivered = 0;
  for (const change of changes) {
    const publishAt = firstAfter(byPublish.get(change.service), change.at);
    if (publishAt !== undefined) publishLags.push(publishAt - change.at);
    // The change's lag is that of its slowest subscriber; a change some subscriber never got is left
    // out of the growth figure (it shows in the delivered share instead).
    let worst = 0;
    for (const client of subscribers.get(change.service) ?? []) {
      expected += 1;
      const at = firstAfter(byClient.get(`${client}\u0000${change.service}`), change.at);
      if (at === undefined) {
        worst = Number.NaN;
        continue;
      }
      delivered += 1;
      pushLags.push(at - change.at);
      worst = Math.max(worst, at - change.at);
    }
    perChange.push({ at: change.at, lag: worst });
  }
  const third = Math.floor(perChange.length / 3);
  const lags = (part: typeof perChange) =>
    part
      .map((c) => c.lag)
      .filter((lag) => !Number.isNaN(lag))
      .sort((a, b) => a - b);
  const first = lags(perChange.slice(0, third));
  const last = lags(perChange.slice(perChange.length - third));
  const growth = percentile(last, 50) / percentile(first, 50);
  const spanS = changes.length > 1 ? (changes.at(-1)!.at - changes[0]!.at) / 1000 : Number.NaN;
  const rate = changes.length / Math.max(spanS, options.churnSeconds);
  ctx.log(
    `  churn: ${changes.length} changes over ${services.length} services at ${rate.toFixed(0)}/s; push lag p50 ${percentile(
      [...pushLags].sort((a, b) => a - b),
      50,
    ).toFixed(0)} ms, growth ${growth.toFixed(2)}×, delivered ${delivered}/${expected}`,
  );
  return {
    id: 4,
    title: "steady churn",
    rows: [
      metricRow(4, "changes made per second (catalog)", "/s", [rate]),
      metricRow(4, "change → push, every subscriber", "ms", pushLags),
      metricRow(4, "change → snapshot published", "ms", publishLags),
      metricRow(4, "  of which: change → check feed answer processed", "ms", toFeed),
      metricRow(4, "  of which: feed answer → service read answered", "ms", feedToAnswer),
      metricRow(4, "  of which: service answer → snapshot published", "ms", answerToPublish),
      metricRow(4, "lag growth: p50 last third ÷ first third", "×", [growth], { stat: "median", op: "<=", value: 1.5 }),
      metricRow(4, "pushes delivered", "%", [expected === 0 ? Number.NaN : (100 * delivered) / expected], {
        stat: "median",
        op: ">=",
        value: 100,
      }),
    ],
    details: {
      feedAnswers: feeds.length,
      changes: changes.length,
      services: services.length,
      expected,
      delivered,
      firstThirdP50: percentile(first, 50),
      lastThirdP50: percentile(last, 50),
    },
  };
}
