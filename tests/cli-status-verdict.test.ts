// `status`'s exit code from the admin API's answers: NACK 1, not ready or stale 3, a held mass
// withdrawal 4, else 0; and the lines `status` prints about a held withdrawal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { formatStatus } from "../src/cli/run-status.js";
import { staleAfterSeconds, statusVerdict } from "../src/cli/status-exit-code.js";
import {
  ClientSchema,
  GetSyncStatusResponseSchema,
  HeldServiceSchema,
  TypeStateSchema,
  WithdrawalHoldSchema,
} from "../src/gen/consulxdsbridge/admin/v1/admin_pb.js";

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

const held = create(WithdrawalHoldSchema, {
  id: 3,
  since: timestampFromMs(now - 60_000),
  appliesAt: timestampFromMs(now + 540_000),
  endpointsHeld: 6,
  endpointsServed: 8,
  filteredByAcls: true,
  services: [
    create(HeldServiceSchema, { service: "api", datacenter: "dc1", served: 4, remaining: 0, filteredByAcls: true }),
    create(HeldServiceSchema, { service: "web", datacenter: "dc1", served: 2, remaining: 0, filteredByAcls: true }),
  ],
  serviceCount: 2,
});

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

  it("should answer 4 while a mass withdrawal is held, below a NACK and not ready", () => {
    const sync = create(GetSyncStatusResponseSchema, { synced: true, ready: true, withdrawalHold: held });
    const verdict = statusVerdict([client({ sentAgoMs: 1_000, acked: true })], sync, now);
    assert.equal(verdict.code, 4);
    assert.match(verdict.reasons[0]!, /^a mass withdrawal is held \(hold 3: 6 of 8 endpoints, 2 services\)/);
    assert.equal(statusVerdict([], create(GetSyncStatusResponseSchema, { ...notReady, withdrawalHold: held }), now).code, 3);
    assert.equal(statusVerdict([client({ sentAgoMs: 1_000, acked: false, nack: "bad" })], sync, now).code, 1);
  });
});

describe("formatStatus()", () => {
  it("should say what a held withdrawal is, when it applies, and how to confirm it", () => {
    const text = formatStatus(
      [],
      create(GetSyncStatusResponseSchema, { synced: true, ready: true, withdrawalHold: held }),
      now,
      "http://127.0.0.1:19000",
    );
    const lines = text.split("\n");
    assert.deepEqual(lines.slice(1, 6), [
      "WITHDRAWAL HELD (hold 3): Consul's answers would withdraw 6 of 8 endpoints (75 %); serving the last good state",
      "  services: api, web",
      "  Consul filtered the answers by ACLs (X-Consul-Results-Filtered-By-ACLs): check the token's policy",
      `  applied in 9m (${new Date(now + 540_000).toISOString()}), or now with:`,
      `  curl -s -H 'content-type: application/json' -d '{"holdId":3}' http://127.0.0.1:19000/consulxdsbridge.admin.v1.AdminService/ConfirmWithdrawal`,
    ]);
  });

  it("should print nothing about withdrawals when none is held", () => {
    assert.doesNotMatch(formatStatus([], ready, now), /WITHDRAWAL/);
  });
});
