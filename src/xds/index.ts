export { XdsServer, type StreamStatus, type XdsServerOptions } from "./xds-server.js";
export { listenXds, type XdsListener, type XdsListenerOptions, type XdsTlsOptions } from "./xds-listener.js";
export { SotwStream, type PendingResponse, type RequestOutcome, type SotwStreamOptions, type TypeStatus } from "./sotw-stream.js";
export {
  combineHooks,
  type RequestKind,
  type SentResponse,
  type StreamInfo,
  type StreamKind,
  type XdsServerHooks,
} from "./stream-hooks.js";
export { Subscription, type SubscriptionChange } from "./subscription.js";
export { peerAddressKey } from "./peer-address.js";
export { registerClientStatusService, clientStatus, type ClientStatusServiceOptions } from "./client-status-service.js";
export { registerHealthService, healthServiceNames, type ReadinessSource } from "./health-service.js";
