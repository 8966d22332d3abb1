// The gate's rules that Envoy enforces when it loads a resource but that are not `(validate.rules)`
// annotations: the descriptor-driven validator passes these resources, Envoy NACKs them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Cluster_LbPolicy, Cluster_RingHashLbConfigSchema, ClusterSchema } from "../src/gen/envoy/config/cluster/v3/cluster_pb.js";
import { HeaderValueOption_HeaderAppendAction } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { VirtualHostSchema } from "../src/gen/envoy/config/route/v3/route_components_pb.js";
import { RouteConfigurationSchema } from "../src/gen/envoy/config/route/v3/route_pb.js";
import { validateXdsResource } from "../src/validate/index.js";
import { validateEnvoyResource } from "../src/validate/validate-envoy-resource.js";
import { assertErrorAt, assertValid, edsCluster, errorsOf } from "./support/validate-fixtures.js";

const add = (key: string) => ({
  header: { key, value: "x" },
  appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
});

/** A route configuration whose one virtual host changes headers at every level Envoy has. */
function withHeaders(names: { route?: string; vhost?: string; split?: string; top?: string }) {
  return create(RouteConfigurationSchema, {
    name: "shared",
    ...(names.top ? { requestHeadersToRemove: [names.top] } : {}),
    virtualHosts: [
      {
        name: "web",
        domains: ["web"],
        ...(names.vhost ? { responseHeadersToRemove: [names.vhost] } : {}),
        routes: [
          {
            match: { pathSpecifier: { case: "prefix", value: "/" } },
            ...(names.route ? { requestHeadersToAdd: [add(names.route)] } : {}),
            action: {
              case: "route",
              value: {
                clusterSpecifier: {
                  case: "weightedClusters",
                  value: {
                    clusters: [
                      { name: "web:v1", weight: 50, ...(names.split ? { responseHeadersToAdd: [add(names.split)] } : {}) },
                      { name: "web:v2", weight: 50 },
                    ],
                  },
                },
              },
            },
          },
        ],
      },
    ],
  });
}

describe("validateXdsResource()", () => {
  describe("Envoy's header-mutation rule (HeaderParser)", () => {
    it("should refuse adding, setting or removing Host in any case, at every level, for both kinds", () => {
      const config = withHeaders({ route: "Host", vhost: "HOST", split: "host", top: "hoSt" });
      assertValid(validateEnvoyResource(RouteConfigurationSchema, config));
      for (const client of ["envoy", "grpc"] as const) {
        const result = validateXdsResource(config, { client, authority: "web" });
        assertErrorAt(
          result,
          "virtual_hosts[0].routes[0].request_headers_to_add[0].header.key",
          /host headers may not be modified.*"Host"/,
        );
        assertErrorAt(result, "virtual_hosts[0].response_headers_to_remove[0]", /host headers may not be removed.*"HOST"/);
        assertErrorAt(
          result,
          "virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].response_headers_to_add[0].header.key",
          /may not be modified.*"host"/,
        );
        assertErrorAt(result, "request_headers_to_remove[0]", /may not be removed.*"hoSt"/);
      }
    });

    it("should refuse pseudo-headers, and pass ordinary names", () => {
      const pseudo = withHeaders({ route: ":authority", vhost: ":path" });
      assertValid(validateEnvoyResource(RouteConfigurationSchema, pseudo));
      assert.equal(errorsOf(validateXdsResource(pseudo, { client: "envoy" })).length, 2);
      assertValid(
        validateXdsResource(withHeaders({ route: "x-env", vhost: "x-debug", split: "hostname", top: "x-host" }), { client: "envoy" }),
      );
    });

    it("should check a virtual host sent as a part of the shared route configuration", () => {
      const host = create(VirtualHostSchema, {
        name: "web",
        domains: ["web"],
        requestHeadersToAdd: [add("Host")],
        routes: [{ match: { pathSpecifier: { case: "prefix", value: "/" } }, responseHeadersToRemove: [":status"] }],
      });
      const result = validateXdsResource(host, { client: "envoy" });
      assertErrorAt(result, "request_headers_to_add[0].header.key", /may not be modified/);
      assertErrorAt(result, "routes[0].response_headers_to_remove[0]", /may not be removed/);
    });
  });

  describe("ring hash sizes", () => {
    const ringCluster = (sizes: { minimumRingSize?: bigint; maximumRingSize?: bigint }) => {
      const cluster = edsCluster("web");
      cluster.lbPolicy = Cluster_LbPolicy.RING_HASH;
      cluster.lbConfig = { case: "ringHashLbConfig", value: create(Cluster_RingHashLbConfigSchema, sizes) };
      return cluster;
    };

    it("should refuse a minimum above the maximum, an unset size being the default (Envoy, and gRPC C-core)", () => {
      for (const sizes of [{ maximumRingSize: 512n }, { minimumRingSize: 4096n, maximumRingSize: 2048n }]) {
        const cluster = ringCluster(sizes);
        assertValid(validateEnvoyResource(ClusterSchema, cluster));
        assertErrorAt(
          validateXdsResource(cluster, { client: "envoy" }),
          "ring_hash_lb_config",
          /minimum_ring_size \(\d+\) > maximum_ring_size/,
        );
        const grpc = validateXdsResource(cluster, { client: "grpc" });
        assertErrorAt(grpc, "ring_hash_lb_config", /max_ring_size cannot be smaller than min_ring_size.*C-core/);
      }
    });

    it("should pass equal sizes and a maximum above the default minimum", () => {
      for (const sizes of [
        { minimumRingSize: 2048n, maximumRingSize: 2048n },
        { maximumRingSize: 1024n },
        { minimumRingSize: 8_388_608n },
      ]) {
        for (const client of ["envoy", "grpc"] as const) assertValid(validateXdsResource(ringCluster(sizes), { client }));
      }
    });
  });
});
