// A proxyless gRPC client: grpc-js with grpc-js-xds resolves xds:///greeter through consul-xds-bridge
// and load-balances across the greeter instances Consul reports healthy. No Envoy in the path.
//
//   npm run example:greeter                       # against `consul-xds-bridge dev` on 127.0.0.1:18000
//   XDS_SERVER=bridge:18000 TARGET=xds:///greeter COUNT=20 npm run example:greeter
//   XDS_SERVER=bridge:18000 COUNT=5 INTERVAL_MS=2000 npm run example:greeter   # loop (docker compose)
//
// The xDS bootstrap comes from GRPC_XDS_BOOTSTRAP / GRPC_XDS_BOOTSTRAP_CONFIG when set, else it is
// built from XDS_SERVER. Without INTERVAL_MS it makes COUNT calls and exits with status 0 when every
// call succeeded. With INTERVAL_MS it makes COUNT calls, waits INTERVAL_MS, and repeats until SIGTERM
// or SIGINT (exit status 0): failed calls are printed and counted, and the loop goes on, so the
// output shows traffic following Consul's health.
//
// Before the first call it asks the xDS server's gRPC health service whether the bridge is ready,
// for up to WAIT_MS (default 10000), and says what is wrong: "no xDS server at …" or "the bridge
// at … is not ready yet (initial Consul sync)". Then it exits with status 1 (loop mode keeps waiting).
import { readFileSync } from "node:fs";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import {
  Greeter,
  SayHelloRequestSchema,
  type SayHelloResponse,
  SayHelloResponseSchema,
} from "../src/gen/consulxdsbridge/demo/v1/greeter_pb.js";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../src/gen/grpc/health/v1/health_pb.js";

const xdsServer = process.env.XDS_SERVER ?? "127.0.0.1:18000";
const target = process.env.TARGET ?? "xds:///greeter";
const count = positiveInteger("COUNT", process.env.COUNT ?? "10");
const intervalMs = process.env.INTERVAL_MS ? positiveInteger("INTERVAL_MS", process.env.INTERVAL_MS) : undefined;
const waitMs = positiveInteger("WAIT_MS", process.env.WAIT_MS ?? "10000");

/** Reads a whole number ≥ 1 from an environment variable, or exits with a usage line. */
function positiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < 1) {
    console.error(`${name} must be a whole number ≥ 1 (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return number;
}

if (!process.env.GRPC_XDS_BOOTSTRAP && !process.env.GRPC_XDS_BOOTSTRAP_CONFIG) {
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: xdsServer, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    // grpc-js-xds requires node.locality, even empty.
    node: { id: `greeter-example-${process.pid}`, locality: {} },
  });
}
grpcXds.register();

/** The first xDS server of the bootstrap in use, when it is plain h2c (the one we can probe). */
function bootstrapServer(): string | undefined {
  try {
    const text = process.env.GRPC_XDS_BOOTSTRAP_CONFIG ?? readFileSync(process.env.GRPC_XDS_BOOTSTRAP ?? "", "utf8");
    const server = (JSON.parse(text) as { xds_servers?: Array<{ server_uri?: string; channel_creds?: Array<{ type?: string }> }> })
      .xds_servers?.[0];
    return server?.channel_creds?.[0]?.type === "insecure" ? server.server_uri : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the server's grpc.health.v1.Health about the whole server: SERVING once the bridge is ready. */
function checkHealth(server: string): Promise<"ready" | "not-ready" | "no-server" | "no-health-service"> {
  const health = new grpc.Client(server, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    health.makeUnaryRequest(
      `/${Health.typeName}/${Health.method.check.name}`,
      (message: ReturnType<typeof create<typeof HealthCheckRequestSchema>>) => Buffer.from(toBinary(HealthCheckRequestSchema, message)),
      (bytes: Buffer) => fromBinary(HealthCheckResponseSchema, bytes),
      create(HealthCheckRequestSchema, { service: "" }),
      { deadline: Date.now() + 2_000 },
      (error, response) => {
        health.close();
        if (error?.code === grpc.status.UNIMPLEMENTED) resolve("no-health-service");
        else if (error) resolve("no-server");
        else resolve(response?.status === ServingStatus.SERVING ? "ready" : "not-ready");
      },
    );
  });
}

/**
 * Waits until the bridge says it is ready, printing once what it waits for. Resolves false when it
 * is still not ready after `waitMs` (never, in loop mode: it keeps waiting, as in docker compose).
 */
async function waitForBridge(server: string): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let said = "";
  for (;;) {
    const state = await checkHealth(server);
    if (state === "ready" || state === "no-health-service") return true;
    const message =
      state === "no-server"
        ? `no xDS server at ${server} (nothing answers there: start the bridge, e.g. npm start, or set XDS_SERVER)`
        : `the bridge at ${server} is not ready yet (initial Consul sync): waiting for it`;
    if (message !== said) console.error(message);
    said = message;
    if (intervalMs === undefined && Date.now() >= deadline) {
      console.error(
        `gave up after ${waitMs} ms: ${state === "no-server" ? `no xDS server at ${server}` : `the bridge at ${server} is not ready yet (initial Consul sync)`}`,
      );
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const sayHello = Greeter.method.sayHello;
const path = `/${Greeter.typeName}/${sayHello.name}`;
const client = new grpc.Client(target, grpc.credentials.createInsecure());

function call(name: string): Promise<SayHelloResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (message: ReturnType<typeof create<typeof SayHelloRequestSchema>>) => Buffer.from(toBinary(SayHelloRequestSchema, message)),
      (bytes: Buffer) => fromBinary(SayHelloResponseSchema, bytes),
      create(SayHelloRequestSchema, { name }),
      { deadline: Date.now() + 10_000 },
      (error, response) => (error ? reject(error) : resolve(response!)),
    );
  });
}

/** Makes `count` calls, prints each and a summary line, and returns how many failed. */
async function round(first: number): Promise<number> {
  let failures = 0;
  const byInstance = new Map<string, number>();
  for (let i = first; i < first + count; i++) {
    try {
      const response = await call(`call ${i}`);
      byInstance.set(response.instance, (byInstance.get(response.instance) ?? 0) + 1);
      console.log(`${target} #${i}: ${response.message} (from ${response.instance})`);
    } catch (error) {
      failures += 1;
      console.error(`${target} #${i}: ${(error as Error).message}`);
    }
  }
  console.log(`${count - failures}/${count} calls succeeded; by instance: ${JSON.stringify(Object.fromEntries(byInstance))}`);
  return failures;
}

/** Closes the channel and ends the process (grpc-js-xds keeps timers alive for a while after close). */
function finish(status: number): never {
  client.close();
  process.exit(status);
}

const probed = bootstrapServer();
if (probed !== undefined && !(await waitForBridge(probed))) finish(1);

if (intervalMs === undefined) {
  finish((await round(1)) === 0 ? 0 : 1);
}

// Loop mode. In a container this process is PID 1, which gets no default signal handling: stop on
// SIGTERM (docker stop) and SIGINT (Ctrl-C) explicitly.
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => finish(0));
for (let first = 1; ; first += count) {
  await round(first);
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
