// Values Consul accepts in config entries that Envoy or gRPC clients would refuse: the chain builders
// leave them out with a warning naming the entry and field, so every resource built passes the gate
// (and encodes), and the rest of the chain still applies.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Message, toBinary } from "@bufbuild/protobuf";
import { compileDiscoveryChain } from "../src/discovery-chain/compile-discovery-chain.js";
import { ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { ClusterLoadAssignmentSchema } from "../src/gen/envoy/config/endpoint/v3/endpoint_pb.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { buildChainResources } from "../src/mapping/build-chain-resources.js";
import { buildChainRouteConfiguration } from "../src/mapping/build-chain-route-configuration.js";
import { type ClientKind, resolveMappingOptions } from "../src/mapping/index.js";
import type { ModelView } from "../src/model/service-model.js";
import { validateXdsResource } from "../src/validate/index.js";
import { type ConsulConfigEntry, entriesOf, serviceDefaults, versionSubsets } from "./support/config-entries.js";
import { type EntrySpec, healthEntry, modelOf } from "./support/consul-entries.js";

const options = resolveMappingOptions();
const fleet: EntrySpec[] = [
  { service: "web", id: "web-a", node: "n1", nodeAddress: "10.0.1.1", meta: { version: "1" } },
  { service: "web", id: "web-b", node: "n2", nodeAddress: "10.0.1.2", meta: { version: "2" } },
  { service: "api", id: "api-a", node: "n3", nodeAddress: "10.0.3.1" },
];
const view: ModelView = modelOf(fleet.map(healthEntry)).view();
const versions = versionSubsets("web");

/** Compiles web's chain and builds one kind's resources, with the gate's verdict and encoding of each. */
function build(kind: ClientKind, ...raw: ConsulConfigEntry[]) {
  const entries = entriesOf(...raw);
  const compiled = compileDiscoveryChain("web", {
    entries,
    localDatacenter: view.localDatacenter,
    servedDatacenters: [view.localDatacenter],
    hasService: (name) => view.services.has(name),
    downstreamService: "consul-xds-bridge",
  });
  assert.deepEqual(compiled.errors, [], "the chain compiles");
  assert.ok(compiled.chain);
  const resources = buildChainResources({ view, chain: compiled.chain, entries, kind, options, downstreamService: "consul-xds-bridge" });
  const routeConfiguration = buildChainRouteConfiguration(
    kind === "grpc" ? "web" : "consul-xds-bridge:http",
    "web",
    ["web"],
    resources.routes,
  );
  const problems: string[] = [];
  const messages: Message[] = [...resources.clusters, ...resources.assignments, routeConfiguration];
  for (const message of messages) {
    const schema =
      message.$typeName === ClusterSchema.typeName
        ? ClusterSchema
        : message.$typeName === ClusterLoadAssignmentSchema.typeName
          ? ClusterLoadAssignmentSchema
          : RouteConfigurationSchema;
    try {
      toBinary(schema, message as never);
    } catch (error) {
      problems.push(`encoding ${message.$typeName}: ${(error as Error).message}`);
    }
    const verdict = validateXdsResource(message, { client: kind, ...(kind === "grpc" ? { authority: "web" } : {}) });
    if (!verdict.valid) problems.push(`${message.$typeName}: ${JSON.stringify(verdict.errors)}`);
  }
  const messagesOf = (code: string) => resources.warnings.filter((w) => w.code === code).map((w) => w.message);
  return { resources, routeConfiguration, problems, messagesOf };
}

describe("buildChainResources()", () => {
  describe("header changes Envoy refuses", () => {
    it("should never add, set or remove Host (any case) or a pseudo-header, on routes or splits, and say so for each", () => {
      const built = build(
        "envoy",
        serviceDefaults("web", "http"),
        versions,
        {
          Kind: "service-router",
          Name: "web",
          Routes: [
            {
              Match: { HTTP: { PathPrefix: "/a" } },
              Destination: {
                RequestHeaders: { Set: { Host: "api.internal", "x-env": "a" }, Remove: ["host"] },
                ResponseHeaders: { Add: { HOST: "x" }, Remove: [":status", "x-debug"] },
              },
            },
          ],
        },
        {
          Kind: "service-splitter",
          Name: "web",
          Splits: [
            { Weight: 90, ServiceSubset: "v1", RequestHeaders: { Add: { hOsT: "v1" }, Set: { "x-version": "1" } } },
            { Weight: 10, ServiceSubset: "v2", ResponseHeaders: { Remove: ["Host"] } },
          ],
        },
      );
      assert.deepEqual(built.problems, [], "every resource passes the gate");
      const route = built.resources.routes[0]!;
      assert.deepEqual(
        [
          route.requestHeadersToAdd.map((h) => h.header?.key),
          route.requestHeadersToRemove,
          route.responseHeadersToAdd.map((h) => h.header?.key),
          route.responseHeadersToRemove,
        ],
        [["x-env"], [], [], ["x-debug"]],
        "only the headers Envoy lets a route change are kept",
      );
      const catchAll = built.resources.routes[1]!;
      assert.equal(catchAll.action.case, "route");
      const specifier = catchAll.action.value.clusterSpecifier;
      assert.equal(specifier.case, "weightedClusters");
      const [v1, v2] = specifier.value.clusters;
      assert.deepEqual(
        [v1?.requestHeadersToAdd.map((h) => h.header?.key), v2?.responseHeadersToRemove],
        [["x-version"], []],
        "the splits keep their other header changes",
      );
      const skipped = built.messagesOf("ignored-config-entry").filter((m) => m.includes("is skipped"));
      assert.deepEqual(
        skipped.map((m) => m.slice(0, m.indexOf(" is skipped"))).sort(),
        [
          'service-router/web Routes[0] Destination.RequestHeaders.Remove: header "host"',
          'service-router/web Routes[0] Destination.RequestHeaders.Set: header "Host"',
          'service-router/web Routes[0] Destination.ResponseHeaders.Add: header "HOST"',
          'service-router/web Routes[0] Destination.ResponseHeaders.Remove: header ":status"',
          'service-splitter/web (the split to web:v1) Splits[].RequestHeaders.Add: header "hOsT"',
          'service-splitter/web (the split to web:v2) Splits[].ResponseHeaders.Remove: header "Host"',
        ],
        "one warning per skipped header, naming the entry and the field",
      );
      assert.ok(skipped.every((m) => /Envoy refuses to add, set or remove pseudo-headers and Host/.test(m)));
    });
    it("should skip a header whose name or value holds a NUL, CR or LF, which Envoy refuses", () => {
      const built = build("envoy", serviceDefaults("web", "http"), {
        Kind: "service-router",
        Name: "web",
        Routes: [
          {
            Match: { HTTP: { PathPrefix: "/a" } },
            Destination: { RequestHeaders: { Set: { "x-bad": "a\r\nx-injected: 1", "x-good": "ok" }, Add: { "x\nname": "v" } } },
          },
        ],
      });
      assert.deepEqual(built.problems, []);
      assert.deepEqual(
        built.resources.routes[0]?.requestHeadersToAdd.map((h) => h.header?.key),
        ["x-good"],
      );
      const skipped = built.messagesOf("ignored-config-entry");
      assert.ok(skipped.some((m) => m.includes('RequestHeaders.Set: header "x-bad" is skipped: its value holds a NUL, CR or LF')));
      assert.ok(skipped.some((m) => m.includes('RequestHeaders.Add: header "x\\nname" is skipped: its name holds a NUL, CR or LF')));
    });
  });

  describe("durations", () => {
    it("should keep every Consul duration to the nanosecond (never a fraction Envoy cannot encode, never 0s for a short one)", () => {
      const downstream = serviceDefaults("consul-xds-bridge", "http", {
        UpstreamConfig: { Defaults: { ConnectTimeoutMs: 2.5, PassiveHealthCheck: { Interval: "1.5ms", BaseEjectionTime: "2.0001s" } } },
      });
      const built = build("envoy", serviceDefaults("web", "http"), downstream, {
        Kind: "service-router",
        Name: "web",
        Routes: [{ Match: { HTTP: { PathPrefix: "/a" } }, Destination: { RequestTimeout: "250us", IdleTimeout: "1.0000005s" } }],
      });
      assert.deepEqual(built.problems, []);
      const action = built.resources.routes[0]?.action;
      assert.equal(action?.case, "route");
      const d = (x: { seconds: bigint; nanos: number } | undefined) => [x?.seconds, x?.nanos];
      assert.deepEqual(d(action.value.timeout), [0n, 250_000], "250µs stays 250µs (it was 0s: no timeout at all)");
      assert.deepEqual(d(action.value.idleTimeout), [1n, 500]);
      const cluster = built.resources.clusters.find((c) => c.name === "web")!;
      assert.deepEqual(d(cluster.connectTimeout), [0n, 2_500_000]);
      assert.deepEqual(d(cluster.outlierDetection?.interval), [0n, 1_500_000]);
      assert.deepEqual(d(cluster.outlierDetection?.baseEjectionTime), [2n, 100_000]);
    });
  });

  describe("load balancer settings", () => {
    const ringHash = (config: Record<string, unknown>): ConsulConfigEntry => ({
      Kind: "service-resolver",
      Name: "web",
      LoadBalancer: { Policy: "ring_hash", RingHashConfig: config },
    });

    it("should leave out a ring whose maximum is below the minimum (the default 1024 included), for both kinds", () => {
      for (const kind of ["envoy", "grpc"] as const) {
        for (const config of [{ MaximumRingSize: 512 }, { MinimumRingSize: 4096, MaximumRingSize: 2048 }]) {
          const built = build(kind, ringHash(config));
          assert.deepEqual(built.problems, [], `${kind} ${JSON.stringify(config)}: every resource passes the gate`);
          const cluster = built.resources.clusters.find((c) => c.name === "web");
          assert.equal(cluster?.lbConfig.case, undefined, "no ring sizes: the clients' defaults");
          assert.ok(
            built
              .messagesOf("ignored-config-entry")
              .some(
                (m) =>
                  m.startsWith("service-resolver/web LoadBalancer.RingHashConfig: MinimumRingSize") && /is above MaximumRingSize/.test(m),
              ),
            `${kind}: the warning names the entry and field`,
          );
        }
      }
    });

    it("should leave out a ring size above 8,388,608 and keep the other", () => {
      const built = build("envoy", ringHash({ MinimumRingSize: 2048, MaximumRingSize: 10_000_000 }));
      assert.deepEqual(built.problems, []);
      const ring = built.resources.clusters.find((c) => c.name === "web")?.lbConfig;
      assert.equal(ring?.case, "ringHashLbConfig");
      assert.deepEqual([ring.value.minimumRingSize, ring.value.maximumRingSize], [2048n, undefined]);
      assert.ok(
        built.messagesOf("ignored-config-entry").some((m) => m.includes("RingHashConfig.MaximumRingSize: 10000000 is above 8388608")),
      );
    });

    it("should leave out a least-request ChoiceCount below 2 with a warning, and keep one of 2 or more", () => {
      const leastRequest = (count: number): ConsulConfigEntry => ({
        Kind: "service-resolver",
        Name: "web",
        LoadBalancer: { Policy: "least_request", LeastRequestConfig: { ChoiceCount: count } },
      });
      for (const count of [0, 1]) {
        const built = build("envoy", leastRequest(count));
        assert.deepEqual(built.problems, [], `ChoiceCount ${count}: every resource passes the gate`);
        const cluster = built.resources.clusters.find((c) => c.name === "web");
        assert.equal(cluster?.lbConfig.case, undefined);
        assert.ok(
          built
            .messagesOf("ignored-config-entry")
            .some((m) => m.startsWith(`service-resolver/web LoadBalancer.LeastRequestConfig.ChoiceCount: ${count} is below 2`)),
        );
      }
      const kept = build("envoy", leastRequest(5)).resources.clusters.find((c) => c.name === "web")?.lbConfig;
      assert.equal(kept?.case, "leastRequestLbConfig");
      assert.equal(kept.value.choiceCount, 5);
    });
  });

  describe("timeouts Consul disables", () => {
    it("should send a disabled route timeout (a negative Destination timeout) as 0s to both kinds, and an unset one as nothing", () => {
      const router: ConsulConfigEntry = {
        Kind: "service-router",
        Name: "web",
        Routes: [
          { Match: { HTTP: { PathPrefix: "/off" } }, Destination: { RequestTimeout: "-1s", IdleTimeout: "-1s" } },
          { Match: { HTTP: { PathPrefix: "/unset" } }, Destination: { RequestTimeout: "0s" } },
        ],
      };
      const envoy = build("envoy", serviceDefaults("web", "http"), router);
      assert.deepEqual(envoy.problems, []);
      const actions = envoy.resources.routes.map((r) => (r.action.case === "route" ? r.action.value : undefined));
      assert.deepEqual(
        actions.map((a) => [a?.timeout?.seconds, a?.timeout?.nanos, a?.idleTimeout?.seconds]),
        [
          [0n, 0, 0n],
          [undefined, undefined, undefined],
          [undefined, undefined, undefined],
        ],
        "Envoy: 0s disables; no field leaves Envoy's 15 s default",
      );
      const grpc = build("grpc", serviceDefaults("web", "http"), router);
      assert.deepEqual(grpc.problems, []);
      const streams = grpc.resources.routes.map((r) => (r.action.case === "route" ? r.action.value.maxStreamDuration : undefined));
      assert.deepEqual(
        streams.map((m) => m?.maxStreamDuration && [m.maxStreamDuration.seconds, m.maxStreamDuration.nanos]),
        [[0n, 0], undefined, undefined],
        "gRPC: max_stream_duration 0s, the application's deadline unchanged (gRFC A31)",
      );
      assert.ok(
        !grpc.messagesOf("unsupported-for-grpc").some((m) => m.includes("IdleTimeout")),
        "a disabled idle timeout leaves nothing out for gRPC clients",
      );
    });
  });
});
