import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CheckRow, type CheckSnapshot, diffCheckFeed } from "../src/consul/check-feed.js";
import { CheckFeedScanner, FeedSyntaxError } from "../src/consul/check-feed-scanner.js";
import { CheckFeedTracker } from "../src/consul/check-feed-tracker.js";
import { seededRandom } from "./support/seeded-random.js";

const bytes = (text: string) => Buffer.from(text, "utf8");

/** The rows the scanner reads, their spans decoded. */
function scan(text: string): { rows: CheckRow[]; malformed: number } | undefined {
  const rows: CheckRow[] = [];
  const scanner = new CheckFeedScanner(bytes(text));
  const string = (start: number, end: number) => (start < 0 ? "" : scanner.text(start, end));
  const result = scanner.scan((row) => {
    rows.push({
      node: string(row.nodeStart, row.nodeEnd),
      checkId: string(row.checkIdStart, row.checkIdEnd),
      serviceId: string(row.serviceIdStart, row.serviceIdEnd),
      serviceName: string(row.serviceNameStart, row.serviceNameEnd),
      createIndex: row.createIndex,
      modifyIndex: row.modifyIndex,
    });
    // What the tracker compares without decoding must agree with decoding.
    assert.equal(scanner.equals(row.nodeStart, row.nodeEnd, rows.at(-1)!.node), true);
    assert.equal(scanner.equals(row.checkIdStart, row.checkIdEnd, `${rows.at(-1)!.checkId}x`), false);
  });
  return result && { rows, malformed: result.malformed };
}

/** The rows diffCheckFeed reads from the same text through JSON.parse. */
function parsed(text: string): { rows: CheckRow[]; malformed: number } {
  const diff = diffCheckFeed(undefined, JSON.parse(text), 1);
  return { rows: [...diff.snapshot.values()].map((row) => ({ ...row })), malformed: diff.malformed };
}

const random = seededRandom;

describe("scanCheckFeed()", () => {
  it("should read the same rows as JSON.parse, whatever the other fields hold", () => {
    const text = JSON.stringify([
      {
        Node: "n1",
        CheckID: "serfHealth",
        Name: 'Serf "Health" \\ Status',
        Status: "passing",
        Notes: "",
        Output: "Agent alive\nand reachable \u2603 \ud83d\ude00",
        ServiceID: "",
        ServiceName: "",
        ServiceTags: [],
        Definition: { Interval: "0s", Nested: [1, 2.5, -3e2, true, false, null, { deep: ["x"] }] },
        CreateIndex: 1,
        ModifyIndex: 1,
      },
      { Node: 'n\u00e9"1', CheckID: "service:a\\b", ServiceID: "a", ServiceName: "\u00e0\u00e9", CreateIndex: 0, ModifyIndex: 12345678901 },
      { Node: "n2", CheckID: "c", ServiceID: 7, ServiceName: null, CreateIndex: "3", ModifyIndex: 1.5 },
      // biome-ignore lint/correctness/noPrecisionLoss: an index that overflows to Infinity on purpose
      { Node: "n2", CheckID: "d", CreateIndex: -0, ModifyIndex: 1e400 },
      { Node: "n2", CheckID: "e", ServiceName: "first", ServiceName2: "x", CreateIndex: 4, ModifyIndex: 4 },
    ]).replace('"ServiceName2":"x"', '"ServiceName":"last"');
    assert.deepEqual(scan(text), parsed(text));
    const spaced = JSON.stringify(JSON.parse(text), null, 4).replace(/\n/g, "\r\n\t");
    assert.deepEqual(scan(spaced), parsed(spaced));
  });

  it("should count rows that are not objects or lack a string Node or CheckID as malformed", () => {
    const text = JSON.stringify([
      null,
      1,
      "x",
      [],
      {},
      { CheckID: "a" },
      { Node: "n", CheckID: 5 },
      { Node: "n", CheckID: "ok", CreateIndex: 2, ModifyIndex: 2 },
    ]);
    assert.deepEqual(scan(text), parsed(text));
    assert.equal(scan(text)?.malformed, 7);
  });

  it("should read keys written with escapes as JSON.parse does", () => {
    const text = '[{"No\\u0064e":"n1","CheckID":"c","Servic\\u0065Name":"s","ServiceID":"i","CreateIndex":1,"ModifyIndex":2}]';
    assert.deepEqual(scan(text), parsed(text));
  });

  it("should answer undefined for JSON that is not a list", () => {
    for (const text of ["{}", "null", '"x"', "42", ' {"a":[1]} ']) assert.equal(scan(text), undefined, text);
    assert.deepEqual(scan(" [ ] "), { rows: [], malformed: 0 });
  });

  it("should refuse what JSON.parse refuses (raw control characters in strings excepted)", () => {
    for (const text of [
      "",
      "[",
      "[{]",
      '[{"Node":"n"',
      '[{"Node" "n"}]',
      "[1,]",
      "[tru]",
      "[01]",
      '[{"a":1}] x',
      "[-]",
      "[{'a':1}]",
      "[nul]",
      '["a"',
      '[{"Node":"n","CheckID":"c"}}',
      '[{"Node":"n","CheckID":"c"},]',
    ]) {
      assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${JSON.stringify(text)}`);
      assert.throws(() => scan(text), FeedSyntaxError, JSON.stringify(text));
    }
  });
});

describe("CheckFeedTracker", () => {
  const row = (node: string, checkId: string, serviceId: string, serviceName: string, create: number, modify: number) => ({
    Node: node,
    CheckID: checkId,
    ServiceID: serviceId,
    ServiceName: serviceName,
    CreateIndex: create,
    ModifyIndex: modify,
    Status: "passing",
    Output: "",
  });

  it("should reach the verdicts of diffCheckFeed, answer after answer", () => {
    const next = random(7);
    const tracker = new CheckFeedTracker();
    let snapshot: CheckSnapshot | undefined;
    let rows = new Map<string, ReturnType<typeof row>>();
    let index = 10;
    for (let n = 0; n < 12; n++)
      rows.set(
        `node-${n % 4}\u0000c${n}`,
        row(`node-${n % 4}`, `c${n}`, n % 3 === 0 ? "" : `s${n}`, n % 3 === 0 ? "" : `svc-${n % 5}`, 1, 1),
      );
    for (let answer = 0; answer < 60; answer++) {
      index += 1;
      const copy = new Map(rows);
      for (const [key, r] of copy) {
        const dice = next();
        if (dice < 0.1) copy.delete(key);
        else if (dice < 0.25) copy.set(key, { ...r, ModifyIndex: index });
        else if (dice < 0.3)
          copy.set(key, { ...r, ServiceName: r.ServiceID === "" ? "" : `svc-${Math.floor(next() * 5)}`, ModifyIndex: index });
      }
      if (next() < 0.5) {
        const id = `c${answer + 100}`;
        const node = `node-${Math.floor(next() * 5)}`;
        const service = next() < 0.3 ? "" : `s${answer}`;
        copy.set(`${node}\u0000${id}`, row(node, id, service, service === "" ? "" : `svc-${answer % 5}`, index, index));
      }
      rows = copy;
      const body = [...rows.values()];
      if (next() < 0.1) body.splice(Math.floor(next() * body.length), 0, { CheckID: "broken" } as never);
      const expected = diffCheckFeed(snapshot, body, index);
      snapshot = expected.snapshot;
      const read = tracker.read(bytes(JSON.stringify(body)), index);
      assert.ok(read);
      const changes = tracker.apply(read);
      assert.deepEqual([...changes.services].sort(), [...expected.services].sort(), `services, answer ${answer}`);
      assert.deepEqual([...changes.nodes].sort(), [...expected.nodes].sort(), `nodes, answer ${answer}`);
      assert.deepEqual([...changes.writeIndexes].sort(), [...expected.writeIndexes].sort(), `write indexes, answer ${answer}`);
      assert.equal(changes.malformed, expected.malformed);
      assert.equal(tracker.rowCount, expected.snapshot.size);
    }
  });

  it("should change nothing until an answer is applied, and refuse answers applied out of order", () => {
    const tracker = new CheckFeedTracker();
    const base = [row("n1", "serfHealth", "", "", 1, 1), row("n1", "service:a", "a", "a", 2, 2)];
    assert.equal(tracker.hasBaseline, false);
    const first = tracker.read(bytes(JSON.stringify(base)), 2)!;
    assert.equal(tracker.hasBaseline, false);
    assert.equal(tracker.rowCount, 0);
    const baseline = tracker.apply(first);
    assert.equal(baseline.services.size + baseline.nodes.size, 0, "the baseline reports nothing");
    assert.equal(tracker.rowCount, 2);
    const stale = tracker.read(bytes(JSON.stringify([base[0]])), 3)!;
    const newer = tracker.read(bytes(JSON.stringify([base[0], { ...base[1], ModifyIndex: 4 }])), 4)!;
    assert.deepEqual([...tracker.apply(newer).services], [["a", 4]]);
    assert.throws(() => tracker.apply(stale), /out of order/);
    assert.throws(() => tracker.read(bytes("[{"), 5), FeedSyntaxError);
    assert.equal(tracker.read(bytes("{}"), 5), undefined);
    assert.equal(tracker.read(Buffer.alloc(0), 5), undefined);
    assert.equal(tracker.rowCount, 2);
  });
});
