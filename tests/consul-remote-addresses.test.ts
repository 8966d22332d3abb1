// Instances of failover datacenters are reached at their WAN address, as Consul's own Envoy
// integration does (CheckServiceNode.BestAddress(wan=true)); the local datacenter keeps the LAN rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instanceFromHealthEntry } from "../src/consul/health-entry.js";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { ServiceModel } from "../src/model/service-model.js";
import { http, instancesOf, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";
import { parseCommandLine } from "./support/parse-command-line.js";

type Tagged = { service?: string; servicePort?: number; serviceWan?: string; serviceWanPort?: number; nodeWan?: string };

function entry(tagged: Tagged) {
  return {
    Node: {
      Node: "n1",
      Address: "10.0.0.1",
      ...(tagged.nodeWan !== undefined ? { TaggedAddresses: { lan: "10.0.0.1", wan: tagged.nodeWan } } : {}),
    },
    Service: {
      ID: "web-1",
      Service: "web",
      Address: tagged.service ?? "",
      Port: tagged.servicePort ?? 8080,
      ...(tagged.serviceWan !== undefined
        ? {
            TaggedAddresses: {
              lan_ipv4: { Address: tagged.service ?? "", Port: 8080 },
              wan: { Address: tagged.serviceWan, Port: tagged.serviceWanPort ?? 0 },
            },
          }
        : {}),
    },
    Checks: [],
  };
}

function addressOf(tagged: Tagged, rule: "lan" | "wan"): string {
  const result = instanceFromHealthEntry(entry(tagged), "dc2", rule);
  assert.equal(result.kind, "instance");
  return result.kind === "instance" ? `${result.instance.address}:${result.instance.port}` : "";
}

describe("instanceFromHealthEntry() address rules", () => {
  const all = { service: "10.1.1.1", serviceWan: "198.18.1.1", serviceWanPort: 9443, nodeWan: "198.18.0.1" };

  it("should take, under the WAN rule, Service TaggedAddresses.wan, Service.Address, Node TaggedAddresses.wan, Node.Address in turn", () => {
    assert.equal(addressOf(all, "wan"), "198.18.1.1:9443", "the service's WAN address, with its port");
    assert.equal(addressOf({ ...all, serviceWanPort: 0 }, "wan"), "198.18.1.1:8080", "a WAN port of 0 keeps the service's port");
    assert.equal(addressOf({ service: "10.1.1.1", nodeWan: "198.18.0.1" }, "wan"), "10.1.1.1:8080", "then Service.Address");
    assert.equal(addressOf({ nodeWan: "198.18.0.1" }, "wan"), "198.18.0.1:8080", "then the node's WAN address");
    assert.equal(addressOf({}, "wan"), "10.0.0.1:8080", "then Node.Address");
    assert.equal(addressOf({ serviceWan: "", nodeWan: "" }, "wan"), "10.0.0.1:8080", "an empty tagged address counts as none");
  });

  it("should take, under the LAN rule, Service.Address else Node.Address, whatever is tagged", () => {
    assert.equal(addressOf(all, "lan"), "10.1.1.1:8080");
    assert.equal(addressOf({ nodeWan: "198.18.0.1", serviceWan: "198.18.1.1" }, "lan"), "10.0.0.1:8080");
  });
});

/** Registers `web` in `dc` on its own node, with WAN tagged addresses on node and (optionally) service. */
async function register(consul: EmbeddedConsul, dc: string, node: string, lan: string, wan: string, serviceWan?: string): Promise<void> {
  const answer = await http(consul.url, "PUT", "/v1/catalog/register", {
    Datacenter: dc,
    Node: node,
    Address: lan,
    TaggedAddresses: { lan, wan },
    Service: {
      ID: `web-${node}`,
      Service: "web",
      Port: 8080,
      ...(serviceWan !== undefined ? { TaggedAddresses: { wan: { Address: serviceWan, Port: 8443 } } } : {}),
    },
    Check: { CheckID: `service:web-${node}`, Name: "check", Status: "passing", ServiceID: `web-${node}` },
  });
  assert.equal(answer.status, 200, answer.text);
}

describe("createConsulWatcher() remoteDatacenterAddress", () => {
  for (const [rule, expected] of [
    [undefined, ["198.18.2.1:8080", "198.18.9.9:8443"]],
    ["lan", ["10.2.0.1:8080", "10.2.0.2:8080"]],
  ] as const) {
    it(`should address failover-datacenter instances by the ${rule ?? "default (wan)"} rule and local ones by LAN`, async (t) => {
      const consul = await useEmbeddedConsul(t, { datacenters: ["dc1", "dc2"] });
      await register(consul, "dc1", "local", "10.1.0.1", "198.18.1.1", "198.18.1.9");
      await register(consul, "dc2", "far-1", "10.2.0.1", "198.18.2.1");
      await register(consul, "dc2", "far-2", "10.2.0.2", "198.18.2.2", "198.18.9.9");
      const model = new ServiceModel({ localDatacenter: "", failoverDatacenters: ["dc2"] });
      const h = useWatcher(t, consul, { model, ...(rule ? { remoteDatacenterAddress: rule } : {}) });
      await h.model.whenSynced();
      const addresses = (dc: string) => instancesOf(model, "web", dc)?.map((i) => `${i.address}:${i.port}`);
      assert.deepEqual(addresses("dc1"), ["10.1.0.1:8080"], "the local datacenter keeps the LAN rule");
      assert.deepEqual(addresses("dc2"), expected);
    });
  }
});

describe("consul-xds-bridge serve --remote-dc-address", () => {
  it("should default to wan, take lan, and refuse anything else", async () => {
    const parsed = await parseCommandLine(["serve"]);
    assert.equal(parsed.command === "serve" && parsed.config.consul.remoteDatacenterAddress, "wan");
    const lan = await parseCommandLine(["serve", "--remote-dc-address", "lan"]);
    assert.equal(lan.command === "serve" && lan.config.consul.remoteDatacenterAddress, "lan");
    await assert.rejects(parseCommandLine(["serve", "--remote-dc-address", "public"]), /Allowed choices are wan, lan/);
  });
});
