export { type ClientStatusServiceOptions, clientStatus, registerClientStatusService } from "./client-status-service.js";
export { DeltaStream, type DeltaStreamOptions, type PendingDeltaResponse } from "./delta-stream.js";
export { answerUnimplemented } from "./grpc-unimplemented.js";
export { healthServiceNames, type ReadinessSource, registerHealthService } from "./health-service.js";
export { peerAddressKey, readMaxBytesKey } from "./request-context.js";
export { type PendingResponse, type RequestOutcome, SotwStream, type SotwStreamOptions, type TypeStatus } from "./sotw-stream.js";
export {
  combineHooks,
  type RequestKind,
  type SentResponse,
  type StreamInfo,
  type StreamKind,
  type XdsProtocol,
  type XdsRequest,
  type XdsServerHooks,
} from "./stream-hooks.js";
export { Subscription, type SubscriptionChange } from "./subscription.js";
export { listenXds, type XdsListener, type XdsListenerOptions, type XdsTlsOptions } from "./xds-listener.js";
export { type StreamStatus, XdsServer, type XdsServerOptions } from "./xds-server.js";
