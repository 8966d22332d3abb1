import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkJsonText } from "../src/embedded-consul/consul-json.js";
import { CatalogStore } from "../src/embedded-consul/index.js";

describe("DatacenterCatalog.allChecksJson()", () => {
  it("should render every check sorted by node then check ID, re-rendering only the nodes a write touched", () => {
    const store = new CatalogStore({
      datacenters: ["dc1"],
      nodeName: "agent",
      nodeAddress: "127.0.0.1",
      consulService: true,
      ttlExpiry: false,
    });
    const dc = store.datacenter("dc1")!;
    const expected = () => `[${dc.allChecks().records.map(checkJsonText).join(",")}]`;
    store.seed(
      "dc1",
      Array.from({ length: 30 }, (_, s) => ({
        name: `svc-${s}`,
        instances: Array.from({ length: 4 }, (_, i) => ({ port: 8080 + i, node: `n-${(s + i) % 7}` })),
      })),
    );
    const first = dc.allChecksJson();
    assert.equal(first.json.toString(), expected());
    const records = dc.allChecks().records;
    for (let i = 1; i < records.length; i++) {
      const [a, b] = [records[i - 1]!, records[i]!];
      assert.ok(a.node < b.node || (a.node === b.node && a.checkId < b.checkId), "sorted by node, then check ID");
    }
    assert.equal(dc.allChecksJson().json, dc.allChecksJson().json, "cached per index");
    store.setCheckStatus("dc1", "n-3", "service:svc-3-0", "critical");
    const second = dc.allChecksJson();
    assert.ok(second.index > first.index);
    assert.equal(second.json.toString(), expected());
    assert.match(second.json.toString(), /"CheckID":"service:svc-3-0","Name":"[^"]*","Status":"critical"/);
    store.catalogDeregister("dc1", "n-5", "", "");
    assert.equal(dc.allChecksJson().json.toString(), expected());
    assert.ok(!dc.allChecksJson().json.toString().includes('"Node":"n-5"'));
    store.resetIndexes("dc1");
    assert.equal(dc.allChecksJson().json.toString(), expected());
  });
});
