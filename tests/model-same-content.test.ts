import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sameContent } from "../src/model/same-content.js";
import type { ServiceInstance } from "../src/model/service-instance.js";
import { ServiceModel } from "../src/model/service-model.js";

const instance = (id: string, extra: Partial<ServiceInstance> = {}): ServiceInstance => ({
  id,
  node: "n1",
  address: "10.0.0.1",
  port: 8080,
  tags: ["a", "b"],
  meta: { k: "v", x: "y" },
  weights: { passing: 1, warning: 1 },
  health: { status: "passing", maintenance: "none" },
  datacenter: "dc1",
  nodeMeta: { zone: "z1" },
  ...extra,
});

describe("sameContent()", () => {
  it("should agree with comparing JSON texts, except for the order of object keys", () => {
    const base = instance("i1");
    const cases: Array<[unknown, unknown]> = [
      [base, instance("i1")],
      [base, instance("i2")],
      [base, instance("i1", { port: 8081 })],
      [base, instance("i1", { tags: ["b", "a"] })],
      [base, instance("i1", { tags: ["a"] })],
      [base, instance("i1", { meta: { k: "v" } })],
      [base, instance("i1", { meta: { k: "v", x: "z" } })],
      [base, instance("i1", { health: { status: "critical", maintenance: "none" } })],
      [base, instance("i1", { weights: { passing: 1, warning: 2 } })],
      [[base], [base, base]],
      [[], {}],
      [null, {}],
      [{ a: 1, b: undefined }, { a: 1 }],
      [1, "1"],
    ];
    for (const [a, b] of cases)
      assert.equal(sameContent(a, b), JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(sameContent({ a: 1, b: 2 }, { b: 2, a: 1 }), true, "key order does not matter");
  });

  it("should keep ServiceModel from counting an equal re-read as a change", () => {
    const model = new ServiceModel({ localDatacenter: "dc1" });
    assert.equal(model.setService("dc1", "web", [instance("b"), instance("a")]), true);
    const revision = model.revision;
    assert.equal(model.setService("dc1", "web", [instance("a"), structuredClone(instance("b"))]), false);
    assert.equal(model.revision, revision);
    assert.equal(model.setService("dc1", "web", [instance("a"), instance("b", { port: 1 })]), true);
    assert.equal(model.setService("dc1", "web", []), true);
    assert.equal(model.setService("dc1", "web", []), false);
  });
});
