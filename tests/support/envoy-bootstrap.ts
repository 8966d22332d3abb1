import { readFileSync } from "node:fs";
import { fromJson, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { parse } from "yaml";
import { type Bootstrap, BootstrapSchema } from "../../src/gen/envoy/config/bootstrap/v3/bootstrap_pb.js";
import type { Cluster } from "../../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import type { Http2ProtocolOptions } from "../../src/gen/envoy/config/core/v3/protocol_pb.js";
import { HttpProtocolOptionsSchema } from "../../src/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js";
import { envoyTypeRegistry } from "../../src/validate/index.js";

/** Reads a YAML file as the JSON value Envoy sees: Envoy turns a YAML bootstrap into JSON, then into protobuf. */
export function readYamlAsJson(path: string): JsonValue {
  return parse(readFileSync(path, "utf8")) as JsonValue;
}

/**
 * Parses an Envoy bootstrap file as envoy.config.bootstrap.v3.Bootstrap with the generated types,
 * strictly as Envoy does: an unknown field, a bad enum name or an Any of a type outside `registry`
 * throws.
 */
export function readEnvoyBootstrap(path: string, registry: Registry = envoyTypeRegistry()): Bootstrap {
  return fromJson(BootstrapSchema, readYamlAsJson(path), { registry });
}

/** The static cluster ADS goes to, where it points, and its explicit HTTP/2 options (if any). */
export interface AdsCluster {
  cluster: Cluster;
  host: string;
  port: number;
  http2?: Http2ProtocolOptions;
}

/** Finds the static cluster a bootstrap's ADS config names (first gRPC service, envoy_grpc). */
export function adsCluster(bootstrap: Bootstrap): AdsCluster {
  const service = bootstrap.dynamicResources?.adsConfig?.grpcServices[0]?.targetSpecifier;
  if (service?.case !== "envoyGrpc") throw new Error("ads_config has no envoy_grpc service");
  const name = service.value.clusterName;
  const cluster = bootstrap.staticResources?.clusters.find((candidate) => candidate.name === name);
  if (!cluster) throw new Error(`ads_config names cluster ${name}, which is not a static cluster`);
  const endpoints = cluster.loadAssignment?.endpoints.flatMap((locality) => locality.lbEndpoints) ?? [];
  if (endpoints.length !== 1) throw new Error(`cluster ${name} should have exactly one endpoint, has ${endpoints.length}`);
  const identifier = endpoints[0]!.hostIdentifier;
  const address = identifier.case === "endpoint" ? identifier.value.address?.address : undefined;
  if (address?.case !== "socketAddress" || address.value.portSpecifier.case !== "portValue") {
    throw new Error(`cluster ${name}'s endpoint is not a socket address with a port_value`);
  }
  const options = cluster.typedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
  const protocol = options ? anyUnpack(options, HttpProtocolOptionsSchema) : undefined;
  const explicit =
    protocol?.upstreamProtocolOptions.case === "explicitHttpConfig" ? protocol.upstreamProtocolOptions.value.protocolConfig : undefined;
  return {
    cluster,
    host: address.value.address,
    port: address.value.portSpecifier.value,
    ...(explicit?.case === "http2ProtocolOptions" ? { http2: explicit.value } : {}),
  };
}
