import * as http2 from "node:http2";
import { decodeDiscoveryResponse, encodeDiscoveryRequest } from "./discovery-codec.js";
import { frameGrpcMessage, GrpcDeframer } from "./grpc-framing.js";
import { monoMs } from "./mono-clock.js";

/**
 * The client side of the efficiency baseline: one HTTP/2 connection with one gRPC-shaped stream to the
 * raw fan-out server. Each message it receives is timestamped, decoded exactly as the ADS client
 * decodes a response, and answered with a message the size of an ACK, so both fan-outs make the
 * clients do the same work.
 */
export class RawEchoClient {
  private session: http2.ClientHttp2Session | undefined;

  /** `onMessage` gets the arrival time (monoMs) of each message. */
  constructor(private readonly onMessage: (at: number) => void) {}

  /** Connects and opens the stream; resolves when the server answered its headers. */
  connect(url: string): Promise<void> {
    const session = http2.connect(url, { settings: { initialWindowSize: 16 * 1024 * 1024, enablePush: false } });
    this.session = session;
    session.on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": "/bench.Raw/Fanout", "content-type": "application/grpc", te: "trailers" });
    const deframer = new GrpcDeframer();
    stream.on("data", (chunk: Buffer) => {
      const at = monoMs();
      for (const message of deframer.push(chunk)) {
        const response = decodeDiscoveryResponse(message);
        stream.write(
          frameGrpcMessage(
            encodeDiscoveryRequest({
              typeUrl: response.typeUrl,
              resourceNames: response.names,
              versionInfo: response.versionInfo,
              responseNonce: response.nonce,
            }),
          ),
        );
        this.onMessage(at);
      }
    });
    stream.on("error", () => {});
    return new Promise((resolve, reject) => {
      stream.once("response", () => resolve());
      stream.once("error", reject);
    });
  }

  /** Drops the connection. */
  destroy(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session || session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      session.once("close", () => resolve());
      session.destroy();
    });
  }
}
