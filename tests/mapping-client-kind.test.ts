// Client kinds: Envoy and proxyless gRPC clients are told apart by user agent, overridable by node
// metadata, so each gets only the resources meant for it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { NodeSchema } from "../src/gen/envoy/config/core/v3/base_pb.js";
import { type ClientKind, clientKindMetadataKey, detectClientKind } from "../src/mapping/index.js";
import { createClientKindNodeGroup } from "../src/publish/index.js";

const table: Array<{
  name: string;
  userAgentName?: string;
  metadata?: Record<string, unknown>;
  expected: ClientKind;
  defaultKind?: ClientKind;
}> = [
  { name: "Envoy", userAgentName: "envoy", expected: "envoy" },
  { name: "grpc-js", userAgentName: "gRPC Node Pure JS", expected: "grpc" },
  { name: "grpc-go", userAgentName: "gRPC Go", expected: "grpc" },
  { name: "grpc-java", userAgentName: "gRPC Java", expected: "grpc" },
  { name: "gRPC C-core", userAgentName: "gRPC C-core", expected: "grpc" },
  { name: "no user agent", expected: "envoy" },
  { name: "unknown user agent", userAgentName: "curl", expected: "envoy" },
  { name: "unknown user agent, default grpc", userAgentName: "my-client", expected: "grpc", defaultKind: "grpc" },
  { name: "metadata overrides the user agent", userAgentName: "envoy", metadata: { [clientKindMetadataKey]: "grpc" }, expected: "grpc" },
  { name: "metadata is case-insensitive", userAgentName: "gRPC Go", metadata: { [clientKindMetadataKey]: " Envoy " }, expected: "envoy" },
  {
    name: "an invalid metadata value is ignored",
    userAgentName: "gRPC Go",
    metadata: { [clientKindMetadataKey]: "proxy" },
    expected: "grpc",
  },
  {
    name: "a non-string metadata value is ignored",
    userAgentName: "gRPC Go",
    metadata: { [clientKindMetadataKey]: true },
    expected: "grpc",
  },
];

describe("detectClientKind()", () => {
  for (const row of table) {
    it(`should detect ${row.expected} for ${row.name}`, () => {
      const node = create(NodeSchema, { id: "n1", userAgentName: row.userAgentName ?? "", metadata: row.metadata as never });
      assert.equal(detectClientKind(node, { defaultKind: row.defaultKind }), row.expected);
      assert.equal(createClientKindNodeGroup({ defaultKind: row.defaultKind })(node), row.expected);
    });
  }

  it("should use the default kind without a node", () => {
    assert.equal(detectClientKind(undefined), "envoy");
    assert.equal(detectClientKind(undefined, { defaultKind: "grpc" }), "grpc");
  });

  it("should honour a custom metadata key", () => {
    const node = create(NodeSchema, { userAgentName: "envoy", metadata: { kind: "grpc" } });
    assert.equal(detectClientKind(node, { metadataKey: "kind" }), "grpc");
    assert.equal(detectClientKind(node), "envoy");
  });
});
