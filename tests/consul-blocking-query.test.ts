import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBackoff } from "../src/consul/backoff.js";
import { type BlockingOutcome, nextBlockingIndex, runBlockingQuery } from "../src/consul/blocking-query.js";
import type { ConsulResponse } from "../src/consul/consul-client.js";
import { ConsulError } from "../src/consul/consul-error.js";
import { createTokenBucket } from "../src/consul/token-bucket.js";
import { virtualClock } from "./support/consul-test-support.js";

type Step = { index: number; body: string } | Error;

/** Runs a loop over scripted answers; returns what it sent, saw and slept. */
async function script(steps: Step[], options: { rate?: number; burst?: number; waitMs?: number } = {}) {
  const clock = virtualClock();
  const controller = new AbortController();
  const sent: Array<{ index: number; waitMs: number; timeoutMs: number }> = [];
  const changes: Array<{ body: string; index: number; reset: boolean }> = [];
  const unchanged: number[] = [];
  const outcomes: BlockingOutcome[] = [];
  let at = 0;
  await runBlockingQuery<string>({
    fetch: async ({ index, waitMs, timeoutMs }): Promise<ConsulResponse<string>> => {
      sent.push({ index, waitMs, timeoutMs });
      const step = steps[at++];
      if (at >= steps.length) controller.abort();
      if (!step) throw new Error("script exhausted");
      if (step instanceof Error) throw step;
      return { body: step.body, index: step.index, knownLeader: true, lastContactMs: 0 };
    },
    onChange: (body, change) => void changes.push({ body, ...change }),
    onUnchanged: (change) => unchanged.push(change.index),
    onOutcome: (outcome) => outcomes.push(outcome),
    waitMs: options.waitMs ?? 16_000,
    timeoutMarginMs: 5_000,
    rateLimit: { ratePerSecond: options.rate ?? 1_000, burst: options.burst ?? 1_000 },
    backoff: { baseMs: 100, maxMs: 1_600, random: () => 0.5 },
    clock,
    signal: controller.signal,
  });
  return { sent, changes, unchanged, outcomes, clock };
}

describe("nextBlockingIndex()", () => {
  it("should follow Consul's client rules", () => {
    assert.equal(nextBlockingIndex(0, 12), 12, "first answer");
    assert.equal(nextBlockingIndex(12, 12), 12, "timeout: same index");
    assert.equal(nextBlockingIndex(12, 15), 15, "moved forward");
    assert.equal(nextBlockingIndex(12, 3), 0, "went backwards: reset to 0");
    assert.equal(nextBlockingIndex(0, 0), 1, "0 is never sent back as a blocking index");
    assert.equal(nextBlockingIndex(1, 0), 0, "0 after 1 went backwards: one non-blocking read, then 1");
  });
});

describe("runBlockingQuery()", () => {
  it("should block on the last index, report only content changes, and reset on a backwards index", async () => {
    const { sent, changes, unchanged } = await script([
      { index: 5, body: "A" },
      { index: 5, body: "A" }, // wait elapsed
      { index: 9, body: "A" }, // index moved, same content
      { index: 12, body: "B" },
      { index: 3, body: "B" }, // index reset
      { index: 4, body: "C" },
      { index: 0, body: "C" }, // bogus 0
      { index: 0, body: "C" },
    ]);
    assert.deepEqual(
      sent.map((s) => s.index),
      [0, 5, 5, 9, 12, 0, 4, 0],
    );
    assert.deepEqual(changes, [
      { body: "A", index: 5, reset: false },
      { body: "B", index: 12, reset: false },
      { body: "C", index: 4, reset: false },
    ]);
    assert.deepEqual(unchanged, [5, 9, 3, 0]);
  });

  it("should hand every answer to onChange and take its verdict when contentKey is false", async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    const bodies = ["A", "A", "B", "(aborted before it is used)"];
    const seen: string[] = [];
    const unchanged: number[] = [];
    const outcomes: boolean[] = [];
    let at = 0;
    let last: string | undefined;
    await runBlockingQuery<string>({
      fetch: async () => {
        const body = bodies[at++]!;
        if (at >= bodies.length) controller.abort();
        return { body, index: 10 + at, knownLeader: true, lastContactMs: 0 };
      },
      contentKey: false,
      onChange: (body) => {
        seen.push(body);
        const changed = body !== last;
        last = body;
        return changed;
      },
      onUnchanged: (change) => unchanged.push(change.index),
      onOutcome: (outcome) => outcomes.push(outcome.ok && outcome.changed),
      waitMs: 16_000,
      timeoutMarginMs: 5_000,
      rateLimit: { ratePerSecond: 1_000, burst: 1_000 },
      backoff: { baseMs: 100, maxMs: 1_600, random: () => 0.5 },
      clock,
      signal: controller.signal,
    });
    assert.deepEqual(seen, ["A", "A", "B"], "every answer reaches the caller's own comparison");
    assert.deepEqual(unchanged, [12], "the answer it judged unchanged");
    assert.deepEqual(outcomes, [true, false, true]);
  });

  it("should clamp a 0 index to 1 when it does not go backwards", async () => {
    const { sent } = await script([
      { index: 0, body: "A" },
      { index: 0, body: "A" },
      { index: 0, body: "A" },
    ]);
    assert.deepEqual(
      sent.map((s) => s.index),
      [0, 1, 0],
    );
  });

  it("should time requests out above wait plus Consul's wait/16 jitter", async () => {
    const { sent } = await script([{ index: 1, body: "A" }], { waitMs: 16_000 });
    assert.deepEqual(sent[0], { index: 0, waitMs: 16_000, timeoutMs: 16_000 + 1_000 + 5_000 });
  });

  it("should back off exponentially on errors, retry without blocking, and reset after a success", async () => {
    const failure = new ConsulError("unreachable", "connect ECONNREFUSED");
    const { sent, outcomes, clock } = await script([
      { index: 7, body: "A" },
      failure,
      failure,
      failure,
      { index: 8, body: "B" },
      failure,
      { index: 9, body: "B" },
    ]);
    const delays = outcomes.flatMap((o) => (o.ok ? [] : [o.retryInMs]));
    // random() = 0.5 → three quarters of each ceiling (100, 200, 400), then back to 100.
    assert.deepEqual(delays, [75, 150, 300, 75]);
    assert.deepEqual(
      clock.sleeps.filter((ms) => ms >= 75),
      [75, 150, 300, 75],
    );
    assert.deepEqual(
      sent.map((s) => s.index),
      [0, 7, 0, 0, 0, 8, 0],
    );
    assert.deepEqual(
      outcomes.filter((o) => !o.ok).map((o) => (o.ok ? 0 : o.error.code)),
      ["unreachable", "unreachable", "unreachable", "unreachable"],
    );
  });

  it("should never exceed its token bucket, whatever Consul answers", async () => {
    const answers = Array.from({ length: 42 }, () => ({ index: 0, body: "A" }));
    const { sent, clock } = await script(answers, { rate: 10, burst: 2 });
    assert.equal(sent.length, 42);
    // 42 requests with a burst of 2 at 10/s need at least 4 s of (virtual) time.
    assert.ok(clock.elapsed() >= 4_000 - 1, `elapsed ${clock.elapsed()} ms`);
  });

  it("should stop at once when its signal aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    await runBlockingQuery({
      fetch: async () => {
        calls += 1;
        return { body: "", index: 1, knownLeader: true, lastContactMs: 0 };
      },
      onChange: () => undefined,
      waitMs: 1_000,
      timeoutMarginMs: 0,
      rateLimit: { ratePerSecond: 1, burst: 1 },
      backoff: { baseMs: 1, maxMs: 1 },
      clock: virtualClock(),
      signal: controller.signal,
    });
    assert.equal(calls, 0);
  });
});

describe("createBackoff()", () => {
  it("should draw each delay in [ceiling/2, ceiling) with doubling ceilings up to the max", () => {
    const draws = [0, 0.999, 0.5, 0.25, 0, 0.999];
    const backoff = createBackoff({ baseMs: 100, maxMs: 800, random: () => draws.shift() ?? 0 });
    const delays = Array.from({ length: 6 }, () => backoff.next());
    const ceilings = [100, 200, 400, 800, 800, 800];
    for (const [i, d] of delays.entries()) assert.ok(d >= (ceilings[i] ?? 0) / 2 && d < (ceilings[i] ?? 0), `${i}: ${d}`);
    assert.equal(backoff.failures, 6);
    backoff.reset();
    assert.equal(backoff.failures, 0);
    assert.ok(backoff.next() < 100);
  });
});

describe("createTokenBucket()", () => {
  it("should allow the burst at once and then one token per 1/rate", async () => {
    const clock = virtualClock();
    const bucket = createTokenBucket({ ratePerSecond: 4, burst: 3, clock });
    for (let i = 0; i < 3; i += 1) await bucket.take();
    assert.equal(clock.elapsed(), 0);
    await bucket.take();
    assert.equal(clock.elapsed(), 250);
    await bucket.take();
    assert.equal(clock.elapsed(), 500);
  });
});
