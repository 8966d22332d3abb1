import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { ConsulResponse } from "../src/consul/consul-client.js";
import { ConsulError } from "../src/consul/consul-error.js";
import { ServiceReadQueue, type ServiceReadQueueOptions } from "../src/consul/service-read-queue.js";
import { virtualClock } from "./support/consul-test-support.js";

/** A read the test answers by hand. */
interface PendingRead {
  readonly service: string;
  answer(body: unknown, index?: number): void;
  fail(error: Error): void;
}

function useQueue(t: TestContext, overrides: Partial<ServiceReadQueueOptions> = {}) {
  const controller = new AbortController();
  t.after(() => controller.abort());
  const pending: PendingRead[] = [];
  const applied: Array<[string, number]> = [];
  const log: string[] = [];
  const wanted = new Set(["a", "b", "c"]);
  const queue = new ServiceReadQueue({
    concurrency: 2,
    stale: false,
    rateLimit: { ratePerSecond: 1_000_000, burst: 1_000 },
    backoff: { baseMs: 100, maxMs: 1_000 },
    clock: virtualClock(),
    random: () => 0.5,
    signal: controller.signal,
    fetch: (service) =>
      new Promise<ConsulResponse<unknown>>((resolve, reject) => {
        pending.push({
          service,
          answer: (body, index = 1) => resolve({ body, index, knownLeader: true, lastContactMs: 0 }),
          fail: reject,
        });
      }),
    wanted: (service) => wanted.has(service),
    apply: (service, entries) => {
      applied.push([service, entries.length]);
      return true;
    },
    events: {
      request: (event) => log.push(`request ${event.service} ${event.outcome}`),
      channel: (error, service) => log.push(`channel ${error?.code ?? "ok"}${service ? ` ${service}` : ""}`),
      failed: (error, service) => log.push(`failed ${error.code}${service ? ` ${service}` : ""}`),
      unreadable: (service) => log.push(`unreadable ${service}`),
    },
    ...overrides,
  });
  return { queue, pending, applied, log, wanted, controller };
}

/** Lets queued promise callbacks run (the queue's own steps are microtasks and immediates). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Turns the event loop until `predicate` holds (the virtual clock's sleeps end on immediates). */
async function turnsUntil(predicate: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 1_000; turn++) {
    if (predicate()) return;
    await settle();
  }
  assert.fail(`never happened: ${what}`);
}

describe("ServiceReadQueue", () => {
  it("should read nothing before open(), then at most `concurrency` services at once", async (t) => {
    const { queue, pending } = useQueue(t);
    for (const name of ["a", "b", "c"]) queue.enqueue(name);
    await settle();
    assert.equal(pending.length, 0, "closed until the check feed's baseline");
    queue.open();
    await settle();
    assert.deepEqual(
      pending.map((p) => p.service),
      ["a", "b"],
    );
    pending[0]?.answer([]);
    await settle();
    assert.deepEqual(
      pending.map((p) => p.service),
      ["a", "b", "c"],
      "c starts when a slot frees",
    );
  });

  it("should read a service queued twice once, and one queued while being read again after", async (t) => {
    const { queue, pending, applied } = useQueue(t);
    queue.open();
    queue.enqueue("a");
    queue.enqueue("a");
    await settle();
    assert.equal(pending.length, 1);
    queue.enqueue("a"); // while its read is in flight
    pending[0]?.answer([{}]);
    await settle();
    assert.equal(pending.length, 2, "read again after the first ended");
    pending[1]?.answer([{}, {}]);
    await settle();
    assert.deepEqual(applied, [
      ["a", 1],
      ["a", 2],
    ]);
  });

  it("should resolve idle() when the last read in flight ends, not before", async (t) => {
    const { queue, pending } = useQueue(t);
    let idle = false;
    await queue.idle();
    queue.open();
    queue.enqueue("a");
    queue.enqueue("b");
    await settle();
    const waiting = queue.idle().then(() => (idle = true));
    pending[0]?.answer([]);
    await settle();
    assert.equal(idle, false, "b is still in flight");
    pending[1]?.answer([]);
    await waiting;
    assert.equal(idle, true);
  });

  it("should drop the answer of a service no longer bridged", async (t) => {
    const { queue, pending, applied, wanted, log } = useQueue(t);
    queue.open();
    queue.enqueue("a");
    await settle();
    wanted.delete("a");
    queue.forget("a");
    pending[0]?.answer([{}]);
    await queue.idle();
    assert.deepEqual(applied, []);
    assert.ok(log.includes("request a unchanged"));
  });

  it("should count a service that fails on its own as read and retry it alone, later", async (t) => {
    const { queue, pending, log } = useQueue(t);
    queue.open();
    queue.enqueue("a");
    queue.enqueue("b");
    await settle();
    pending[0]?.fail(new ConsulError("bad-request", "HTTP 400: Invalid service name"));
    pending[1]?.answer([]);
    await queue.idle();
    assert.deepEqual(log.slice(0, 4), ["failed bad-request a", "channel bad-request a", "request a error", "unreadable a"]);
    await turnsUntil(() => pending.length === 3, "a retried after its own backoff");
    assert.equal(pending.at(-1)?.service, "a");
  });

  it("should pause every read after a Consul-wide error and read the service again", async (t) => {
    const { queue, pending, log } = useQueue(t);
    queue.open();
    queue.enqueue("a");
    await settle();
    pending[0]?.fail(new ConsulError("unreachable", "ECONNREFUSED"));
    await turnsUntil(() => pending.length === 2, "a read again");
    assert.deepEqual(log.slice(0, 3), ["failed unreachable", "channel unreachable", "request a error"]);
    assert.equal(pending.at(-1)?.service, "a", "a is read again after the pause");
  });
});
