import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffCheckFeed } from "../src/consul/check-feed.js";
import { ConsulError, consulErrorFromReason, consulErrorFromStatus } from "../src/consul/consul-error.js";
import { instanceFromHealthEntry } from "../src/consul/health-entry.js";
import { selectBridgedServices } from "../src/consul/service-filter.js";

const node = { ID: "n-id", Node: "n1", Address: "10.0.0.1", Datacenter: "dc1", Meta: { zone: "a" } };
const service = {
  ID: "web-1",
  Service: "web",
  Tags: ["v1"],
  Address: "",
  Meta: { x: "y" },
  Port: 8080,
  Weights: { Passing: 3, Warning: 1 },
};
const check = (id: string, status: string, serviceId = "web-1") => ({ CheckID: id, Status: status, ServiceID: serviceId });

describe("instanceFromHealthEntry()", () => {
  it("should read an instance with the node's address, weights, meta and worst check", () => {
    const result = instanceFromHealthEntry(
      { Node: node, Service: service, Checks: [check("serfHealth", "passing", ""), check("service:web-1", "warning")] },
      "dc9",
    );
    assert.equal(result.kind, "instance");
    if (result.kind !== "instance") return;
    assert.deepEqual(result.instance, {
      id: "web-1",
      node: "n1",
      address: "10.0.0.1",
      port: 8080,
      tags: ["v1"],
      meta: { x: "y" },
      weights: { passing: 3, warning: 1 },
      health: { status: "warning", maintenance: "none" },
      datacenter: "dc1",
      nodeMeta: { zone: "a" },
    });
  });

  it("should prefer Service.Address, default weights to {1,1} and tolerate nulls", () => {
    const result = instanceFromHealthEntry(
      {
        Node: { Node: "n1", Address: "10.0.0.1", Meta: null },
        Service: { ...service, Address: "192.168.1.1", Weights: null, Tags: null, Meta: null },
        Checks: null,
      },
      "dc9",
    );
    assert.equal(result.kind, "instance");
    if (result.kind !== "instance") return;
    assert.equal(result.instance.address, "192.168.1.1");
    assert.deepEqual(result.instance.weights, { passing: 1, warning: 1 });
    assert.deepEqual([result.instance.tags, result.instance.meta, result.instance.nodeMeta], [[], {}, {}]);
    assert.deepEqual(result.instance.health, { status: "passing", maintenance: "none" });
    assert.equal(result.instance.datacenter, "dc9", "falls back to the datacenter queried");
  });

  it("should see service and node maintenance, and count node checks for the instance", () => {
    const health = (checks: unknown[]) => {
      const result = instanceFromHealthEntry({ Node: node, Service: service, Checks: checks }, "dc1");
      return result.kind === "instance" ? result.instance.health : undefined;
    };
    assert.deepEqual(health([check("_service_maintenance:web-1", "critical")]), { status: "critical", maintenance: "service" });
    assert.deepEqual(health([check("_node_maintenance", "critical", ""), check("_service_maintenance:web-1", "critical")]), {
      status: "critical",
      maintenance: "node",
    });
    assert.deepEqual(health([check("serfHealth", "critical", ""), check("service:web-1", "passing")]), {
      status: "critical",
      maintenance: "none",
    });
    assert.deepEqual(
      health([check("service:web-1", "maintenance-ish")]),
      { status: "critical", maintenance: "none" },
      "unknown status is critical",
    );
  });

  it("should skip weird records with a warning and other kinds at debug", () => {
    const cases: Array<[unknown, "warn" | "debug", RegExp]> = [
      [{ Node: node, Service: { ...service, ID: "" }, Checks: [] }, "warn", /missing Service.ID/],
      [{ Node: node, Service: { ...service, Port: "80" }, Checks: [] }, "warn", /invalid port "80"/],
      [{ Node: node, Service: { ...service, Port: 0 }, Checks: [] }, "warn", /invalid port 0/],
      [{ Node: { ...node, Node: "" }, Service: service, Checks: [] }, "warn", /missing Node.Node/],
      [{ Node: { ...node, Address: "" }, Service: service, Checks: [] }, "warn", /no Service.Address and no Node.Address/],
      [{ Node: node }, "warn", /without Node or Service/],
      [{ Node: node, Service: { ...service, Kind: "connect-proxy" }, Checks: [] }, "debug", /connect-proxy/],
      [{ Node: node, Service: { ...service, Kind: "mesh-gateway" }, Checks: [] }, "debug", /mesh-gateway/],
    ];
    for (const [entry, level, reason] of cases) {
      const result = instanceFromHealthEntry(entry, "dc1");
      assert.equal(result.kind, "skip", JSON.stringify(entry));
      if (result.kind !== "skip") continue;
      assert.equal(result.level, level);
      assert.match(result.reason, reason);
    }
  });
});

describe("selectBridgedServices()", () => {
  it("should bridge what the prefix, tag and exclusions allow, and never a service without a name", () => {
    const listing = { "": ["v1"], consul: [], "web-a": ["v1", 7], "web-b": "v1", api: ["v1"] };
    const filter = { prefix: "web-", exclude: new Set(["consul"]), tag: undefined };
    assert.deepEqual(
      [...(selectBridgedServices(listing, filter) ?? [])],
      [
        ["web-a", ["v1"]],
        ["web-b", []],
      ],
    );
    assert.deepEqual(
      [...(selectBridgedServices(listing, { ...filter, prefix: "", tag: "v1" }) ?? [])],
      [
        ["web-a", ["v1"]],
        ["api", ["v1"]],
      ],
    );
    assert.equal(selectBridgedServices([], filter), undefined, "a list is not a listing");
    assert.equal(selectBridgedServices(null, filter), undefined);
  });
});

describe("diffCheckFeed()", () => {
  const row = (nodeName: string, id: string, serviceId: string, serviceName: string, create: number, modify: number) => ({
    Node: nodeName,
    CheckID: id,
    ServiceID: serviceId,
    ServiceName: serviceName,
    CreateIndex: create,
    ModifyIndex: modify,
    Status: "passing",
  });
  const base = [row("n1", "serfHealth", "", "", 1, 1), row("n1", "service:a", "a", "a", 2, 2), row("n2", "service:b", "b", "b", 3, 3)];

  it("should report nothing for the baseline and remember service-check indexes", () => {
    const diff = diffCheckFeed(undefined, base, 3);
    assert.equal(diff.services.size + diff.nodes.size, 0);
    assert.deepEqual([...diff.writeIndexes].sort(), [2, 3]);
    assert.equal(diff.snapshot.size, 3);
  });

  it("should name services whose checks changed, appeared or vanished, and nodes whose node checks did", () => {
    const first = diffCheckFeed(undefined, base, 3);
    const next = [row("n1", "serfHealth", "", "", 1, 9), row("n1", "service:a", "a", "a", 2, 7), row("n3", "service:c", "c", "c", 8, 8)];
    const diff = diffCheckFeed(first.snapshot, next, 10);
    assert.deepEqual([...diff.services].sort(), [
      ["a", 7],
      ["b", 10],
      ["c", 8],
    ]);
    assert.deepEqual([...diff.nodes], [["n1", 9]]);
    assert.ok(diff.writeIndexes.has(10), "a vanished service check explains the answer's index");
    assert.ok(diff.writeIndexes.has(7) && diff.writeIndexes.has(8));
  });

  it("should report nothing when an answer equals the previous one", () => {
    const first = diffCheckFeed(undefined, base, 3);
    const diff = diffCheckFeed(first.snapshot, structuredClone(base), 3);
    assert.equal(diff.services.size + diff.nodes.size, 0);
  });

  it("should count unreadable rows instead of failing", () => {
    const diff = diffCheckFeed(undefined, [null, { CheckID: 1 }, ...base], 3);
    assert.equal(diff.malformed, 2);
    assert.equal(diff.snapshot.size, 3);
  });
});

describe("consulErrorFromStatus() / consulErrorFromReason()", () => {
  it("should classify Consul's answers", () => {
    const cases: Array<[number, string, string]> = [
      [500, "No path to datacenter", "unknown-datacenter"],
      [403, "ACL not found", "acl-denied"],
      [403, "Permission denied: token lacks permission 'service:read'", "acl-denied"],
      [429, "Your IP is issuing too many concurrent connections", "rate-limited"],
      [400, "Invalid wait time", "bad-request"],
      [500, "Failed to create boolean expression evaluator: 1:1 (0): no match", "bad-request"],
      [500, "rpc error: No cluster leader", "server-error"],
      [503, "", "server-error"],
      [404, "", "bad-request"],
    ];
    for (const [status, body, code] of cases) assert.equal(consulErrorFromStatus(status, body).code, code, `${status} ${body}`);
  });

  it("should classify transport failures", () => {
    const refused = Object.assign(new Error("consul: health.service: connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    assert.equal(consulErrorFromReason(refused).code, "unreachable");
    assert.equal(consulErrorFromReason(refused).message, "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1");
    assert.equal(consulErrorFromReason(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })).code, "unreachable");
    assert.equal(consulErrorFromReason(Object.assign(new Error("request timed out (10ms)"), { isTimeout: true })).code, "timeout");
    assert.equal(consulErrorFromReason(Object.assign(new Error("aborted"), { isAbort: true })).code, "aborted");
    assert.equal(consulErrorFromReason(Object.assign(new Error("decode failed"), { isCodec: true })).code, "bad-response");
    assert.equal(consulErrorFromReason(Object.assign(new Error("self signed"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" })).code, "tls");
    assert.equal(consulErrorFromReason(new TypeError("x is undefined")).code, "internal");
    const kept = new ConsulError("acl-denied", "kept");
    assert.equal(consulErrorFromReason(kept), kept);
  });

  it("should remove secrets from messages", () => {
    const error = consulErrorFromStatus(403, "token abc-secret-123 is not valid", ["abc-secret-123"]);
    assert.equal(error.message, "HTTP 403: token [redacted] is not valid");
    const foreign = consulErrorFromReason(new Error("failed with abc-secret-123"), ["abc-secret-123"]);
    assert.ok(!foreign.message.includes("abc-secret-123"));
  });
});
