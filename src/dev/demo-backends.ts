import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Greeter, SayHelloResponseSchema } from "../gen/consulxdsbridge/demo/v1/greeter_pb.js";
import { answerUnimplemented, type ReadinessSource, registerHealthService } from "../xds/index.js";

/** A demo instance is ready as long as it runs: its health answer is always SERVING. */
const alwaysReady: ReadinessSource = { isReady: () => true, onChange: () => () => {} };

/** A running demo backend (the dev environment binds it to 127.0.0.1, `demo-backend` where told). */
export interface DemoBackend {
  /** The Consul service ID it is registered under. */
  readonly id: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts an HTTP/1.1 server answering every request with "hello from <id>". */
export async function startHttpDemo(id: string, host = "127.0.0.1", port = 0): Promise<DemoBackend> {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8", "x-served-by": id });
    response.end(`hello from ${id} (${request.method} ${request.url})\n`);
  });
  server.listen(port, host);
  await once(server, "listening");
  return {
    id,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Starts a gRPC server (h2c, via Connect) serving consulxdsbridge.demo.v1.Greeter, plus
 * grpc.health.v1.Health (always SERVING for the whole server, service "") so a Consul `GRPC` check
 * can probe it.
 */
export async function startGrpcDemo(id: string, host = "127.0.0.1", port = 0): Promise<DemoBackend> {
  const sessions = new Set<http2.Http2Session>();
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(Greeter, {
          sayHello: (request) => create(SayHelloResponseSchema, { message: `hello ${request.name || "world"}`, instance: id }),
        });
        registerHealthService(router, alwaysReady);
      },
      fallback: answerUnimplemented,
    }),
  );
  server.on("session", (session: http2.Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.listen(port, host);
  await once(server, "listening");
  return {
    id,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = once(server, "close");
      server.close();
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}
