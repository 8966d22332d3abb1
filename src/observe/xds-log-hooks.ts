import type { Logger } from "pino";
import { shortTypeName } from "../snapshot/index.js";
import type { StreamInfo, XdsServerHooks } from "../xds/index.js";
import { truncateForLog } from "./truncate-for-log.js";

/** Longest NACK text logged whole: Envoy's messages name the failing field, so keep a lot of it. */
const maxNackMessage = 2048;

function who(stream: StreamInfo) {
  return {
    stream: stream.id,
    kind: stream.kind === "ads" ? "ADS" : shortTypeName(stream.kind),
    protocol: stream.protocol,
    node: truncateForLog(stream.node?.id),
    cluster: truncateForLog(stream.node?.cluster || undefined),
    group: stream.group,
    peer: stream.peer,
  };
}

/**
 * Logs the xDS server's lifecycle: one line per stream open and close and per NACK (with the
 * client's own error text) at info/warn; requests and responses only at debug. Strings the client
 * chose (node id and cluster, NACK text, versions and nonces it echoes) are truncated.
 */
export function xdsLogHooks(logger: Logger): XdsServerHooks {
  const log = logger.child({ component: "xds" });
  return {
    onStreamOpen: (stream) => log.info({ stream: stream.id, kind: who(stream).kind, peer: stream.peer }, "xDS stream opened"),
    onStreamRequest: (stream, request, kind) => {
      if (!log.isLevelEnabled("debug") && kind !== "unknown-type" && kind !== "empty-type") return;
      // A SotW request names its whole subscription; a delta one what it adds.
      const names = "resourceNames" in request ? request.resourceNames.length : request.resourceNamesSubscribe.length;
      const fields = { ...who(stream), type: shortTypeName(request.typeUrl), request: kind, names };
      if (kind === "unknown-type" || kind === "empty-type") log.warn(fields, "xDS request for a type the bridge does not serve (ignored)");
      else
        log.debug(
          {
            ...fields,
            version: truncateForLog("versionInfo" in request ? request.versionInfo : undefined),
            nonce: truncateForLog(request.responseNonce),
          },
          "xDS request",
        );
    },
    onStreamResponse: (stream, response) => {
      if (!log.isLevelEnabled("debug")) return;
      log.debug(
        {
          ...who(stream),
          type: shortTypeName(response.typeUrl),
          version: response.version,
          nonce: response.nonce,
          resources: response.resources.length,
        },
        "xDS response",
      );
    },
    onNack: (stream, typeUrl, version, message) =>
      log.warn(
        { ...who(stream), type: shortTypeName(typeUrl), version, error: truncateForLog(message, maxNackMessage) },
        "client rejected configuration (NACK)",
      ),
    onStreamClose: (stream, error) => {
      const fields = { ...who(stream), seconds: Math.round((Date.now() - stream.openedAt) / 1000) };
      if (error) log.info({ ...fields, code: error.code, error: error.rawMessage }, "xDS stream closed with an error");
      else log.info(fields, "xDS stream closed");
    },
  };
}
