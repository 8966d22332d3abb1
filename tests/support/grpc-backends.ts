import { after } from "node:test";
import * as grpc from "@grpc/grpc-js";

/** Path of the one-method service the test backends serve. */
export const whoAmIPath = "/consulxdsbridge.test.Echo/WhoAmI";

const identity = (value: Buffer) => value;

/** A grpc-js server on 127.0.0.1 that answers WhoAmI with its name; counts the calls it served. */
export interface GrpcBackend {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  calls: number;
  close(): Promise<void>;
  /** Closes at once, connections included (for a client that left half-open connections behind). */
  forceClose(): void;
}

/**
 * Starts a real grpc-js backend on a free port. `fail`, given the call's number (1, 2, …), may
 * return a status to answer that call with instead (a flaky backend).
 */
export async function startGrpcBackend(name: string, fail?: (call: number) => grpc.StatusObject | undefined): Promise<GrpcBackend> {
  const server = new grpc.Server();
  const backend = { name, port: 0, address: "", calls: 0, close: async () => {}, forceClose: () => server.forceShutdown() };
  server.addService(
    {
      WhoAmI: {
        path: whoAmIPath,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      WhoAmI: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        backend.calls += 1;
        const failure = fail?.(backend.calls);
        if (failure) callback(failure);
        else callback(null, Buffer.from(name));
      },
    },
  );
  backend.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
  backend.address = `127.0.0.1:${backend.port}`;
  backend.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return backend;
}

/** Calls WhoAmI once on `client` and returns the backend's name. */
export function whoAmI(client: grpc.Client, deadlineMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(whoAmIPath, identity, identity, Buffer.alloc(0), { deadline: Date.now() + deadlineMs }, (error, value) =>
      error ? reject(error) : resolve(value!.toString()),
    );
  });
}

/** The xDS bootstrap grpc-js-xds reads from GRPC_XDS_BOOTSTRAP_CONFIG (node.locality is required). */
export function grpcXdsBootstrap(xdsPort: number, nodeId = "grpc-e2e"): string {
  return JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    node: { id: nodeId, locality: {} },
  });
}

/**
 * For suites whose grpc-js-xds client went through a failover: its priority policy keeps a
 * 15-minute retention timer that the library offers no way to cancel, so the test process would
 * not end on its own. Exits 2 s after the suite (long after the runner reported its results),
 * keeping the exit code the runner set.
 */
export function exitAfterSuite(): void {
  after(() => {
    setTimeout(() => process.exit(), 2_000).unref();
  });
}
