import type { EncodedResource, Snapshot, XdsTypeUrl } from "../snapshot/index.js";
import { DeltaStream } from "./delta-stream.js";
import type { FramedMessage } from "./grpc-frame-writer.js";
import { decodeDeltaDiscoveryRequest, decodeDiscoveryRequest } from "./request-decoding.js";
import { encodeDeltaResponse, encodeSotwResponse } from "./response-encoding.js";
import { type RequestOutcome, SotwStream, type SotwStreamOptions, type TypeStatus } from "./sotw-stream.js";
import type { SentResponse, StreamInfo, XdsProtocol, XdsRequest } from "./stream-hooks.js";

/** What the server drives of a stream's protocol state machine, SotW or delta alike. */
export interface ProtocolStream {
  readonly info: StreamInfo;
  readonly group: string | undefined;
  setSnapshot(snapshot: Snapshot): void;
  /** Decodes and applies one request message; throws a ConnectError for one that must end the stream. */
  receive(bytes: Uint8Array): { readonly request: XdsRequest; readonly outcome: RequestOutcome };
  /** The next response to write, encoded, or undefined when there is nothing to send now. */
  next(): { readonly sent: SentResponse; readonly frame: FramedMessage } | undefined;
  nextDeadline(): number | undefined;
  typeStatuses(): TypeStatus[];
  delivered(typeUrl: XdsTypeUrl): Array<{ name: string; resource: EncodedResource | undefined }>;
}

/** The state machines' common shape (SotwStream, DeltaStream), over their own request and response types. */
interface StateMachine<Request, Pending extends { readonly sent: SentResponse }> {
  readonly info: StreamInfo;
  readonly group: string | undefined;
  setSnapshot(snapshot: Snapshot): void;
  handleRequest(request: Request): RequestOutcome;
  nextResponse(): Pending | undefined;
  nextDeadline(): number | undefined;
  typeStatuses(): TypeStatus[];
  delivered(typeUrl: XdsTypeUrl): Array<{ name: string; resource: EncodedResource | undefined }>;
}

function adapt<Request extends XdsRequest, Pending extends { readonly sent: SentResponse; readonly message: unknown }>(
  machine: StateMachine<Request, Pending>,
  decode: (bytes: Uint8Array) => Request,
  encode: (message: Pending["message"]) => FramedMessage,
): ProtocolStream {
  return {
    get info() {
      return machine.info;
    },
    get group() {
      return machine.group;
    },
    setSnapshot: (snapshot) => machine.setSnapshot(snapshot),
    receive(bytes) {
      const request = decode(bytes);
      return { request, outcome: machine.handleRequest(request) };
    },
    next() {
      const pending = machine.nextResponse();
      return pending && { sent: pending.sent, frame: encode(pending.message) };
    },
    nextDeadline: () => machine.nextDeadline(),
    typeStatuses: () => machine.typeStatuses(),
    delivered: (typeUrl) => machine.delivered(typeUrl),
  };
}

/** A state machine of `protocol` for one new stream, with its request decoding and response encoding. */
export function createProtocolStream(protocol: XdsProtocol, options: SotwStreamOptions): ProtocolStream {
  return protocol === "sotw"
    ? adapt(new SotwStream(options), decodeDiscoveryRequest, encodeSotwResponse)
    : adapt(new DeltaStream(options), decodeDeltaDiscoveryRequest, encodeDeltaResponse);
}
