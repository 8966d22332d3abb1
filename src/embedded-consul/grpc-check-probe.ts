import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import type { CheckDefinition } from "./catalog-records.js";
import type { CheckProbe } from "./check-probe.js";
import { goDialError } from "./go-net-error.js";

/** Go's `status.Error` text for a failed gRPC call, as Consul's gRPC check reports it. */
function goRpcError(error: unknown, server: string): string {
  const connectError = ConnectError.from(error);
  const cause = (connectError.cause ?? error) as NodeJS.ErrnoException;
  if (connectError.code === Code.Unavailable && typeof cause?.code === "string" && cause.code.startsWith("E")) {
    return `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: ${goDialError(cause, server)}"`;
  }
  return `rpc error: code = ${Code[connectError.code]} desc = ${connectError.rawMessage}`;
}

/**
 * Consul's gRPC check: grpc.health.v1.Health/Check on `host:port` for the service after the `/`
 * (the whole server when none), in clear text unless `GRPCUseTLS`. SERVING passes
 * (`gRPC check <target>: success`); any other answer or error is critical, with Go's texts.
 */
export function grpcCheckProbe(definition: CheckDefinition): CheckProbe {
  const target = definition.grpc ?? "";
  const slash = target.indexOf("/");
  const server = slash < 0 ? target : target.slice(0, slash);
  const service = slash < 0 ? "" : target.slice(slash + 1);
  return {
    async run(signal) {
      const baseUrl = `${definition.grpcUseTls ? "https" : "http"}://${server}`;
      const sessionManager = new Http2SessionManager(
        baseUrl,
        {},
        definition.grpcUseTls ? { rejectUnauthorized: !definition.tlsSkipVerify, servername: definition.tlsServerName || undefined } : {},
      );
      try {
        const client = createClient(Health, createGrpcTransport({ baseUrl, sessionManager }));
        const response = await client.check({ service }, { signal });
        if (response.status === ServingStatus.SERVING) return { status: "passing", output: `gRPC check ${target}: success` };
        return { status: "critical", output: `gRPC ${target} serving status: ${ServingStatus[response.status]}` };
      } catch (error) {
        return { status: "critical", output: goRpcError(error, server) };
      } finally {
        sessionManager.abort();
      }
    },
    timedOut: () => ({ status: "critical", output: "rpc error: code = DeadlineExceeded desc = context deadline exceeded" }),
  };
}
