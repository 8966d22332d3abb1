// Names: any name Consul allows maps to a valid, unique resource name; bridge-owned names never
// collide with a service's; Envoy virtual host domains stay unique across services.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  domainClaimsFor,
  envoyListenerName,
  envoyRouteConfigurationName,
  resolveDomainClaims,
  resourceNameFor,
} from "../src/mapping/index.js";
import { healthEntry } from "./support/consul-entries.js";
import { assertRouteConfigurationLoads, mapEntries } from "./support/mapping-assertions.js";

const escapes: Array<[string, string]> = [
  ["web", "web"],
  ["Web.Service_1-x", "Web.Service_1-x"],
  ["my svc", "my%20svc"],
  ["a/b", "a%2Fb"],
  ["xdstp:foo", "xdstp%3Afoo"],
  ["*", "%2A"],
  ["a%20b", "a%2520b"],
  ["ünï", "%C3%BCn%C3%AF"],
  ["🚀", "%F0%9F%9A%80"],
  ["consul-xds-bridge:http", "consul-xds-bridge%3Ahttp"],
];

const oddNames = [
  "web",
  "Web",
  "WEB",
  "my svc",
  "my%20svc",
  "a/b",
  "a:b",
  "a.b",
  "xdstp:foo",
  "*",
  "web*",
  "ünïcode",
  "🚀",
  "tab\tname",
  "new\nline",
  'quote"s',
  "-leading-dash",
  "_underscore",
  "a".repeat(300),
  "web.service.consul",
  "consul-xds-bridge:http",
];

describe("resourceNameFor()", () => {
  for (const [name, expected] of escapes) {
    it(`should map ${JSON.stringify(name)} to ${expected}`, () => {
      assert.equal(resourceNameFor(name), expected);
    });
  }

  it("should be injective over odd names and never produce a bridge-owned name", () => {
    const mapped = oddNames.map(resourceNameFor);
    assert.equal(new Set(mapped).size, oddNames.length);
    for (const name of mapped) {
      assert.match(name, /^[A-Za-z0-9._%-]+$/);
      assert.notEqual(name, envoyListenerName);
      assert.notEqual(name, envoyRouteConfigurationName);
      assert.ok(!name.startsWith("xdstp:"));
    }
  });
});

describe("mapping odd service names", () => {
  it("should produce valid resources for both kinds, with gRPC names equal to the xds:/// target", () => {
    const mapping = mapEntries(oddNames.map((service, i) => healthEntry({ service, node: `n${i}`, nodeAddress: `10.0.${i}.1` })));
    assert.equal(mapping.services.size, oddNames.length);
    for (const service of oddNames) {
      const m = mapping.services.get(service)!;
      const name = resourceNameFor(service);
      assert.equal(m.resourceName, name);
      assert.equal(m.envoy.cluster.name, name);
      assert.equal(m.grpc!.listener.name, name);
      assert.equal(m.grpc!.routeConfiguration.name, name);
      assert.deepEqual(m.grpc!.routeConfiguration.virtualHosts[0]!.domains, [name]);
    }
    // Envoy's listener and route configuration keep their own names next to every service.
    assert.deepEqual(
      mapping.envoy.listeners.map((l) => l.name),
      [envoyListenerName],
    );
    assert.ok(!mapping.grpc.listeners.some((l) => l.name === envoyListenerName));
    assert.ok(!mapping.envoy.clusters.some((c) => c.name === envoyListenerName));
  });
});

describe("names gRPC clients spell two ways", () => {
  it("should serve a name escaping changed under both spellings, each to the service's cluster", () => {
    const mapping = mapEntries([healthEntry({ service: "my svc", node: "n1", nodeAddress: "10.0.0.1" })]);
    const listeners = mapping.grpc.listeners.map((l) => l.name).sort();
    assert.deepEqual(listeners, ["my svc", "my%20svc"], "grpc-js asks for my%20svc, C-core for the decoded my svc");
    const routes = new Map(mapping.grpc.routeConfigurations.map((r) => [r.name, r]));
    for (const name of ["my svc", "my%20svc"]) {
      const route = routes.get(name)!;
      assert.deepEqual(route.virtualHosts[0]!.domains, [name], `${name}: the virtual host matches the authority dialled`);
      const action = route.virtualHosts[0]!.routes[0]!.action;
      assert.equal(action.case === "route" && action.value.clusterSpecifier.value, "my%20svc");
    }
    assert.deepEqual(
      mapping.grpc.clusters.map((c) => c.name),
      ["my%20svc"],
      "one cluster, whatever the spelling",
    );
  });

  it("should serve names escaping leaves alone once, and refuse an alias that could collide or cannot be dialled", () => {
    const services = ["web", "a b", "a%20b", "new\nline", "x:y"];
    const mapping = mapEntries(services.map((service, i) => healthEntry({ service, node: `n${i}`, nodeAddress: `10.0.${i}.1` })));
    assert.deepEqual(mapping.grpc.listeners.map((l) => l.name).sort(), ["a b", "a%20b", "a%2520b", "new%0Aline", "web", "x%3Ay"]);
    for (const service of ["a%20b", "new\nline", "x:y"]) {
      assert.deepEqual(
        mapping.services.get(service)!.warnings.map((w) => w.code),
        ["no-decoded-alias"],
        service,
      );
    }
    assert.deepEqual(mapping.services.get("web")!.warnings, []);
  });
});

describe("virtual host domains", () => {
  it("should give a service its name, .service.consul and .service.<dc>.consul, each with and without a port", () => {
    assert.deepEqual(
      domainClaimsFor("web", "dc1").map((c) => c.domain),
      ["web", "web:*", "web.service.consul", "web.service.consul:*", "web.service.dc1.consul", "web.service.dc1.consul:*"],
    );
  });

  it("should let a service's own name beat another service's alias", () => {
    const mapping = mapEntries([
      healthEntry({ service: "web", node: "a", nodeAddress: "10.0.0.1" }),
      healthEntry({ service: "web.service.consul", node: "b", nodeAddress: "10.0.0.2" }),
    ]);
    const hosts = new Map(mapping.envoy.routeConfigurations[0]!.virtualHosts.map((v) => [v.name, v.domains]));
    assert.deepEqual(hosts.get("web"), ["web", "web:*", "web.service.dc1.consul", "web.service.dc1.consul:*"]);
    assert.ok(hosts.get("web.service.consul")!.includes("web.service.consul"));
    assert.ok(mapping.services.get("web")!.warnings.length === 0, "service warnings hold only service-level ones");
    assert.ok(mapping.warnings.some((w) => w.service === "web" && w.code === "domain-conflict"));
  });

  it("should resolve names that differ only in case (Envoy compares domains case-insensitively)", () => {
    const mapping = mapEntries([
      healthEntry({ service: "web", node: "a", nodeAddress: "10.0.0.1" }),
      healthEntry({ service: "Web", node: "b", nodeAddress: "10.0.0.2" }),
    ]);
    const route = mapping.envoy.routeConfigurations[0]!;
    assertRouteConfigurationLoads(route);
    assert.deepEqual(
      route.virtualHosts.map((v) => v.name),
      ["Web"],
    );
    assert.ok(mapping.warnings.some((w) => w.service === "web" && w.code === "unrouted-service"));
    // Both clusters still exist; gRPC clients are not affected (one route configuration per target).
    assert.deepEqual(mapping.envoy.clusters.map((c) => c.name).sort(), ["Web", "web"]);
    assert.equal(mapping.grpc.listeners.length, 2);
  });

  it("should resolve conflicts the same way whatever the order of claims", () => {
    const claims = [...domainClaimsFor("web", "dc1"), ...domainClaimsFor("Web", "dc1"), ...domainClaimsFor("web.service.consul", "dc1")];
    const forward = resolveDomainClaims(claims);
    const backward = resolveDomainClaims([...claims].reverse());
    for (const service of ["web", "Web", "web.service.consul"]) {
      assert.deepEqual([...(backward.get(service) ?? [])].sort(), [...(forward.get(service) ?? [])].sort(), service);
    }
  });
});
