// Per-service settings from Consul Service Meta: valid values change the resources, invalid ones
// fall back to the default with a warning (never a bad resource), instances that disagree are
// resolved by majority, and gRPC clients get round_robin where they cannot use the chosen policy.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { type Cluster, Cluster_LbPolicy } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { HttpProtocolOptionsSchema } from "../src/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import {
  defaultServiceSettings,
  httpProtocolOptionsKey,
  type MappingWarningCode,
  readServiceSettings,
  type ServiceSettings,
} from "../src/mapping/index.js";
import { healthEntry, instance } from "./support/consul-entries.js";
import { mapEntries } from "./support/mapping-assertions.js";

/** Maps one service whose instances carry the given metas (one instance per meta). */
function mapWithMeta(...metas: Record<string, string>[]) {
  const mapping = mapEntries(metas.map((meta, i) => healthEntry({ service: "web", node: `n${i}`, nodeAddress: `10.0.0.${i + 1}`, meta })));
  const service = mapping.services.get("web")!;
  return { mapping, service, envoyCluster: service.envoy.cluster, grpcCluster: service.grpc!.cluster };
}

function http2Configured(cluster: Cluster): boolean {
  const any = cluster.typedExtensionProtocolOptions[httpProtocolOptionsKey];
  if (!any) return false;
  const options = fromBinary(HttpProtocolOptionsSchema, any.value);
  return (
    options.upstreamProtocolOptions.case === "explicitHttpConfig" &&
    options.upstreamProtocolOptions.value.protocolConfig.case === "http2ProtocolOptions"
  );
}

const settingsTable: Array<{
  name: string;
  meta: Record<string, string>;
  expect: Partial<ServiceSettings>;
  warnings?: MappingWarningCode[];
}> = [
  { name: "no meta: defaults", meta: {}, expect: defaultServiceSettings },
  { name: "protocol http2", meta: { "xds-bridge-protocol": "http2" }, expect: { protocol: "http2" } },
  { name: "protocol grpc (case-insensitive, trimmed)", meta: { "xds-bridge-protocol": " GRPC " }, expect: { protocol: "grpc" } },
  { name: "protocol http is http1", meta: { "xds-bridge-protocol": "http" }, expect: { protocol: "http1" } },
  { name: "protocol tcp is invalid", meta: { "xds-bridge-protocol": "tcp" }, expect: { protocol: "http1" }, warnings: ["invalid-setting"] },
  { name: "lb policy least_request", meta: { "xds-bridge-lb-policy": "least_request" }, expect: { lbPolicy: "least_request" } },
  { name: "lb policy ring-hash with a dash", meta: { "xds-bridge-lb-policy": "ring-hash" }, expect: { lbPolicy: "ring_hash" } },
  {
    name: "lb policy maglev is invalid",
    meta: { "xds-bridge-lb-policy": "maglev" },
    expect: { lbPolicy: "round_robin" },
    warnings: ["invalid-setting"],
  },
  { name: "connect timeout 250ms", meta: { "xds-bridge-connect-timeout": "250ms" }, expect: { connectTimeoutMs: 250 } },
  { name: "connect timeout 1m30s", meta: { "xds-bridge-connect-timeout": "1m30s" }, expect: { connectTimeoutMs: 90_000 } },
  { name: "connect timeout 1.5s", meta: { "xds-bridge-connect-timeout": "1.5s" }, expect: { connectTimeoutMs: 1500 } },
  {
    name: "connect timeout without unit is invalid",
    meta: { "xds-bridge-connect-timeout": "5" },
    expect: { connectTimeoutMs: 5000 },
    warnings: ["invalid-setting"],
  },
  {
    name: "connect timeout 0s is invalid",
    meta: { "xds-bridge-connect-timeout": "0s" },
    expect: { connectTimeoutMs: 5000 },
    warnings: ["invalid-setting"],
  },
  {
    name: "connect timeout -1s is invalid",
    meta: { "xds-bridge-connect-timeout": "-1s" },
    expect: { connectTimeoutMs: 5000 },
    warnings: ["invalid-setting"],
  },
  {
    name: "connect timeout 2h is too long",
    meta: { "xds-bridge-connect-timeout": "2h" },
    expect: { connectTimeoutMs: 5000 },
    warnings: ["invalid-setting"],
  },
  { name: "fail-open", meta: { "xds-bridge-when-unhealthy": "fail-open" }, expect: { whenUnhealthy: "fail-open" } },
  {
    name: "unhealthy mode typo is invalid",
    meta: { "xds-bridge-when-unhealthy": "open" },
    expect: { whenUnhealthy: "fail-closed" },
    warnings: ["invalid-setting"],
  },
  {
    name: "hash header with ring_hash",
    meta: { "xds-bridge-lb-policy": "ring_hash", "xds-bridge-hash-header": "X-User-Id" },
    expect: { lbPolicy: "ring_hash", hashHeader: "x-user-id" },
  },
  {
    name: "hash header without ring_hash is ignored",
    meta: { "xds-bridge-hash-header": "x-user" },
    expect: { hashHeader: "x-user" },
    warnings: ["ignored-setting"],
  },
  {
    name: "invalid hash header",
    meta: { "xds-bridge-lb-policy": "ring_hash", "xds-bridge-hash-header": "bad header" },
    expect: { hashHeader: undefined },
    warnings: ["invalid-setting"],
  },
  { name: "an empty value is invalid", meta: { "xds-bridge-protocol": "" }, expect: { protocol: "http1" }, warnings: ["invalid-setting"] },
  {
    name: "unknown xds-bridge- key",
    meta: { "xds-bridge-protcol": "http2" },
    expect: { protocol: "http1" },
    warnings: ["unknown-setting"],
  },
  { name: "other meta keys are not ours", meta: { version: "2", "consul-xds-bridge-x": "y" }, expect: defaultServiceSettings },
];

describe("readServiceSettings()", () => {
  for (const row of settingsTable) {
    it(`should read ${row.name}`, () => {
      const { settings, warnings } = readServiceSettings("web", [instance({ service: "web", meta: row.meta })]);
      for (const [key, value] of Object.entries(row.expect)) assert.deepEqual(settings[key as keyof ServiceSettings], value, key);
      assert.deepEqual(warnings.map((w) => w.code).sort(), [...(row.warnings ?? [])].sort());
      // Whatever the meta, the resources stay valid.
      mapWithMeta(row.meta);
    });
  }

  it("should say why a connect timeout is refused, with a hint for a bare number, and print the default with its unit", () => {
    const messages = (value: string) =>
      readServiceSettings("web", [instance({ service: "web", meta: { "xds-bridge-connect-timeout": value } })]).warnings.map(
        (w) => w.message,
      );
    assert.deepEqual(messages("5"), [
      'xds-bridge-connect-timeout="5" is not valid: 5 has no unit (did you mean 5ms or 5s?); using the default 5s',
    ]);
    assert.deepEqual(messages("2h"), ['xds-bridge-connect-timeout="2h" is not valid: must be from 1ms to 1h; using the default 5s']);
    assert.deepEqual(messages("soon"), [
      'xds-bridge-connect-timeout="soon" is not valid: "soon" is not a duration such as 250ms, 30s, 1m30s or 1h; using the default 5s',
    ]);
  });

  it("should let the majority win when instances disagree, with a warning", () => {
    const { settings, warnings } = readServiceSettings("web", [
      instance({ service: "web", node: "a", meta: { "xds-bridge-protocol": "http2" } }),
      instance({ service: "web", node: "b", meta: { "xds-bridge-protocol": "http2" } }),
      instance({ service: "web", node: "c", meta: { "xds-bridge-protocol": "grpc" } }),
    ]);
    assert.equal(settings.protocol, "http2");
    assert.deepEqual(
      warnings.map((w) => w.code),
      ["conflicting-setting"],
    );
  });

  it("should count instances without the key as votes for the default (a one-instance canary does not switch the service)", () => {
    const { settings } = readServiceSettings("web", [
      instance({ service: "web", node: "a", meta: { "xds-bridge-protocol": "http2" } }),
      instance({ service: "web", node: "b" }),
      instance({ service: "web", node: "c" }),
    ]);
    assert.equal(settings.protocol, "http1");
  });

  it("should break ties towards the default, then the smaller value, whatever the order", () => {
    const a = instance({ service: "web", node: "a", meta: { "xds-bridge-lb-policy": "random" } });
    const b = instance({ service: "web", node: "b", meta: { "xds-bridge-lb-policy": "least_request" } });
    const c = instance({ service: "web", node: "c" });
    assert.equal(readServiceSettings("web", [a, c]).settings.lbPolicy, "round_robin");
    assert.equal(readServiceSettings("web", [c, a]).settings.lbPolicy, "round_robin");
    assert.equal(readServiceSettings("web", [a, b]).settings.lbPolicy, "least_request");
    assert.equal(readServiceSettings("web", [b, a]).settings.lbPolicy, "least_request");
  });

  it("should fall back to the default when the winning value is invalid", () => {
    const { settings, warnings } = readServiceSettings("web", [
      instance({ service: "web", node: "a", meta: { "xds-bridge-connect-timeout": "soon" } }),
      instance({ service: "web", node: "b", meta: { "xds-bridge-connect-timeout": "soon" } }),
      instance({ service: "web", node: "c", meta: { "xds-bridge-connect-timeout": "2s" } }),
    ]);
    assert.equal(settings.connectTimeoutMs, 5000);
    assert.deepEqual(warnings.map((w) => w.code).sort(), ["conflicting-setting", "invalid-setting"]);
  });
});

describe("settings in the resources", () => {
  it("should use http1 defaults: no protocol options, round robin, 5 s, one shared cluster for both kinds", () => {
    const { envoyCluster, grpcCluster } = mapWithMeta({});
    assert.equal(http2Configured(envoyCluster), false);
    assert.equal(envoyCluster.lbPolicy, Cluster_LbPolicy.ROUND_ROBIN);
    assert.deepEqual([envoyCluster.connectTimeout?.seconds, envoyCluster.connectTimeout?.nanos], [5n, 0]);
    assert.equal(grpcCluster, envoyCluster);
  });

  it("should configure HTTP/2 upstreams for Envoy with http2 and grpc, and not for gRPC clients", () => {
    for (const protocol of ["http2", "grpc"]) {
      const { envoyCluster, grpcCluster } = mapWithMeta({ "xds-bridge-protocol": protocol });
      assert.equal(http2Configured(envoyCluster), true, protocol);
      assert.deepEqual(Object.keys(grpcCluster.typedExtensionProtocolOptions), [], protocol);
    }
  });

  it("should disable Envoy's route timeout for grpc upstreams only", () => {
    for (const [protocol, timeout] of [
      ["grpc", 0n],
      ["http2", undefined],
    ] as const) {
      const { mapping } = mapWithMeta({ "xds-bridge-protocol": protocol });
      const route = mapping.envoy.routeConfigurations[0]!.virtualHosts[0]!.routes[0]!;
      assert.equal(route.action.case, "route");
      assert.equal(route.action.case === "route" ? route.action.value.timeout?.seconds : "x", timeout, protocol);
    }
  });

  it("should set the connect timeout", () => {
    const { envoyCluster, grpcCluster } = mapWithMeta({ "xds-bridge-connect-timeout": "1500ms" });
    for (const cluster of [envoyCluster, grpcCluster])
      assert.deepEqual([cluster.connectTimeout?.seconds, cluster.connectTimeout?.nanos], [1n, 500_000_000]);
  });

  const lbTable: Array<[string, Cluster_LbPolicy, Cluster_LbPolicy, boolean]> = [
    ["round_robin", Cluster_LbPolicy.ROUND_ROBIN, Cluster_LbPolicy.ROUND_ROBIN, false],
    ["ring_hash", Cluster_LbPolicy.RING_HASH, Cluster_LbPolicy.RING_HASH, false],
    ["least_request", Cluster_LbPolicy.LEAST_REQUEST, Cluster_LbPolicy.ROUND_ROBIN, true],
    ["random", Cluster_LbPolicy.RANDOM, Cluster_LbPolicy.ROUND_ROBIN, true],
  ];
  for (const [policy, envoyPolicy, grpcPolicy, warns] of lbTable) {
    it(`should map lb policy ${policy} to ${Cluster_LbPolicy[envoyPolicy]} for Envoy and ${Cluster_LbPolicy[grpcPolicy]} for gRPC`, () => {
      const { service, envoyCluster, grpcCluster } = mapWithMeta({ "xds-bridge-lb-policy": policy });
      assert.equal(envoyCluster.lbPolicy, envoyPolicy);
      assert.equal(grpcCluster.lbPolicy, grpcPolicy);
      const fallback = service.warnings.filter((w) => w.code === "unsupported-lb-policy");
      assert.equal(fallback.length, warns ? 1 : 0);
      if (warns) assert.equal(fallback[0]!.clientKind, "grpc");
    });
  }

  it("should add a header hash policy to both kinds' routes with ring_hash", () => {
    const { mapping } = mapWithMeta({ "xds-bridge-lb-policy": "ring_hash", "xds-bridge-hash-header": "x-session" });
    for (const route of [mapping.envoy.routeConfigurations[0]!, mapping.grpc.routeConfigurations[0]!]) {
      const action = route.virtualHosts[0]!.routes[0]!.action;
      assert.ok(action.case === "route");
      assert.deepEqual(
        action.value.hashPolicy.map((p) => (p.policySpecifier.case === "header" ? p.policySpecifier.value.headerName : "?")),
        ["x-session"],
      );
    }
  });

  it("should read settings from instances of every served datacenter", () => {
    const mapping = mapEntries(
      [
        healthEntry({ service: "web", datacenter: "dc1", nodeAddress: "10.1.0.1", meta: { "xds-bridge-protocol": "http2" } }),
        healthEntry({ service: "web", datacenter: "dc2", nodeAddress: "10.2.0.1", meta: { "xds-bridge-protocol": "http2" } }),
        healthEntry({ service: "web", datacenter: "dc2", node: "n2", nodeAddress: "10.2.0.2", meta: {} }),
      ],
      { failoverDatacenters: ["dc2"] },
    );
    assert.equal(mapping.services.get("web")!.settings.protocol, "http2");
  });
});
