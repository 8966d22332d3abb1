// A service that vanishes from Consul stays, with no instances, for a grace period (virtual time):
// a redeploy registering it again within the grace is one change of its instances, and every
// resource but its (now empty) assignment stays as it was.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { Cluster_DiscoveryType } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { mapModel, resolveMappingOptions } from "../src/mapping/index.js";
import { type ModelChange, ServiceModel } from "../src/model/service-model.js";
import { envoyTypeRegistry } from "../src/validate/index.js";
import { instance } from "./support/consul-entries.js";
import { manualClock } from "./support/manual-clock.js";
import { assertAllValid } from "./support/mapping-assertions.js";

/** The schema of a generated message, found by its type name. */
function schemaOf(message: Message): DescMessage {
  const schema = envoyTypeRegistry().getMessage(message.$typeName);
  assert.ok(schema, message.$typeName);
  return schema;
}

const web1 = instance({ service: "web", id: "web-1", nodeAddress: "10.0.0.1" });
const web2 = instance({ service: "web", id: "web-2", node: "node-2", nodeAddress: "10.0.0.2" });

function useModel(vanishedGraceMs: number) {
  const clock = manualClock();
  const model = new ServiceModel({ localDatacenter: "dc1", vanishedGraceMs, clock });
  const changes: ModelChange[] = [];
  model.onChange((change) => changes.push(change));
  return { clock, model, changes };
}

/** Lets the promise callbacks of woken sleeps run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("ServiceModel.removeService() with a grace period", () => {
  it("should keep a removed service with no instances until the grace ends, then forget it", async () => {
    const { clock, model, changes } = useModel(60_000);
    model.setService("dc1", "web", [web1, web2]);
    assert.equal(model.removeService("dc1", "web"), true);
    assert.deepEqual(model.view().services.get("web")?.get("dc1")?.instances, [], "still known, with no instances");
    assert.deepEqual(model.vanishingServices(), [{ datacenter: "dc1", name: "web", until: 60_000 }]);
    const revision = model.revision;

    clock.advance(59_999);
    await settle();
    assert.ok(model.view().services.has("web"), "kept until the grace ends");
    assert.equal(model.revision, revision, "no change while it waits");

    clock.advance(1);
    await settle();
    assert.equal(model.view().services.has("web"), false, "forgotten once the grace ends");
    assert.deepEqual(model.vanishingServices(), []);
    assert.deepEqual(
      changes.map((c) => [...c.services]),
      [["web"], ["web"], ["web"]],
      "set, emptied, forgotten",
    );
  });

  it("should make a re-registration within the grace one change of instances, and cancel the removal", async () => {
    const { clock, model, changes } = useModel(60_000);
    model.setService("dc1", "web", [web1]);
    model.removeService("dc1", "web");
    clock.advance(30_000);
    model.setService("dc1", "web", [web2]);
    assert.deepEqual(
      model
        .view()
        .services.get("web")
        ?.get("dc1")
        ?.instances.map((i) => i.id),
      ["web-2"],
    );
    assert.deepEqual(model.vanishingServices(), [], "the removal is cancelled");
    clock.advance(60_000);
    await settle();
    assert.ok(model.view().services.has("web"), "the cancelled grace never forgets the service");
    assert.equal(changes.length, 3, "set, emptied, set again: never removed");
  });

  it("should start one grace only when removed again while vanishing", async () => {
    const { clock, model } = useModel(10_000);
    model.setService("dc1", "web", [web1]);
    model.removeService("dc1", "web");
    clock.advance(5_000);
    assert.equal(model.removeService("dc1", "web"), true);
    clock.advance(5_000);
    await settle();
    assert.equal(model.view().services.has("web"), false, "the first removal's grace decides");
    assert.equal(model.removeService("dc1", "web"), false, "an unknown service is not removed");
  });

  it("should grant a new grace when a service comes back and vanishes again", async () => {
    const { clock, model } = useModel(10_000);
    model.setService("dc1", "web", [web1]);
    model.removeService("dc1", "web");
    clock.advance(8_000);
    model.setService("dc1", "web", [web1]);
    model.removeService("dc1", "web");
    clock.advance(8_000);
    await settle();
    assert.ok(model.view().services.has("web"), "16 s after the first removal, 8 s into the second grace");
    clock.advance(2_000);
    await settle();
    assert.equal(model.view().services.has("web"), false);
  });

  it("should grace each datacenter on its own", async () => {
    const { clock, model } = useModel(10_000);
    model.setService("dc1", "web", [web1]);
    model.setService("dc2", "web", [{ ...web2, datacenter: "dc2" }]);
    model.removeService("dc2", "web");
    clock.advance(10_000);
    await settle();
    assert.deepEqual([...(model.view().services.get("web")?.keys() ?? [])], ["dc1"]);
  });

  it("should forget at once with no grace (0)", () => {
    const { model } = useModel(0);
    model.setService("dc1", "web", [web1]);
    model.removeService("dc1", "web");
    assert.equal(model.view().services.has("web"), false);
  });

  it("should stop every grace on close() without forgetting the services", async () => {
    const { clock, model } = useModel(10_000);
    model.setService("dc1", "web", [web1]);
    model.removeService("dc1", "web");
    model.close();
    assert.equal(clock.pending, 0, "no timer left waiting");
    clock.advance(10_000);
    await settle();
    assert.ok(model.view().services.has("web"));
  });
});

describe("mapModel() of a service with no instances left", () => {
  const grpcMeta = { "xds-bridge-protocol": "grpc", "xds-bridge-lb-policy": "least_request", "xds-bridge-connect-timeout": "250ms" };
  const api = [1, 2].map((n) =>
    instance({ service: "api", id: `api-${n}`, node: `node-${n}`, nodeAddress: `10.0.1.${n}`, meta: grpcMeta }),
  );

  /** Every resource of `name` but its assignment, encoded: what must not change while it has no instances. */
  function resourcesBesidesEndpoints(model: ServiceModel) {
    const mapping = mapModel(model.view(), resolveMappingOptions(undefined));
    assertAllValid(mapping);
    const encode = (message: Message) => Buffer.from(toBinary(schemaOf(message), message)).toString("base64");
    return {
      resources: [
        ...mapping.envoy.clusters,
        ...mapping.grpc.clusters,
        ...mapping.grpc.listeners,
        ...mapping.grpc.routeConfigurations,
        ...mapping.envoy.routeConfigurations,
      ].map(encode),
      endpoints: mapping.grpc.assignments.flatMap((a) => a.endpoints.flatMap((l) => l.lbEndpoints)).length,
    };
  }

  it("should keep the settings its last instances gave it while it vanishes, so no resource but its assignment changes", () => {
    const { model } = useModel(60_000);
    model.setService("dc1", "api", api);
    const before = resourcesBesidesEndpoints(model);
    assert.equal(before.endpoints, 2);
    model.removeService("dc1", "api");
    assert.deepEqual(model.view().services.get("api")?.get("dc1")?.lastInstances, api, "it remembers its last instances");
    const during = resourcesBesidesEndpoints(model);
    assert.equal(during.endpoints, 0, "the assignment is empty");
    assert.deepEqual(during.resources, before.resources, "HTTP/2, least_request, 250 ms, the route: all kept");
    model.setService("dc1", "api", api);
    assert.equal(model.view().services.get("api")?.get("dc1")?.lastInstances, undefined, "back to its instances");
    assert.deepEqual(resourcesBesidesEndpoints(model), before);
  });

  it("should keep them too when Consul answers [] for a service it still lists", () => {
    const { model } = useModel(0);
    model.setService("dc1", "api", api);
    const before = resourcesBesidesEndpoints(model);
    model.setService("dc1", "api", []);
    assert.deepEqual(resourcesBesidesEndpoints(model).resources, before.resources);
  });

  it("should keep a hostname-only service a STRICT_DNS cluster while it vanishes", () => {
    const { model } = useModel(60_000);
    model.setService("dc1", "db", [{ ...instance({ service: "db" }), address: "db.internal" }]);
    model.removeService("dc1", "db");
    const mapping = mapModel(model.view(), resolveMappingOptions(undefined));
    assertAllValid(mapping);
    assert.deepEqual(mapping.envoy.clusters[0]?.clusterDiscoveryType, { case: "type", value: Cluster_DiscoveryType.STRICT_DNS });
    assert.equal(mapping.envoy.clusters[0]?.loadAssignment?.endpoints.length ?? 0, 0, "with no endpoint");
  });
});
