// The Envoy bootstraps in deploy/envoy/, checked without an Envoy binary: parsed as Envoy parses them
// (YAML → JSON → envoy.config.bootstrap.v3.Bootstrap, unknown fields are errors) and run through
// Envoy's own (validate.rules).
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { describe, it } from "node:test";
import { fromJson, getOption, type JsonObject, toJson } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Bootstrap, BootstrapSchema } from "../src/gen/envoy/config/bootstrap/v3/bootstrap_pb.js";
import { Cluster_DiscoveryType, ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { ApiConfigSource_ApiType, ApiVersion, type ConfigSource } from "../src/gen/envoy/config/core/v3/config_source_pb.js";
import { ClusterDiscoveryService } from "../src/gen/envoy/service/cluster/v3/cds_pb.js";
import { DiscoveryResponseSchema } from "../src/gen/envoy/service/discovery/v3/discovery_pb.js";
import { http } from "../src/gen/google/api/annotations_pb.js";
import { clusterType } from "../src/snapshot/index.js";
import { createEnvoyValidator } from "../src/validate/create-envoy-validator.js";
import { envoyTypeRegistry } from "../src/validate/index.js";
import { validateEnvoyResource } from "../src/validate/validate-envoy-resource.js";
import { adsCluster, readEnvoyBootstrap, readYamlAsJson } from "./support/envoy-bootstrap.js";
import { envoyProtoRegistry } from "./support/envoy-proto-registry.js";
import { parseCommandLine } from "./support/parse-command-line.js";
import { repoPath } from "./support/repo-path.js";
import { useXdsHarness } from "./support/xds-harness.js";

const composeBootstrap = repoPath("deploy/envoy/envoy.yaml");
const devBootstrap = repoPath("deploy/envoy/envoy-dev.yaml");
const tlsBootstrap = repoPath("deploy/envoy/envoy-tls.yaml");
const restBootstrap = repoPath("deploy/envoy/envoy-rest.yaml");

/** Asserts Envoy's rules accept the bootstrap, listing every broken rule otherwise. */
function assertEnvoyRulesPass(bootstrap: Bootstrap): void {
  const result = validateEnvoyResource(BootstrapSchema, bootstrap);
  assert.ok(result.valid, result.valid ? "" : result.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
}

/** Asserts a config source is "ads {}" with resource_api_version V3. */
function assertFromAds(source: ConfigSource | undefined, what: string): void {
  assert.equal(source?.configSourceSpecifier.case, "ads", `${what} comes from ADS`);
  assert.equal(source?.resourceApiVersion, ApiVersion.V3, `${what} asks for V3 resources`);
}

/** The bootstrap as a JSON object, for structural edits and comparisons. */
function yamlObject(path: string): JsonObject {
  return readYamlAsJson(path) as JsonObject;
}

describe("deploy/envoy/envoy.yaml (the Envoy bootstrap of docker compose)", () => {
  it("should parse strictly as envoy.config.bootstrap.v3.Bootstrap and pass Envoy's validation rules", () => {
    const bootstrap = readEnvoyBootstrap(composeBootstrap);
    assertEnvoyRulesPass(bootstrap);
    assert.ok(bootstrap.node?.id, "node.id is set");
    assert.ok(bootstrap.node?.cluster, "node.cluster is set");
  });

  it("should take clusters and listeners from ADS over gRPC (v3) and serve admin on 9901", () => {
    const bootstrap = readEnvoyBootstrap(composeBootstrap);
    const ads = bootstrap.dynamicResources?.adsConfig;
    assert.equal(ads?.apiType, ApiConfigSource_ApiType.GRPC);
    assert.equal(ads?.transportApiVersion, ApiVersion.V3);
    assert.equal(ads?.grpcServices.length, 1);
    assertFromAds(bootstrap.dynamicResources?.cdsConfig, "cds_config");
    assertFromAds(bootstrap.dynamicResources?.ldsConfig, "lds_config");
    const admin = bootstrap.admin?.address?.address;
    assert.equal(admin?.case, "socketAddress");
    assert.deepEqual(admin.value.portSpecifier, { case: "portValue", value: 9901 });
    // Everything else is dynamic: no static listeners, one static cluster (the bridge).
    assert.equal(bootstrap.staticResources?.listeners.length, 0);
    assert.equal(bootstrap.staticResources?.clusters.length, 1);
  });

  it("should reach the bridge over HTTP/2 with keepalive, on a cluster no Consul service can replace", () => {
    const xds = adsCluster(readEnvoyBootstrap(composeBootstrap));
    assert.ok(xds.http2, "typed_extension_protocol_options has explicit_http_config.http2_protocol_options");
    const keepalive = xds.http2.connectionKeepalive;
    assert.ok(keepalive?.interval && keepalive.interval.seconds > 0n, "HTTP/2 PINGs at an interval");
    assert.ok(keepalive?.timeout && keepalive.timeout.seconds > 0n, "and a PING timeout");
    assert.ok(xds.cluster.upstreamConnectionOptions?.tcpKeepalive, "TCP keepalive as well");
    // The bridge names resources after escaped Consul names, which never contain ':' (docs/mapping.md).
    assert.match(xds.cluster.name, /:/);
    assert.deepEqual(xds.cluster.clusterDiscoveryType, { case: "type", value: Cluster_DiscoveryType.STRICT_DNS });
  });

  it("should reject an unknown field anywhere, inside typed Any payloads too (the parse is strict)", () => {
    const topLevel = yamlObject(composeBootstrap);
    (topLevel.node as JsonObject).datacenter = "dc1";
    assert.throws(() => fromJson(BootstrapSchema, topLevel, { registry: envoyTypeRegistry() }), /datacenter/);

    const insideAny = yamlObject(composeBootstrap);
    const cluster = ((insideAny.static_resources as JsonObject).clusters as JsonObject[])[0]!;
    const options = (cluster.typed_extension_protocol_options as JsonObject)[
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
    ] as JsonObject;
    options.explicit_http_config = { http2_protocol_option: {} };
    assert.throws(() => fromJson(BootstrapSchema, insideAny, { registry: envoyTypeRegistry() }), /http2_protocol_option/);
  });

  it("should let Envoy's rules catch a broken value (the validator is not vacuous)", () => {
    const broken = yamlObject(composeBootstrap);
    const cluster = ((broken.static_resources as JsonObject).clusters as JsonObject[])[0]!;
    cluster.connect_timeout = "0s";
    const result = validateEnvoyResource(BootstrapSchema, fromJson(BootstrapSchema, broken, { registry: envoyTypeRegistry() }));
    assert.equal(result.valid, false);
    assert.ok(!result.valid && result.errors.some((e) => e.path === "static_resources.clusters[0].connect_timeout"));
  });
});

describe("deploy/envoy/envoy-dev.yaml (an Envoy on the host against dev mode)", () => {
  it("should parse strictly and pass Envoy's validation rules", () => {
    assertEnvoyRulesPass(readEnvoyBootstrap(devBootstrap));
  });

  it("should point at the bridge's default xDS port on loopback, with the ADS settings of envoy.yaml", async () => {
    const parsed = await parseCommandLine(["dev"]);
    assert.equal(parsed.command, "dev");
    const dev = readEnvoyBootstrap(devBootstrap);
    const xds = adsCluster(dev);
    assert.equal(xds.host, "127.0.0.1");
    assert.equal(xds.port, parsed.values.xdsListen.port);
    assert.deepEqual(xds.cluster.clusterDiscoveryType, { case: "type", value: Cluster_DiscoveryType.STATIC });
    assert.ok(xds.http2?.connectionKeepalive, "HTTP/2 with keepalive");
    const admin = dev.admin?.address?.address;
    assert.equal(admin?.case === "socketAddress" ? admin.value.address : undefined, "127.0.0.1", "admin stays on loopback on a host");
    const compose = readEnvoyBootstrap(composeBootstrap);
    const json = (bootstrap: Bootstrap) => toJson(BootstrapSchema, bootstrap, { registry: envoyTypeRegistry() }) as JsonObject;
    assert.deepEqual(json(dev).dynamicResources, json(compose).dynamicResources);
  });
});

describe("deploy/envoy/envoy-tls.yaml (xDS over mutual TLS)", () => {
  // src/gen has no TLS transport socket types; build them (and Bootstrap) from the same pinned protos.
  const registry = envoyProtoRegistry([
    "envoy/config/bootstrap/v3/bootstrap.proto",
    "envoy/extensions/transport_sockets/tls/v3/tls.proto",
    "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  ]);
  const bootstrapType = registry.getMessage("envoy.config.bootstrap.v3.Bootstrap")!;

  it("should parse strictly, UpstreamTlsContext included, and pass Envoy's validation rules", () => {
    const bootstrap = fromJson(bootstrapType, readYamlAsJson(tlsBootstrap), { registry });
    const result = createEnvoyValidator({ registry }).validate(bootstrapType, bootstrap);
    assert.ok(result.valid, result.valid ? "" : result.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));

    const typo = yamlObject(tlsBootstrap);
    const socket = ((typo.static_resources as JsonObject).clusters as JsonObject[])[0]!.transport_socket as JsonObject;
    (socket.typed_config as JsonObject).server_name = "bridge";
    assert.throws(() => fromJson(bootstrapType, typo, { registry }), /server_name/);
  });

  it("should present a client certificate, verify the bridge's name and offer ALPN h2", () => {
    const bootstrap = fromJson(BootstrapSchema, readYamlAsJson(tlsBootstrap), { registry: registry });
    const xds = adsCluster(bootstrap);
    const socket = xds.cluster.transportSocket;
    assert.equal(socket?.name, "envoy.transport_sockets.tls");
    assert.equal(socket?.configType.case, "typedConfig");
    const tlsType = registry.getMessage("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext")!;
    const tls = toJson(tlsType, anyUnpack(socket.configType.value, tlsType)!) as {
      sni?: string;
      commonTlsContext?: {
        alpnProtocols?: string[];
        tlsCertificates?: unknown[];
        validationContext?: { trustedCa?: unknown; matchTypedSubjectAltNames?: Array<{ sanType: string; matcher: { exact?: string } }> };
      };
    };
    assert.equal(tls.sni, xds.host, "SNI is the name the xDS cluster dials");
    assert.deepEqual(tls.commonTlsContext?.alpnProtocols, ["h2"], "ADS is gRPC: HTTP/2 (the TLS server also takes http/1.1, for REST)");
    assert.equal(tls.commonTlsContext?.tlsCertificates?.length, 1, "a client certificate for --tls-client-ca");
    assert.ok(tls.commonTlsContext?.validationContext?.trustedCa, "the bridge's certificate is verified");
    assert.deepEqual(tls.commonTlsContext?.validationContext?.matchTypedSubjectAltNames, [
      { sanType: "DNS", matcher: { exact: xds.host } },
    ]);
  });

  it("should differ from envoy.yaml only in the xDS cluster's transport socket", () => {
    const tls = yamlObject(tlsBootstrap);
    const cluster = ((tls.static_resources as JsonObject).clusters as JsonObject[])[0]!;
    delete cluster.transport_socket;
    assert.deepEqual(tls, yamlObject(composeBootstrap));
  });
});

describe("deploy/envoy/envoy-rest.yaml (clusters and endpoints by REST-JSON polling)", () => {
  it("should parse strictly, pass Envoy's validation rules, and differ from envoy.yaml only in cds_config", () => {
    assertEnvoyRulesPass(readEnvoyBootstrap(restBootstrap));
    const rest = yamlObject(restBootstrap);
    delete (rest.dynamic_resources as JsonObject).cds_config;
    const compose = yamlObject(composeBootstrap);
    delete (compose.dynamic_resources as JsonObject).cds_config;
    assert.deepEqual(rest, compose);
  });

  it("should poll CDS over REST (v3) from the bridge's cluster, listeners staying on ADS", () => {
    const bootstrap = readEnvoyBootstrap(restBootstrap);
    const cds = bootstrap.dynamicResources?.cdsConfig;
    assert.equal(cds?.resourceApiVersion, ApiVersion.V3);
    assert.equal(cds?.configSourceSpecifier.case, "apiConfigSource");
    const api = cds.configSourceSpecifier.value;
    assert.equal(api.apiType, ApiConfigSource_ApiType.REST);
    assert.equal(api.transportApiVersion, ApiVersion.V3);
    assert.deepEqual(api.clusterNames, [adsCluster(bootstrap).cluster.name], "the same static cluster as ADS");
    assert.ok(api.refreshDelay && api.refreshDelay.seconds > 0n, "Envoy requires refresh_delay for REST");
    assertFromAds(bootstrap.dynamicResources?.ldsConfig, "lds_config");
  });

  it("should be answered by the bridge as Envoy's HttpSubscriptionImpl asks, with EDS pointed at REST on that cluster", async () => {
    const bootstrap = readEnvoyBootstrap(restBootstrap);
    const api = bootstrap.dynamicResources!.cdsConfig!.configSourceSpecifier;
    assert.equal(api.case, "apiConfigSource");
    const clusterName = api.value.clusterNames[0]!;
    // The path Envoy posts to is the google.api.http binding of the type's Fetch method.
    const rule = getOption(ClusterDiscoveryService.method.fetchClusters, http);
    assert.equal(rule.pattern.case, "post");
    const h = await useXdsHarness();
    h.publish({ web: { endpoints: ["10.0.0.1:8080"] } });
    // What HttpSubscriptionImpl sends: node, type_url, sorted resource_names, version_info; Host is the cluster name.
    const body = JSON.stringify({ node: { id: bootstrap.node!.id, cluster: bootstrap.node!.cluster }, typeUrl: clusterType });
    const answer = await fetchOverHttp1(h.port, rule.pattern.value, clusterName, body);
    assert.equal(answer.status, 200);
    const response = fromJson(DiscoveryResponseSchema, JSON.parse(answer.body), { registry: envoyTypeRegistry() });
    const cluster = anyUnpack(response.resources[0]!, ClusterSchema)!;
    const eds = cluster.edsClusterConfig?.edsConfig?.configSourceSpecifier;
    assert.equal(eds?.case, "apiConfigSource");
    assert.equal(eds.value.apiType, ApiConfigSource_ApiType.REST);
    assert.deepEqual(eds.value.clusterNames, [clusterName]);
    assertEnvoyRulesPass(
      fromJson(
        BootstrapSchema,
        { static_resources: { clusters: [toJson(ClusterSchema, cluster, { registry: envoyTypeRegistry() }) as JsonObject] } },
        { registry: envoyTypeRegistry() },
      ),
    );
    const again = await fetchOverHttp1(
      h.port,
      rule.pattern.value,
      clusterName,
      JSON.stringify({ ...JSON.parse(body), versionInfo: response.versionInfo }),
    );
    assert.equal(again.status, 304, "what RestApiFetcher takes as no change");
  });
});

/** A POST over HTTP/1.1 with a Host header of our choice, as Envoy's REST client sends it. */
function fetchOverHttp1(port: number, path: string, host: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port, path, method: "POST", agent: false, headers: { host, "content-type": "application/json" } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body: text }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
