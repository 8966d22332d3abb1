// The change log: one info line per real change of an instance (state, why, what is served now,
// who got a new version), rate-limited into summary lines under churn, the recent ones in memory.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { healthFromChecks } from "../src/consul/health-entry.js";
import type { InstanceHealth, ServiceInstance } from "../src/model/service-instance.js";
import { ServiceModel } from "../src/model/service-model.js";
import { ChangeLog } from "../src/observe/change-log.js";
import { createLogger } from "../src/observe/create-logger.js";
import type { IntervalClock } from "../src/observe/interval-clock.js";
import { createSnapshotPublisher, type PublishReport } from "../src/publish/index.js";
import { endpointType } from "../src/snapshot/index.js";

type LogLine = { msg: string; component?: string; change?: string; service?: string; changes?: number; kinds?: Record<string, number> };

/** A JSON logger whose lines are parsed and kept. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ format: "json", destination }), lines };
}

/** A clock the test moves by hand; periodic ticks run as time passes them. */
function manualClock(start = Date.UTC(2024, 0, 1)) {
  let now = start;
  const timers = new Set<{ ms: number; next: number; tick: () => void }>();
  const clock: IntervalClock & { advance(ms: number): void } = {
    now: () => now,
    every(ms, tick) {
      const timer = { ms, next: now + ms, tick };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = [...timers].filter((t) => t.next <= target).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.tick();
      }
      now = target;
    },
  };
  return clock;
}

const passing: InstanceHealth = { status: "passing", maintenance: "none" };

function inst(id: string, address: string, health: InstanceHealth = passing, weights = { passing: 1, warning: 1 }): ServiceInstance {
  return { id, node: "node-1", address, port: 8080, tags: [], meta: {}, weights, health, datacenter: "dc1", nodeMeta: {} };
}

/** A model, a real publisher and a change log wired as the bridge wires them. */
function pipeline(t: { after: (fn: () => void) => void }) {
  const model = new ServiceModel({ localDatacenter: "dc1" });
  const { logger, lines } = capturingLogger();
  const clock = manualClock();
  let publisher: ReturnType<typeof createSnapshotPublisher> | undefined;
  const changeLog = new ChangeLog({
    model,
    snapshot: (kind) => publisher!.cache.getSnapshot(kind),
    healthPolicy: { routeWarning: false },
    logger,
    clock,
  });
  publisher = createSnapshotPublisher({ model, debounceMs: 0, onPublish: (report) => changeLog.published(report) });
  t.after(() => {
    publisher!.close();
    changeLog.close();
  });
  const changes = () => lines.filter((line) => line.component === "changes" && line.change !== undefined);
  /** Applies a model change and waits for the publish that covers it. */
  const apply = async (service: string, instances: ServiceInstance[]) => {
    const published = publisher!.nextPublish();
    assert.ok(model.setService("dc1", service, instances), "the model changed");
    await published;
  };
  /** The initial sync: `web` with these instances, and the first publish (the baseline). */
  const start = async (instances: ServiceInstance[]) => {
    model.setService("dc1", "web", instances);
    const published = publisher!.nextPublish();
    model.markSynced();
    await published;
  };
  return { model, changeLog, lines, changes, apply, start, clock, cache: () => publisher!.cache };
}

describe("ChangeLog", () => {
  it("should log a failed check as one line: instance, passing → critical with the check's output, endpoints now served, new EDS versions", async (t) => {
    const p = pipeline(t);
    await p.start([inst("web-1", "10.0.0.1"), inst("web-2", "10.0.0.2")]);
    const baseline = p.lines.find((line) => line.component === "changes");
    assert.equal(p.changeLog.recent().length, 0, "the initial sync is the baseline, not a change");
    const notified: number[] = [];
    p.changeLog.onRecords((records) => notified.push(...records.map((r) => r.seq)));
    await p.apply("web", [
      inst("web-1", "10.0.0.1", healthFromChecks([{ CheckID: "service:web-1", Status: "critical", Output: "TTL expired" }])),
      inst("web-2", "10.0.0.2"),
    ]);
    assert.deepEqual(notified, [1], "listeners get the new record");
    assert.match(baseline?.msg ?? "", /^serving 1 services \(2 instances, 2 receiving traffic\)/);

    const [record, ...more] = p.changeLog.recent();
    assert.equal(more.length, 0, "one record: only web-1 changed");
    const envoyEds = p.cache().getSnapshot("envoy")!.get(endpointType).version;
    const grpcEds = p.cache().getSnapshot("grpc")!.get(endpointType).version;
    assert.deepEqual(
      { ...record!, at: 0, seq: 0, revision: 0, message: "" },
      {
        seq: 0,
        at: 0,
        revision: 0,
        message: "",
        service: "web",
        datacenter: "dc1",
        instance: "web-1",
        node: "node-1",
        address: "10.0.0.1:8080",
        kind: "critical",
        from: "passing",
        to: "critical",
        why: "service:web-1: TTL expired",
        routableBefore: true,
        routableAfter: false,
        endpoints: ["10.0.0.2:8080"],
        endpointCount: 1,
        versions: [
          { clientKind: "envoy", type: "EDS", version: envoyEds },
          { clientKind: "grpc", type: "EDS", version: grpcEds },
        ],
      },
    );
    const [line] = p.changes();
    assert.equal(record!.message, line!.msg, "the record keeps the line's sentence");
    assert.equal(line!.service, "web");
    assert.equal(
      line!.msg,
      `web-1 of web: passing → critical (service:web-1: TTL expired), out of rotation; web now serves 1 endpoint: 10.0.0.2:8080; new EDS ${envoyEds.slice(0, 8)} for envoy, grpc`,
    );
  });

  it("should name every kind of change, and say nothing for a change of tags alone", async (t) => {
    const p = pipeline(t);
    await p.start([inst("web-1", "10.0.0.1")]);
    const maintenance = healthFromChecks([{ CheckID: "_service_maintenance:web-1", Status: "critical", Notes: "deploying v2" }]);
    const steps: Array<[ServiceInstance[], string | undefined]> = [
      [[inst("web-1", "10.0.0.1"), inst("web-2", "10.0.0.2")], "new"],
      [[inst("web-1", "10.0.0.1", maintenance), inst("web-2", "10.0.0.2")], "maintenance"],
      [[inst("web-1", "10.0.0.1"), inst("web-2", "10.0.0.2")], "passing"],
      [[inst("web-1", "10.0.0.1"), inst("web-2", "10.0.0.2", passing, { passing: 5, warning: 1 })], "weight"],
      [[inst("web-1", "10.0.0.9"), inst("web-2", "10.0.0.2", passing, { passing: 5, warning: 1 })], "address"],
      [[{ ...inst("web-1", "10.0.0.9"), tags: ["v2"] }, inst("web-2", "10.0.0.2", passing, { passing: 5, warning: 1 })], undefined],
      [[{ ...inst("web-1", "10.0.0.9"), tags: ["v2"] }], "deregistered"],
    ];
    const expected: string[] = [];
    for (const [instances, kind] of steps) {
      await p.apply("web", instances);
      if (kind) expected.push(kind);
      assert.deepEqual(
        p.changeLog.recent().map((r) => r.kind),
        expected,
      );
    }
    const messages = p.changes().map((line) => line.msg);
    assert.match(
      messages[0]!,
      /^web-2 of web: new, passing, in rotation; web now serves 2 endpoints: 10\.0\.0\.1:8080, 10\.0\.0\.2:8080; new EDS/,
    );
    assert.match(
      messages[1]!,
      /^web-1 of web: passing → maintenance \(service maintenance: deploying v2\), out of rotation; web now serves 1 endpoint: 10\.0\.0\.2:8080/,
    );
    assert.match(messages[2]!, /^web-1 of web: maintenance → passing, back in rotation; web now serves 2 endpoints/);
    assert.match(messages[3]!, /^web-2 of web: weight 1 → 5; web now serves 2 endpoints/);
    assert.match(
      messages[4]!,
      /^web-1 of web: address 10\.0\.0\.1:8080 → 10\.0\.0\.9:8080; web now serves 2 endpoints: 10\.0\.0\.2:8080, 10\.0\.0\.9:8080/,
    );
    assert.match(messages[5]!, /^web-2 of web: deregistered \(was passing\), out of rotation; web now serves 1 endpoint: 10\.0\.0\.9:8080/);
  });

  it("should show provenance when the publisher gives it", async () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    const { logger, lines } = capturingLogger();
    const clock = manualClock();
    const changeLog = new ChangeLog({ model, snapshot: () => undefined, healthPolicy: { routeWarning: false }, logger, clock });
    const report = (): PublishReport => ({
      revision: model.revision,
      full: false,
      servicesBuilt: 1,
      validationFailures: 0,
      published: [],
      durationMs: 1,
    });
    model.setService("dc1", "web", [inst("web-1", "10.0.0.1")]);
    changeLog.published(report());
    model.setService("dc1", "web", [inst("web-1", "10.0.0.1", { status: "critical", maintenance: "none" })]);
    changeLog.published(report(), { consulIndex: { dc1: 4711 }, answeredAt: Date.UTC(2024, 0, 1, 12, 0, 1, 123) });
    changeLog.close();
    assert.deepEqual(changeLog.recent()[0]!.provenance, { consulIndex: { dc1: 4711 }, answeredAt: Date.UTC(2024, 0, 1, 12, 0, 1, 123) });
    const line = lines.find((l) => l.change === "critical")!;
    assert.match(
      line.msg,
      /web-1 of web: passing → critical \(a check is critical\), out of rotation; web now serves no endpoint; no client got a new version \[Consul index dc1=4711, answered 12:00:01\.123Z\]$/,
    );
  });

  it("should turn 100 changes a second into a bounded number of lines plus periodic summaries, and keep the recent records", () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    const { logger, lines } = capturingLogger();
    const clock = manualClock();
    const changeLog = new ChangeLog({
      model,
      snapshot: () => undefined,
      healthPolicy: { routeWarning: false },
      logger,
      clock,
      capacity: 300,
      burst: 20,
      perSecond: 1,
      summaryIntervalMs: 10_000,
    });
    const report = (): PublishReport => ({
      revision: model.revision,
      full: false,
      servicesBuilt: 1,
      validationFailures: 0,
      published: [],
      durationMs: 1,
    });
    for (let i = 0; i < 10; i++) model.setService("dc1", `svc-${i}`, [inst(`svc-${i}-1`, `10.0.1.${i}`)]);
    changeLog.published(report());
    // 30 s of 100 flaps a second: each 10 ms one instance goes critical or comes back.
    const total = 3_000;
    for (let i = 0; i < total; i++) {
      clock.advance(10);
      const n = i % 10;
      const critical = Math.floor(i / 10) % 2 === 0;
      model.setService("dc1", `svc-${n}`, [
        inst(`svc-${n}-1`, `10.0.1.${n}`, critical ? { status: "critical", maintenance: "none" } : passing),
      ]);
      changeLog.published(report());
    }
    changeLog.close();
    const changeLines = lines.filter((line) => line.change !== undefined);
    const summaries = lines.filter((line) => line.changes !== undefined);
    // 20 at once, then about one a second for 30 s; a summary every 10 s and one on close.
    assert.ok(changeLines.length <= 20 + 31, `${changeLines.length} change lines`);
    assert.ok(changeLines.length >= 20, "the first ones are written one by one");
    assert.ok(summaries.length >= 3 && summaries.length <= 4, `${summaries.length} summaries`);
    assert.equal(changeLines.length + summaries.reduce((sum, line) => sum + line.changes!, 0), total, "every change is accounted for");
    assert.match(
      summaries[0]!.msg,
      /^\d+ more changes not logged one by one \(too many to list\): critical \d+, passing \d+; services: svc-\d \(\d+\)/,
    );
    const kept = changeLog.recent();
    assert.equal(kept.length, 300, "the last 300 records stay in memory");
    assert.equal(kept.at(-1)!.seq, total);
    assert.deepEqual(
      changeLog.recent(total - 2).map((r) => r.seq),
      [total - 1, total],
    );
  });
});
