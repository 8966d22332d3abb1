// The xDS log lines: strings a client chose (a 10 KB node.id, a huge NACK text) are truncated, so a
// client cannot make every stream open and close write kilobytes of log.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { NodeSchema } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { createLogger } from "../src/observe/create-logger.js";
import { truncateForLog } from "../src/observe/truncate-for-log.js";
import { xdsLogHooks } from "../src/observe/xds-log-hooks.js";
import { clusterType } from "../src/snapshot/index.js";
import type { StreamInfo } from "../src/xds/index.js";

/** A JSON logger whose lines are kept for the test. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ format: "json", destination }), lines };
}

describe("truncateForLog()", () => {
  it("should keep short strings and cut long ones, saying how much was left out", () => {
    assert.equal(truncateForLog("edge-1"), "edge-1");
    assert.equal(truncateForLog(undefined), undefined);
    assert.equal(truncateForLog("x".repeat(300)), `${"x".repeat(256)}… (44 more characters)`);
    assert.equal(truncateForLog("abcdef", 3), "abc… (3 more characters)");
  });
});

describe("xdsLogHooks()", () => {
  it("should log a 10 KB node id and a huge NACK text cut short, on NACK and on stream close", () => {
    const { logger, lines } = capturingLogger();
    const hooks = xdsLogHooks(logger);
    const nodeId = `node-${"n".repeat(10_000)}`;
    const stream: StreamInfo = {
      id: 7,
      kind: "ads",
      protocol: "sotw",
      peer: "127.0.0.1:5000",
      openedAt: Date.now(),
      node: create(NodeSchema, { id: nodeId, cluster: "c".repeat(5_000) }),
      group: "envoy",
    };
    hooks.onStreamOpen!(stream);
    hooks.onNack!(stream, clusterType, "v1", `bad cluster: ${"e".repeat(50_000)}`);
    hooks.onStreamClose!(stream, undefined);
    assert.equal(lines.length, 3);
    for (const line of lines) assert.ok(line.length < 3_500, `a line of ${line.length} characters`);
    const [, nack, closed] = lines.map((line) => JSON.parse(line) as { node?: string; cluster?: string; error?: string; msg: string });
    assert.equal(closed!.msg, "xDS stream closed");
    assert.equal(closed!.node, `${nodeId.slice(0, 256)}… (${nodeId.length - 256} more characters)`);
    assert.match(closed!.cluster!, /^c{256}… \(4744 more characters\)$/);
    assert.equal(nack!.msg, "client rejected configuration (NACK)");
    assert.match(nack!.error!, /^bad cluster: e+… \(\d+ more characters\)$/);
    assert.equal(nack!.error!.length < 2_100, true);
  });
});
