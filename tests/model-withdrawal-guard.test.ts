// The mass-withdrawal guard between the watcher and the model, on a virtual clock: what it holds,
// what it lets through at once, and how a hold ends (hold time, confirmation, recovery).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { passingOnly } from "../src/model/health-policy.js";
import type { ServiceInstance } from "../src/model/service-instance.js";
import { ServiceModel } from "../src/model/service-model.js";
import { type HoldEnd, WithdrawalGuard, type WithdrawalGuardOptions, type WithdrawalHold } from "../src/model/withdrawal-guard.js";
import { instance } from "./support/consul-entries.js";
import { manualClock } from "./support/manual-clock.js";

/** `count` passing instances of `service` on distinct nodes. */
function instances(service: string, count: number, status = "passing"): ServiceInstance[] {
  return Array.from({ length: count }, (_, i) =>
    instance({ service, id: `${service}-${i + 1}`, node: `node-${i + 1}`, nodeAddress: `10.0.${i}.1`, status }),
  );
}

/**
 * A synced model of services a–e with 2 instances each (10 served endpoints), behind a guard with
 * a 50 % limit, a 10-minute hold and the default 30-second window.
 */
function useGuard(options: Partial<WithdrawalGuardOptions> = {}) {
  const clock = manualClock();
  const model = new ServiceModel({ localDatacenter: "dc1", clock });
  const held: WithdrawalHold[] = [];
  const released: Array<{ hold: WithdrawalHold; reason: HoldEnd }> = [];
  const guard = new WithdrawalGuard({
    model,
    healthPolicy: passingOnly,
    maxWithdrawalPercent: 50,
    holdMs: 600_000,
    clock,
    onHeld: (hold) => held.push(hold),
    onReleased: (hold, reason) => released.push({ hold, reason }),
    ...options,
  });
  for (const name of ["a", "b", "c", "d", "e"]) guard.setService("dc1", name, instances(name, 2));
  model.markSynced();
  /** Endpoints the model serves now: what the publisher would send. */
  const served = () =>
    [...model.view().services.values()].reduce(
      (sum, perDc) =>
        sum + [...perDc.values()].reduce((n, state) => n + state.instances.filter((i) => i.health.status === "passing").length, 0),
      0,
    );
  return { clock, model, guard, held, released, served };
}

/** Lets the promise callbacks of woken sleeps run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WithdrawalGuard", () => {
  it("should hold an answer removing more than half of the served endpoints, and keep serving the last good state", () => {
    const { guard, held, served, model } = useGuard();
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name);
    assert.equal(served(), 10, "every endpoint still served");
    assert.equal(held.length, 1, "one hold began");
    const hold = guard.hold!;
    assert.deepEqual(
      hold.services.map((s) => [s.service, s.served, s.remaining]),
      [
        ["a", 2, 0],
        ["b", 2, 0],
        ["c", 2, 0],
      ],
    );
    assert.equal(hold.endpointsHeld, 6);
    assert.equal(hold.endpointsServed, 10);
    assert.equal(hold.appliesAt - hold.since, 600_000);
    assert.equal(guard.instancesIn("dc1", "a"), undefined, "the watcher reads back what it wrote: a is gone");
    assert.equal(model.instancesIn("dc1", "a")?.length, 2, "while the model keeps it");
  });

  it("should put back the window's earlier withdrawals when a later one crosses the limit", () => {
    const { guard, served, clock, held } = useGuard();
    guard.removeService("dc1", "a");
    clock.advance(10_000);
    guard.setService("dc1", "b", instances("b", 2, "critical"));
    assert.equal(served(), 6, "40 %: applied at once");
    assert.equal(held.length, 0);
    clock.advance(10_000);
    guard.removeService("dc1", "c");
    assert.equal(served(), 10, "the third withdrawal takes the window to 60 %: a and b are back");
    assert.deepEqual(
      guard.hold?.services.map((s) => s.service),
      ["a", "b", "c"],
    );
  });

  it("should let withdrawals through at once when they stay within the limit", () => {
    const { guard, served, held } = useGuard();
    guard.removeService("dc1", "a");
    guard.setService("dc1", "b", instances("b", 1));
    guard.setService("dc1", "c", instances("c", 1));
    guard.setService("dc1", "d", instances("d", 1));
    assert.equal(served(), 5, "exactly 50 % is not more than 50 %");
    assert.equal(held.length, 0);
  });

  it("should never hold one service losing all its instances, however large its share", () => {
    const { guard, served, held } = useGuard();
    guard.setService("dc1", "big", instances("big", 20));
    guard.setService("dc1", "big", []);
    assert.equal(served(), 10);
    assert.equal(held.length, 0, "a single service's own event (fail-closed) is not a mass withdrawal");
  });

  it("should count only the last 30 s: older withdrawals are not added to a new one", () => {
    const { guard, served, clock, held } = useGuard();
    guard.removeService("dc1", "a");
    guard.removeService("dc1", "b");
    clock.advance(30_000);
    guard.removeService("dc1", "c");
    guard.setService("dc1", "d", instances("d", 1));
    assert.equal(served(), 3, "a and b left more than 30 s before c and d");
    assert.equal(held.length, 0);
  });

  it("should count each service's net loss: a rolling deploy that replaces instances one by one passes", () => {
    const { guard, served, held } = useGuard();
    for (const name of ["a", "b", "c", "d", "e"]) {
      const [first, second] = instances(name, 2);
      const replacement = instance({ service: name, id: `${name}-3`, node: "node-3", nodeAddress: "10.0.9.1" });
      guard.setService("dc1", name, [second!]);
      guard.setService("dc1", name, [second!, replacement]);
      guard.setService("dc1", name, [replacement]);
      guard.setService("dc1", name, [replacement, { ...first!, id: `${name}-4`, address: "10.0.9.2" }]);
    }
    assert.equal(served(), 10, "every instance of every service replaced within the window");
    assert.equal(held.length, 0);
  });

  it("should not put back a service that recovered within the window when a later withdrawal trips the guard", () => {
    const { guard, model } = useGuard();
    const [, second] = instances("a", 2);
    const replacement = instance({ service: "a", id: "a-3", node: "node-3", nodeAddress: "10.0.9.1" });
    guard.setService("dc1", "a", [second!]);
    guard.setService("dc1", "a", [second!, replacement]);
    for (const name of ["b", "c", "d"]) guard.removeService("dc1", name);
    assert.deepEqual(
      guard.hold?.services.map((s) => s.service),
      ["b", "c", "d"],
    );
    assert.deepEqual(
      model.instancesIn("dc1", "a")?.map((i) => i.id),
      ["a-2", "a-3"],
      "a keeps its replaced instance",
    );
  });

  it("should apply the hold after the hold time, not a moment before", async () => {
    const { guard, served, clock, released } = useGuard();
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name);
    clock.advance(599_999);
    await settle();
    assert.equal(served(), 10);
    clock.advance(1);
    await settle();
    assert.equal(served(), 4, "applied once it persisted for the hold time");
    assert.equal(guard.hold, undefined);
    assert.deepEqual(
      released.map((r) => [r.hold.id, r.reason]),
      [[1, "hold-time"]],
    );
  });

  it("should apply the hold at once when confirmed, and only the hold named", () => {
    const { guard, served, released } = useGuard();
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name);
    assert.throws(() => guard.confirm(7), /hold 7 is not the one in force \(hold 1 is\)/);
    assert.equal(served(), 10);
    const applied = guard.confirm(1);
    assert.equal(applied.endpointsHeld, 6);
    assert.equal(served(), 4);
    assert.deepEqual(
      released.map((r) => r.reason),
      ["confirmed"],
    );
    assert.throws(() => guard.confirm(), /no withdrawal is held/);
  });

  it("should not count confirmed withdrawals toward the next hold", () => {
    const { guard, served, held } = useGuard();
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name);
    guard.confirm();
    guard.setService("dc1", "d", instances("d", 1));
    assert.equal(served(), 3, "1 of 4: under the limit once the confirmed ones are accepted");
    assert.equal(held.length, 1);
  });

  it("should end the hold when Consul gives the endpoints back, applying nothing", async () => {
    const { guard, served, clock, released, model } = useGuard();
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name);
    const revision = model.revision;
    guard.setService("dc1", "a", instances("a", 2));
    assert.ok(guard.hold, "b and c still held");
    guard.setService("dc1", "b", instances("b", 2));
    guard.setService("dc1", "c", instances("c", 2));
    assert.equal(guard.hold, undefined);
    assert.equal(model.revision, revision, "recovering held services changes nothing the model serves");
    assert.deepEqual(
      released.map((r) => r.reason),
      ["recovered"],
    );
    clock.advance(600_000);
    await settle();
    assert.equal(served(), 10, "the cancelled hold time applies nothing");
  });

  it("should add every further withdrawal to a hold in force, and apply additions at once", () => {
    const { guard, served } = useGuard();
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name);
    guard.setService("dc1", "d", instances("d", 1));
    guard.setService("dc1", "f", instances("f", 3));
    assert.equal(served(), 13, "d's withdrawal joins the hold; f is added");
    assert.deepEqual(
      guard.hold?.services.map((s) => s.service),
      ["a", "b", "c", "d"],
    );
    guard.confirm();
    assert.equal(served(), 6, "e, d's remaining one and f");
  });

  it("should say when a held answer was filtered by Consul's ACLs", () => {
    const { guard } = useGuard();
    const origin = { index: 42, at: 1, filteredByAcls: true };
    for (const name of ["a", "b", "c"]) guard.removeService("dc1", name, origin);
    assert.equal(guard.hold?.filteredByAcls, true);
    assert.ok(guard.hold?.services.every((s) => s.filteredByAcls));
  });

  it("should never hold with the guard off (0)", () => {
    const { guard, served, held } = useGuard({ maxWithdrawalPercent: 0 });
    for (const name of ["a", "b", "c", "d", "e"]) guard.removeService("dc1", name);
    assert.equal(served(), 0);
    assert.equal(held.length, 0);
  });

  it("should never hold before the initial sync (every write is the first read)", () => {
    const clock = manualClock();
    const model = new ServiceModel({ localDatacenter: "dc1", clock });
    const guard = new WithdrawalGuard({ model, healthPolicy: passingOnly, maxWithdrawalPercent: 50, holdMs: 1_000, clock });
    for (const name of ["a", "b"]) guard.setService("dc1", name, instances(name, 2));
    for (const name of ["a", "b"]) guard.removeService("dc1", name);
    assert.equal(guard.hold, undefined);
    assert.equal(model.view().services.size, 0);
  });

  it("should count only routable instances: an instance already critical is not withdrawn again", () => {
    const { guard, served, held } = useGuard();
    guard.setService("dc1", "x", instances("x", 6, "critical"));
    guard.setService("dc1", "y", instances("y", 6, "critical"));
    guard.removeService("dc1", "x");
    guard.removeService("dc1", "y");
    assert.equal(held.length, 0, "nothing they served is lost");
    assert.equal(served(), 10);
  });
});
