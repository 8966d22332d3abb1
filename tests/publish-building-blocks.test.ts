// The publisher's building blocks, one invariant per test: last-good resolution keeps parent/child
// families consistent, the domain registry agrees with the full resolution, and the part assembler
// produces the bytes `toBinary` would for Envoy's route configuration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { VirtualHostSchema } from "../src/gen/envoy/config/route/v3/route_components_pb.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { DomainRegistry } from "../src/mapping/domain-registry.js";
import { createEnvoyBuilder } from "../src/mapping/envoy-builder.js";
import { buildEnvoyRouteConfiguration, domainClaimsFor, resolveDomainClaims, resolveMappingOptions } from "../src/mapping/index.js";
import { resolveServiceResources } from "../src/publish/last-good.js";
import { PartAssembler } from "../src/publish/part-assembler.js";
import { resourceKey } from "../src/publish/resource-key.js";
import {
  clusterType,
  type EncodedResource,
  encodeResource,
  encodeResourceValue,
  endpointType,
  listenerType,
  routeType,
  type XdsTypeUrl,
} from "../src/snapshot/index.js";

/** The resources one service contributes to a kind, by role (the shape these tables are written in). */
const slotTypes = { cluster: clusterType, assignment: endpointType, listener: listenerType, route: routeType } as const;
type Slot = keyof typeof slotTypes;
type Slots = Partial<Record<Slot, EncodedResource>>;

/** A stand-in resource of one role: only type, name, references and identity matter to resolution. */
function resource(slot: Slot, name: string, references: string[] = [], tag = ""): EncodedResource {
  return encodeResourceValue(slotTypes[slot], new TextEncoder().encode(`${name}${tag}`), name, references);
}

/** Resolves one service's resources given by role, as the publisher does by key. */
function resolvePublishedSlots(input: { previous: Slots; wanted: ReadonlySet<Slot>; accepted: Slots }): Slots {
  const keyed = (slots: Slots) =>
    new Map(Object.entries(slots).map(([slot, r]) => [resourceKey(slotTypes[slot as Slot], r!.name), r!] as const));
  const result = resolveServiceResources({
    previous: keyed(input.previous),
    wanted: new Set([...input.wanted].map((slot) => resourceKey(slotTypes[slot], "web"))),
    accepted: keyed(input.accepted),
  });
  const slots: Slots = {};
  const slotOf = (type: XdsTypeUrl) => (Object.keys(slotTypes) as Slot[]).find((slot) => slotTypes[slot] === type)!;
  for (const r of result.values()) slots[slotOf(r.typeUrl)] = r;
  return slots;
}

describe("resolvePublishedSlots()", () => {
  const eds = resource("cluster", "web", ["web"], "#eds");
  const eds2 = resource("cluster", "web", ["web"], "#eds2");
  const dns = resource("cluster", "web", [], "#dns");
  const cla = resource("assignment", "web", [], "#cla");
  const cla2 = resource("assignment", "web", [], "#cla2");
  const envoyWanted = (...slots: Slot[]) => new Set<Slot>(slots);

  const table: Array<{ name: string; previous: Slots; wanted: Set<Slot>; accepted: Slots; expected: Slots }> = [
    {
      name: "everything accepted",
      previous: { cluster: eds, assignment: cla },
      wanted: envoyWanted("cluster", "assignment"),
      accepted: { cluster: eds2, assignment: cla2 },
      expected: { cluster: eds2, assignment: cla2 },
    },
    {
      name: "assignment rejected: last good assignment with the new cluster",
      previous: { cluster: eds, assignment: cla },
      wanted: envoyWanted("cluster", "assignment"),
      accepted: { cluster: eds2 },
      expected: { cluster: eds2, assignment: cla },
    },
    {
      name: "cluster rejected: last good cluster with the new assignment",
      previous: { cluster: eds, assignment: cla },
      wanted: envoyWanted("cluster", "assignment"),
      accepted: { assignment: cla2 },
      expected: { cluster: eds, assignment: cla2 },
    },
    {
      name: "brand-new service with a rejected cluster: left out",
      previous: {},
      wanted: envoyWanted("cluster", "assignment"),
      accepted: { assignment: cla },
      expected: {},
    },
    {
      name: "brand-new service with a rejected assignment: left out",
      previous: {},
      wanted: envoyWanted("cluster", "assignment"),
      accepted: { cluster: eds },
      expected: {},
    },
    {
      name: "EDS → DNS accepted: the assignment goes",
      previous: { cluster: eds, assignment: cla },
      wanted: envoyWanted("cluster"),
      accepted: { cluster: dns },
      expected: { cluster: dns },
    },
    {
      name: "EDS → DNS rejected: the last good EDS pair stays whole",
      previous: { cluster: eds, assignment: cla },
      wanted: envoyWanted("cluster"),
      accepted: {},
      expected: { cluster: eds, assignment: cla },
    },
    {
      name: "DNS → EDS with the assignment rejected: the last good DNS cluster stays",
      previous: { cluster: dns },
      wanted: envoyWanted("cluster", "assignment"),
      accepted: { cluster: eds },
      expected: { cluster: dns },
    },
    {
      name: "nothing wanted (service gone): nothing",
      previous: { cluster: eds, assignment: cla },
      wanted: envoyWanted(),
      accepted: {},
      expected: {},
    },
  ];
  for (const row of table) {
    it(`should resolve: ${row.name}`, () => {
      assert.deepEqual(resolvePublishedSlots({ previous: row.previous, wanted: row.wanted, accepted: row.accepted }), row.expected);
    });
  }

  it("should leave a gRPC service out when its new listener is rejected and none was published", () => {
    const listener = resource("listener", "web", ["web"], "#l");
    const route = resource("route", "web", [], "#r");
    const result = resolvePublishedSlots({
      previous: {},
      wanted: new Set<Slot>(["cluster", "assignment", "listener", "route"]),
      accepted: { cluster: eds, assignment: cla, route },
    });
    assert.deepEqual(result, {});
    const kept = resolvePublishedSlots({
      previous: { cluster: eds, assignment: cla, listener, route },
      wanted: new Set<Slot>(["cluster", "assignment", "listener", "route"]),
      accepted: { cluster: eds2, assignment: cla2, route },
    });
    assert.deepEqual(kept, { cluster: eds2, assignment: cla2, listener, route });
  });
});

describe("DomainRegistry", () => {
  it("should report competitors as affected and agree with resolveDomainClaims", () => {
    const registry = new DomainRegistry();
    assert.deepEqual([...registry.update("web", domainClaimsFor("web", "dc1"))], ["web"]);
    assert.deepEqual([...registry.update("Web", domainClaimsFor("Web", "dc1"))].sort(), ["Web", "web"]);
    assert.deepEqual([...registry.update("api", domainClaimsFor("api", "dc1"))], ["api"]);
    const full = resolveDomainClaims([
      ...domainClaimsFor("web", "dc1"),
      ...domainClaimsFor("Web", "dc1"),
      ...domainClaimsFor("api", "dc1"),
    ]);
    for (const service of ["web", "Web", "api"]) assert.deepEqual(registry.won(service), full.get(service), service);
    assert.deepEqual(registry.won("web"), []);
    assert.deepEqual([...registry.update("Web", [])].sort(), ["Web", "web"]);
    assert.equal(registry.won("web").length, 6);
    assert.equal(registry.update("web", domainClaimsFor("web", "dc1")).size, 0, "unchanged claims affect nobody");
  });
});

describe("PartAssembler (Envoy's route configuration)", () => {
  const host = (name: string) => create(VirtualHostSchema, { name, domains: [name] });
  const encoded = (name: string) => toBinary(VirtualHostSchema, host(name));

  it("should assemble, in name order, exactly the bytes of the whole message", () => {
    const assembler = new PartAssembler(createEnvoyBuilder(resolveMappingOptions()).assembly!);
    for (const name of ["web", "api", "zeta", "db", "API"]) assembler.set(name, encoded(name));
    assembler.delete("zeta");
    const whole = buildEnvoyRouteConfiguration(["API", "api", "db", "web"].map(host));
    const expected = encodeResource(
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      RouteConfigurationSchema,
      whole,
      whole.name,
    );
    assert.equal(assembler.resource().hash, expected.hash);
    assert.deepEqual(assembler.resource().any, expected.any);
    assert.equal(assembler.size, 4);
  });

  it("should keep its assembled resource while nothing changes", () => {
    const assembler = new PartAssembler(createEnvoyBuilder(resolveMappingOptions()).assembly!);
    assembler.set("web", encoded("web"));
    const first = assembler.resource();
    assembler.set("web", encoded("web"));
    assembler.delete("absent");
    assert.equal(assembler.resource(), first);
    assembler.set("web", toBinary(VirtualHostSchema, create(VirtualHostSchema, { name: "web", domains: ["web", "web:*"] })));
    assert.notEqual(assembler.resource(), first);
  });
});
