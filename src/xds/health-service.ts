import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

/** Something that is ready or not, and says when that changes. */
export interface ReadinessSource {
  isReady(): boolean;
  /** Calls `listener` whenever readiness may have changed; returns a function that stops it. */
  onChange(listener: () => void): () => void;
}

/** Service names the health service answers for: "" (the whole server) and the xDS services. */
export const healthServiceNames: readonly string[] = [
  "",
  "envoy.service.discovery.v3.AggregatedDiscoveryService",
  "envoy.service.cluster.v3.ClusterDiscoveryService",
  "envoy.service.endpoint.v3.EndpointDiscoveryService",
  "envoy.service.listener.v3.ListenerDiscoveryService",
  "envoy.service.route.v3.RouteDiscoveryService",
];

/**
 * Serves grpc.health.v1.Health: SERVING once the bridge is ready (initial Consul sync done, data
 * fresh), NOT_SERVING otherwise, so gRPC health checks and load balancers can follow it.
 */
export function registerHealthService(router: ConnectRouter, readiness: ReadinessSource): void {
  const statusNow = () => (readiness.isReady() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  router.service(Health, {
    check(request) {
      if (!healthServiceNames.includes(request.service)) {
        throw new ConnectError(`unknown service ${JSON.stringify(request.service)}`, Code.NotFound);
      }
      return create(HealthCheckResponseSchema, { status: statusNow() });
    },
    async *watch(request, context) {
      if (!healthServiceNames.includes(request.service)) {
        yield create(HealthCheckResponseSchema, { status: ServingStatus.SERVICE_UNKNOWN });
        return;
      }
      let wake: (() => void) | undefined;
      const stop = readiness.onChange(() => wake?.());
      const abort = () => wake?.();
      context.signal.addEventListener("abort", abort);
      try {
        let last: ServingStatus | undefined;
        while (!context.signal.aborted) {
          const status = statusNow();
          if (status !== last) {
            last = status;
            yield create(HealthCheckResponseSchema, { status });
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        stop();
        context.signal.removeEventListener("abort", abort);
      }
    },
  });
}
