import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MembershipFingerprints } from "../src/consul/membership-fingerprints.js";

/** A `/v1/health/service/:name` entry of `id` on `node`, with a service check unless told otherwise. */
const entry = (node: string, id: string, checked = true) => ({
  Node: { Node: node, Address: "10.0.0.1" },
  Service: { ID: id, Service: "web", Port: 80 },
  Checks: [{ CheckID: "serfHealth", ServiceID: "" }, ...(checked ? [{ CheckID: `service:${id}`, ServiceID: id }] : [])],
});

/** A `/v1/health/state/any` row. */
const row = (node: string, checkId: string, serviceId: string, serviceName: string) => ({
  Node: node,
  CheckID: checkId,
  Status: "passing",
  ServiceID: serviceId,
  ServiceName: serviceName,
  CreateIndex: 1,
  ModifyIndex: 1,
});

const listing = (rows: unknown[]) => Buffer.from(JSON.stringify(rows));
/** web and api are bridged; other is not. */
const all = (service: string) => service !== "other";

describe("MembershipFingerprints", () => {
  const reads = () => {
    const prints = new MembershipFingerprints();
    prints.noteRead("web", [entry("n1", "web-1"), entry("n2", "web-2"), entry("n3", "web-3", false)]);
    prints.noteRead("api", [entry("n1", "api-1")]);
    return prints;
  };
  const same = [
    row("n1", "serfHealth", "", ""),
    row("n1", "service:web-1", "web-1", "web"),
    row("n1", "service:web-1:2", "web-1", "web"),
    row("n2", "service:web-2", "web-2", "web"),
    row("n1", "service:api-1", "api-1", "api"),
    row("n9", "service:other-1", "other-1", "other"),
  ];

  it("should find no difference when the listing shows the checked instances the reads showed", () => {
    assert.deepEqual([...(reads().differing(listing(same), all) ?? [])], []);
  });

  it("should name a service that gained a checked instance, or lost one", () => {
    const gained = [...same, row("n4", "service:web-4", "web-4", "web")];
    assert.deepEqual([...(reads().differing(listing(gained), all) ?? [])], ["web"]);
    const lost = same.filter((r) => r.ServiceID !== "web-2");
    assert.deepEqual([...(reads().differing(listing(lost), all) ?? [])], ["web"]);
    const gone = same.filter((r) => r.ServiceName !== "api");
    assert.deepEqual([...(reads().differing(listing(gone), all) ?? [])], ["api"], "a service with no checked instance left");
  });

  it("should tell instances apart by node and ID, and leave out services not bridged", () => {
    const moved = same.map((r) => (r.ServiceID === "web-2" ? { ...r, Node: "n7" } : r));
    assert.deepEqual([...(reads().differing(listing(moved), all) ?? [])], ["web"]);
    const gained = [...same, row("n4", "service:web-4", "web-4", "web")];
    assert.deepEqual([...(reads().differing(listing(gained), (s) => s === "api") ?? [])], []);
  });

  it("should read escaped names as the reads decode them", () => {
    const prints = new MembershipFingerprints();
    prints.noteRead("wéb", [entry("nœud-1", "wéb-1")]);
    const text = JSON.stringify([row("nœud-1", "service:wéb-1", "wéb-1", "wéb")]).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    assert.ok(text.includes("\\u00e9"), "the listing carries escapes");
    assert.deepEqual([...(prints.differing(Buffer.from(text), all) ?? [])], []);
  });

  it("should forget a service no longer bridged, and call a listing that is not a list unusable", () => {
    const prints = reads();
    prints.forget("api");
    assert.deepEqual(
      [...(prints.differing(listing(same), all) ?? [])],
      ["api"],
      "api is now a service with instances unknown to the reads",
    );
    assert.equal(reads().differing(Buffer.from("{}"), all), undefined);
  });
});
