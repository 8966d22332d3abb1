// A service whose new chain is refused keeps its last good chain, mapped with the entries that chain
// was compiled from — never with the entry that was refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRegistry, toJson } from "@bufbuild/protobuf";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { HttpProtocolOptionsSchema } from "../src/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import { clusterType } from "../src/snapshot/index.js";
import { type ConsulConfigEntry, serviceDefaults } from "./support/config-entries.js";
import { decodeResource, putEntries, syncEntries, trafficPolicyPublisher } from "./support/traffic-policy-publisher.js";

const registry = createRegistry(HttpProtocolOptionsSchema);
const toApi: ConsulConfigEntry = { Kind: "service-splitter", Name: "web", Splits: [{ Weight: 50 }, { Weight: 50, Service: "api" }] };

describe("createSnapshotPublisher() keeping a last good chain", () => {
  it("should keep mapping the kept chain with the protocol it was compiled with, not the refused one", async () => {
    const { store, publisher, publish, firstPublish, warnings } = trafficPolicyPublisher();
    syncEntries(store, serviceDefaults("web", "http"), serviceDefaults("api", "http"), toApi);
    await firstPublish();
    const apiTarget = () =>
      toJson(ClusterSchema, decodeResource(publisher.cache.getSnapshot("envoy")!, clusterType, "web::api:dc1", ClusterSchema), {
        registry,
      }) as Record<string, unknown>;
    assert.equal(apiTarget().typedExtensionProtocolOptions, undefined, "HTTP/1.1 to api at first");

    // api turns grpc: web's chain now mixes protocols, so it is refused and web keeps its last good chain.
    putEntries(store, "service-defaults", serviceDefaults("web", "http"), serviceDefaults("api", "grpc"));
    await publish();
    assert.ok(
      (warnings.get("web") ?? []).some((w) => w.code === "invalid-config-entry" && /inconsistent protocols/.test(w.message)),
      "web's new chain is refused",
    );
    assert.equal(apiTarget().typedExtensionProtocolOptions, undefined, "the kept chain still speaks HTTP/1.1 to api");
    const apiOwn = toJson(ClusterSchema, decodeResource(publisher.cache.getSnapshot("envoy")!, clusterType, "api", ClusterSchema), {
      registry,
    }) as Record<string, unknown>;
    assert.ok(apiOwn.typedExtensionProtocolOptions, "api's own chain takes the new protocol (HTTP/2)");

    // Fixing the conflict applies the current entries again.
    putEntries(store, "service-defaults", serviceDefaults("web", "grpc"), serviceDefaults("api", "grpc"));
    await publish();
    assert.ok(apiTarget().typedExtensionProtocolOptions, "a fresh chain is mapped with the current entries");
  });
});
