// `status`'s exit code from the admin API's answers: NACK 1, not ready or stale 3, else 0.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { staleAfterSeconds, statusVerdict } from "../src/cli/status-exit-code.js";
import { ClientSchema, GetSyncStatusResponseSchema, TypeStateSchema } from "../src/gen/consulxdsbridge/admin/v1/admin_pb.js";

const now = 1_700_000_000_000;
const ready = create(GetSyncStatusResponseSchema, { synced: true, ready: true });
const notReady = create(GetSyncStatusResponseSchema, {
  synced: false,
  ready: false,
  notReadyReason: "initial sync with Consul not complete",
});

function client(type: { sentAgoMs: number; acked: boolean; nack?: string }) {
  return create(ClientSchema, {
    nodeId: "edge-1",
    types: [
      create(TypeStateSchema, {
        shortName: "EDS",
        versionSent: "v2",
        versionAcked: type.acked ? "v2" : "v1",
        awaitingAck: !type.acked && !type.nack,
        lastSentAt: timestampFromMs(now - type.sentAgoMs),
        lastNackMessage: type.nack ?? "",
        lastNackVersion: type.nack ? "v2" : "",
      }),
    ],
  });
}

describe("statusVerdict()", () => {
  it("should answer 0 when ready and every client is synced or just sent a response", () => {
    assert.deepEqual(statusVerdict([client({ sentAgoMs: 5_000, acked: true }), client({ sentAgoMs: 1_000, acked: false })], ready, now), {
      code: 0,
      reasons: [],
    });
  });

  it("should answer 3 when the bridge is not ready, with the bridge's reason", () => {
    const verdict = statusVerdict([], notReady, now);
    assert.equal(verdict.code, 3);
    assert.deepEqual(verdict.reasons, ["the bridge is not ready: initial sync with Consul not complete"]);
  });

  it("should answer 3 when a response has waited for its ACK longer than the stale limit", () => {
    const verdict = statusVerdict([client({ sentAgoMs: staleAfterSeconds * 1000 + 1, acked: false })], ready, now);
    assert.equal(verdict.code, 3);
    assert.match(verdict.reasons[0]!, /edge-1 EDS has not acknowledged version v2 for more than 30 s/);
  });

  it("should answer 1 for a NACK, even when the bridge is not ready too", () => {
    const verdict = statusVerdict([client({ sentAgoMs: 1_000, acked: false, nack: "bad cluster" })], notReady, now);
    assert.equal(verdict.code, 1);
    assert.deepEqual(verdict.reasons, ["edge-1 EDS rejected version v2"]);
  });
});
