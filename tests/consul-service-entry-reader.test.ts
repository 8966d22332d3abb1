import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServiceEntryReader } from "../src/consul/service-entry-reader.js";
import type { ServiceInstance } from "../src/model/service-instance.js";
import { captureLogger } from "./support/consul-test-support.js";

const entry = (id: string, node: string, port: unknown = 8080) => ({
  Node: { Node: node, Address: `10.0.0.${node.slice(1)}` },
  Service: { ID: id, Service: "web", Port: port, CreateIndex: 5, ModifyIndex: 7 },
  Checks: [],
});

function reader() {
  const { logger, lines } = captureLogger("debug");
  const remembered: number[] = [];
  const read = new ServiceEntryReader("dc1", logger, (index) => remembered.push(index));
  const warnings = () =>
    lines()
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
  return { read, warnings, remembered };
}

const ids = (instances: readonly ServiceInstance[]) => instances.map((i) => `${i.id}@${i.node}:${i.port}`).sort();

describe("ServiceEntryReader.read()", () => {
  const previous = (() => {
    const r = reader().read;
    const first = r.read("web", [entry("web-1", "n1"), entry("web-2", "n2"), entry("web-3", "n3")]);
    assert.ok(first.usable);
    return first.instances;
  })();

  it("should read every entry and hand over the raft indexes the entries carry", () => {
    const { read, remembered } = reader();
    const result = read.read("web", [entry("web-1", "n1"), entry("web-2", "n2", 9090)]);
    assert.ok(result.usable);
    assert.deepEqual(ids(result.instances), ["web-1@n1:8080", "web-2@n2:9090"]);
    assert.deepEqual([...result.nodes].sort(), ["n1", "n2"]);
    assert.deepEqual(remembered, [5, 7, 5, 7]);
  });

  it("should keep the last good record of an instance named by its unreadable record, and only that one", () => {
    const { read, warnings } = reader();
    const result = read.read("web", [entry("web-1", "n1", 8081), entry("web-2", "n2", "8080")], previous);
    assert.ok(result.usable);
    assert.deepEqual(ids(result.instances), ["web-1@n1:8081", "web-2@n2:8080"], "web-3 is gone; web-2 keeps its record");
    assert.deepEqual(warnings(), ['skipped instance web-2 of service web: invalid port "8080"; keeping its last good record']);
  });

  it("should keep the earlier instances on the node an unreadable entry names, or all it lacks when it names none", () => {
    const { read: onNode } = reader();
    const byNode = onNode.read("web", [entry("web-1", "n1"), { Node: { Node: "n2" } }], previous);
    assert.ok(byNode.usable);
    assert.deepEqual(ids(byNode.instances), ["web-1@n1:8080", "web-2@n2:8080"]);
    const { read, warnings } = reader();
    const result = read.read("web", [entry("web-1", "n1"), "garbage"], previous);
    assert.ok(result.usable);
    assert.deepEqual(ids(result.instances), ["web-1@n1:8080", "web-2@n2:8080", "web-3@n3:8080"]);
    assert.match(
      warnings()[0] ?? "",
      /skipped instance \? of service web: entry without Node or Service object; keeping its last good record/,
    );
  });

  it("should say when an unreadable record has no earlier record to keep", () => {
    const { read, warnings } = reader();
    const result = read.read("web", [entry("web-1", "n1"), entry("web-9", "n9", null)], previous);
    assert.ok(result.usable);
    assert.deepEqual(ids(result.instances), ["web-1@n1:8080"]);
    assert.deepEqual(warnings(), ["skipped instance web-9 of service web: invalid port null; no earlier record to keep"]);
  });

  it("should not keep an earlier record for a readable record that cannot be routed to (port 0)", () => {
    const { read, warnings } = reader();
    const result = read.read("web", [entry("web-1", "n1"), entry("web-2", "n2", 0)], previous);
    assert.ok(result.usable);
    assert.deepEqual(ids(result.instances), ["web-1@n1:8080"], "port 0 is Consul's truth about web-2");
    assert.deepEqual(warnings(), ["skipped instance web-2 of service web: invalid port 0"]);
  });

  it("should call an answer whose entries are all unreadable unusable, and [] a service without instances", () => {
    const { read, warnings } = reader();
    assert.deepEqual(read.read("web", [entry("web-1", "n1", "8080"), { Service: { ID: "web-2" } }], previous), {
      usable: false,
      unreadable: 2,
    });
    assert.equal(warnings().length, 2);
    assert.ok(warnings().every((w) => w.endsWith("; keeping the last good instances")));
    const empty = read.read("web", [], previous);
    assert.ok(empty.usable);
    assert.deepEqual(empty.instances, []);
  });

  it("should warn about the same record once, not on every read", () => {
    const { read, warnings } = reader();
    for (let i = 0; i < 3; i++) read.read("web", [entry("web-1", "n1"), entry("web-2", "n2", "x")], previous);
    assert.equal(warnings().length, 1);
  });
});
