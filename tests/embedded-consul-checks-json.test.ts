// `/v1/health/state/any` is rendered from per-node parts so that a write re-renders only the nodes it
// touched. The expected lists here are derived from what the test seeded, never from the renderer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CatalogStore } from "../src/embedded-consul/index.js";

type Check = Record<string, unknown>;

/** 12 services × 3 instances on 5 nodes; instance i of service s sits on node n-((s + i) % 5). */
function seededStore(): CatalogStore {
  const store = new CatalogStore({
    datacenters: ["dc1"],
    nodeName: "agent",
    nodeAddress: "127.0.0.1",
    consulService: true,
    ttlExpiry: false,
  });
  store.seed(
    "dc1",
    Array.from({ length: 12 }, (_, s) => ({
      name: `svc-${String(s).padStart(2, "0")}`,
      instances: Array.from({ length: 3 }, (_, i) => ({ port: 8080 + i, node: `n-${(s + i) % 5}` })),
    })),
  );
  return store;
}

/** [node, check ID] of every check the seed made, in Consul's order (node, then check ID), computed from the seed's rule. */
function seededOrder(exceptNode?: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [["agent", "serfHealth"]];
  for (let s = 0; s < 12; s += 1) {
    for (let i = 0; i < 3; i += 1) rows.push([`n-${(s + i) % 5}`, `service:svc-${String(s).padStart(2, "0")}-${i}`]);
  }
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.filter(([node]) => node !== exceptNode).sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
}

const order = (json: Buffer) => (JSON.parse(json.toString()) as Check[]).map((c) => [c.Node, c.CheckID]);

describe("DatacenterCatalog.allChecksJson()", () => {
  it("should render every check in Consul's order and shape", () => {
    const dc = seededStore().datacenter("dc1")!;
    const answer = dc.allChecksJson();
    assert.deepEqual(order(answer.json), seededOrder());
    const first = (JSON.parse(answer.json.toString()) as Check[]).find((c) => c.CheckID === "service:svc-00-0");
    assert.deepEqual(first, {
      Node: "n-0",
      CheckID: "service:svc-00-0",
      Name: "Service 'svc-00' check",
      Status: "passing",
      Notes: "",
      Output: "",
      ServiceID: "svc-00-0",
      ServiceName: "svc-00",
      ServiceTags: [],
      Type: "ttl",
      Interval: "",
      Timeout: "",
      ExposedPort: 0,
      Definition: {},
      CreateIndex: answer.index,
      ModifyIndex: answer.index,
    });
    assert.deepEqual(Object.keys(first), [
      "Node",
      "CheckID",
      "Name",
      "Status",
      "Notes",
      "Output",
      "ServiceID",
      "ServiceName",
      "ServiceTags",
      "Type",
      "Interval",
      "Timeout",
      "ExposedPort",
      "Definition",
      "CreateIndex",
      "ModifyIndex",
    ]);
  });

  it("should re-render only the nodes a write touched, and nothing at an unchanged index", () => {
    const store = seededStore();
    const dc = store.datacenter("dc1")!;
    const first = dc.allChecksJson();
    assert.equal(dc.checkRenders, 6, "the first answer renders each of the 6 nodes once");
    assert.equal(dc.allChecksJson().json, first.json, "the same index answers the same bytes");
    assert.equal(dc.checkRenders, 6);

    assert.ok(store.setCheckStatus("dc1", "n-3", "service:svc-03-0", "critical", "down"));
    const second = dc.allChecksJson();
    assert.ok(second.index > first.index);
    assert.equal(dc.checkRenders, 7, "one write on n-3 re-renders n-3 only");
    const changed = (JSON.parse(second.json.toString()) as Check[]).find((c) => c.CheckID === "service:svc-03-0");
    assert.deepEqual([changed?.Status, changed?.Output, changed?.ModifyIndex], ["critical", "down", second.index]);
    assert.deepEqual(order(second.json), seededOrder(), "the order is unchanged");

    store.catalogDeregister("dc1", "n-1", "", "");
    const third = dc.allChecksJson();
    assert.equal(dc.checkRenders, 7, "removing a node re-renders nothing");
    assert.deepEqual(order(third.json), seededOrder("n-1"));

    store.resetIndexes("dc1");
    const reset = dc.allChecksJson();
    assert.equal(dc.checkRenders, 12, "an index reset replaces every record: the 5 remaining nodes render again");
    assert.deepEqual(order(reset.json), seededOrder("n-1"));
    assert.ok((JSON.parse(reset.json.toString()) as Check[]).every((c) => c.CreateIndex === 1 && c.ModifyIndex === 1));
  });
});
