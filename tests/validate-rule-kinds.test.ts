// Every protoc-gen-validate rule kind, on a message type built at run time from a
// FileDescriptorProto whose field options carry `(validate.rules)`: the same path the validator
// takes for Envoy's generated descriptors, but covering rules Envoy's resources do not use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  create,
  createFileRegistry,
  createRegistry,
  type DescMessage,
  type Message,
  type MessageInitShape,
  setExtension,
} from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import {
  anyPack,
  type DescriptorProto,
  DescriptorProtoSchema,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
  MessageOptionsSchema,
  OneofDescriptorProtoSchema,
  OneofOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import {
  disabled,
  type FieldRules,
  FieldRulesSchema,
  file_validate_validate,
  KnownRegex,
  required,
  rules,
} from "../src/gen/validate/validate_pb.js";
import { createEnvoyValidator } from "../src/validate/create-envoy-validator.js";
import { envoyTypeRegistry } from "../src/validate/index.js";
import { assertErrorAt, assertValid, errorsOf } from "./support/validate-fixtures.js";

const T = FieldDescriptorProto_Type;
const REPEATED = FieldDescriptorProto_Label.REPEATED;

type FieldSpec = Partial<FieldDescriptorProto> & { rules?: MessageInitShape<typeof FieldRulesSchema> };

function field(name: string, number: number, type: FieldDescriptorProto_Type, spec: FieldSpec = {}): FieldDescriptorProto {
  const { rules: fieldRules, ...rest } = spec;
  const descriptor = create(FieldDescriptorProtoSchema, { name, number, type, label: FieldDescriptorProto_Label.OPTIONAL, jsonName: name });
  if (fieldRules) {
    descriptor.options = create(FieldOptionsSchema);
    setExtension(descriptor.options, rules, create(FieldRulesSchema, fieldRules) as FieldRules);
  }
  return Object.assign(descriptor, rest);
}

function message(name: string, fields: FieldDescriptorProto[], extra: Partial<DescriptorProto> = {}): DescriptorProto {
  return Object.assign(create(DescriptorProtoSchema, { name, field: fields }), extra);
}

const mapEntry = create(MessageOptionsSchema, { mapEntry: true });

const disabledOptions = create(MessageOptionsSchema);
setExtension(disabledOptions, disabled, true);
// `(validate.ignored) = true`: extension 1072, newer than the pinned validate.proto, so an unknown field.
const ignoredOptions = create(MessageOptionsSchema);
ignoredOptions.$unknown = [{ no: 1072, wireType: WireType.Varint, data: new Uint8Array([1]) }];
const requiredOneof = create(OneofOptionsSchema);
setExtension(requiredOneof, required, true);

const file = create(FileDescriptorProtoSchema, {
  name: "vtest/sample.proto",
  package: "vtest",
  syntax: "proto3",
  dependency: [
    "validate/validate.proto",
    "google/protobuf/any.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/wrappers.proto",
  ],
  enumType: [
    {
      name: "Color",
      value: [
        { name: "RED", number: 0 },
        { name: "GREEN", number: 1 },
        { name: "BLUE", number: 2 },
      ],
    },
  ],
  messageType: [
    message("Child", [field("name", 1, T.STRING, { rules: { type: { case: "string", value: { minLen: 1n } } } })]),
    message("Disabled", [field("name", 1, T.STRING, { rules: { type: { case: "string", value: { minLen: 1n } } } })], {
      options: disabledOptions,
    }),
    message("Ignored", [field("name", 1, T.STRING, { rules: { type: { case: "string", value: { minLen: 1n } } } })], {
      options: ignoredOptions,
    }),
    message("Node", [
      field("next", 1, T.MESSAGE, { typeName: ".vtest.Node" }),
      field("v", 2, T.STRING, { rules: { type: { case: "string", value: { minLen: 1n } } } }),
    ]),
    message("Loop", [field("next", 1, T.MESSAGE, { typeName: ".vtest.Loop" }), field("v", 2, T.STRING)]),
    message(
      "Sample",
      [
        field("s_const", 1, T.STRING, { rules: { type: { case: "string", value: { const: "x" } } } }),
        field("s_len", 2, T.STRING, { rules: { type: { case: "string", value: { len: 3n } } } }),
        field("s_bytes", 3, T.STRING, { rules: { type: { case: "string", value: { minBytes: 2n, maxBytes: 4n } } } }),
        field("s_affix", 4, T.STRING, {
          rules: { type: { case: "string", value: { prefix: "a", suffix: "z", contains: "m", notContains: "q" } } },
        }),
        field("s_in", 5, T.STRING, { rules: { type: { case: "string", value: { in: ["a", "b"], notIn: ["b"] } } } }),
        field("s_hostname", 6, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "hostname", value: true } } } } }),
        field("s_ip", 7, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "ip", value: true } } } } }),
        field("s_ipv4", 8, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "ipv4", value: true } } } } }),
        field("s_ipv6", 9, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "ipv6", value: true } } } } }),
        field("s_address", 10, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "address", value: true } } } } }),
        field("s_uri", 11, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "uri", value: true } } } } }),
        field("s_uri_ref", 12, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "uriRef", value: true } } } } }),
        field("s_uuid", 13, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "uuid", value: true } } } } }),
        field("s_email", 14, T.STRING, { rules: { type: { case: "string", value: { wellKnown: { case: "email", value: true } } } } }),
        field("s_header_name", 15, T.STRING, {
          rules: { type: { case: "string", value: { wellKnown: { case: "wellKnownRegex", value: KnownRegex.HTTP_HEADER_NAME } } } },
        }),
        field("s_header_value", 16, T.STRING, {
          rules: { type: { case: "string", value: { wellKnown: { case: "wellKnownRegex", value: KnownRegex.HTTP_HEADER_VALUE } } } },
        }),
        field("s_pattern", 17, T.STRING, { rules: { type: { case: "string", value: { pattern: "(?i)^[a-z]+\\z" } } } }),
        field("s_max_len", 18, T.STRING, { rules: { type: { case: "string", value: { maxLen: 2n } } } }),
        field("b", 19, T.BYTES, {
          rules: { type: { case: "bytes", value: { minLen: 1n, maxLen: 4n, prefix: new Uint8Array([1]), suffix: new Uint8Array([9]) } } },
        }),
        field("b_ip", 20, T.BYTES, { rules: { type: { case: "bytes", value: { wellKnown: { case: "ipv4", value: true } } } } }),
        field("i32", 21, T.INT32, { rules: { type: { case: "int32", value: { gt: 0, lt: 10 } } } }),
        field("i32_outside", 22, T.INT32, { rules: { type: { case: "int32", value: { gt: 10, lt: 5 } } } }),
        field("i64", 23, T.INT64, { rules: { type: { case: "int64", value: { gte: -5n, lte: 5n } } } }),
        field("u64_in", 24, T.UINT64, { rules: { type: { case: "uint64", value: { in: [1n, 2n] } } } }),
        field("f", 25, T.FLOAT, { rules: { type: { case: "float", value: { notIn: [1.5] } } } }),
        field("d", 26, T.DOUBLE, { rules: { type: { case: "double", value: { const: 2.5 } } } }),
        field("s32", 27, T.SINT32, { rules: { type: { case: "sint32", value: { gte: 0 } } } }),
        field("fx64", 28, T.FIXED64, { rules: { type: { case: "fixed64", value: { lt: 100n } } } }),
        field("flag", 29, T.BOOL, { rules: { type: { case: "bool", value: { const: true } } } }),
        field("color", 30, T.ENUM, {
          typeName: ".vtest.Color",
          rules: { type: { case: "enum", value: { definedOnly: true, notIn: [2] } } },
        }),
        field("color_in", 31, T.ENUM, { typeName: ".vtest.Color", rules: { type: { case: "enum", value: { in: [0] } } } }),
        field("items", 32, T.STRING, {
          label: REPEATED,
          rules: {
            type: {
              case: "repeated",
              value: { minItems: 1n, maxItems: 2n, unique: true, items: { type: { case: "string", value: { minLen: 2n } } } },
            },
          },
        }),
        field("tags", 33, T.MESSAGE, {
          typeName: ".vtest.Sample.TagsEntry",
          label: REPEATED,
          rules: {
            type: {
              case: "map",
              value: {
                minPairs: 1n,
                maxPairs: 2n,
                keys: { type: { case: "string", value: { prefix: "k" } } },
                values: { type: { case: "int32", value: { gt: 0 } } },
              },
            },
          },
        }),
        field("child", 34, T.MESSAGE, { typeName: ".vtest.Child", rules: { message: { required: true } } }),
        field("skipped", 35, T.MESSAGE, { typeName: ".vtest.Child", rules: { message: { skip: true } } }),
        field("any", 36, T.MESSAGE, {
          typeName: ".google.protobuf.Any",
          rules: { type: { case: "any", value: { required: true, in: ["type.googleapis.com/vtest.Child"] } } },
        }),
        field("dur", 37, T.MESSAGE, {
          typeName: ".google.protobuf.Duration",
          rules: { type: { case: "duration", value: { required: true, gte: { seconds: 1n }, lt: { seconds: 10n } } } },
        }),
        field("dur_in", 38, T.MESSAGE, {
          typeName: ".google.protobuf.Duration",
          rules: { type: { case: "duration", value: { in: [{ seconds: 1n }] } } },
        }),
        field("ts", 39, T.MESSAGE, {
          typeName: ".google.protobuf.Timestamp",
          rules: { type: { case: "timestamp", value: { ltNow: true } } },
        }),
        field("ts_within", 40, T.MESSAGE, {
          typeName: ".google.protobuf.Timestamp",
          rules: { type: { case: "timestamp", value: { within: { seconds: 3600n } } } },
        }),
        field("ts_gt", 41, T.MESSAGE, {
          typeName: ".google.protobuf.Timestamp",
          rules: { type: { case: "timestamp", value: { gt: { seconds: 0n } } } },
        }),
        field("choice_a", 42, T.STRING, { oneofIndex: 0, rules: { type: { case: "string", value: { minLen: 2n } } } }),
        field("choice_b", 43, T.INT32, { oneofIndex: 0 }),
        field("opt", 44, T.STRING, { oneofIndex: 1, proto3Optional: true, rules: { type: { case: "string", value: { minLen: 3n } } } }),
        field("wrapped", 45, T.MESSAGE, {
          typeName: ".google.protobuf.StringValue",
          rules: { type: { case: "string", value: { minLen: 2n } } },
        }),
        field("children", 46, T.MESSAGE, { typeName: ".vtest.Child", label: REPEATED }),
        field("child_map", 47, T.MESSAGE, { typeName: ".vtest.Sample.ChildMapEntry", label: REPEATED }),
        field("off", 48, T.MESSAGE, { typeName: ".vtest.Disabled" }),
        field("node", 49, T.MESSAGE, { typeName: ".vtest.Node" }),
        field("loop", 50, T.MESSAGE, { typeName: ".vtest.Loop" }),
        field("wrapped_list", 51, T.MESSAGE, {
          typeName: ".google.protobuf.UInt32Value",
          label: REPEATED,
          rules: { type: { case: "repeated", value: { items: { type: { case: "uint32", value: { lte: 9 } } } } } },
        }),
        field("ignored", 53, T.MESSAGE, { typeName: ".vtest.Ignored" }),
        field("u32_in_oneof", 52, T.MESSAGE, {
          typeName: ".google.protobuf.UInt32Value",
          oneofIndex: 0,
          rules: { type: { case: "uint32", value: { gte: 5 } } },
        }),
      ],
      {
        oneofDecl: [
          create(OneofDescriptorProtoSchema, { name: "choice", options: requiredOneof }),
          create(OneofDescriptorProtoSchema, { name: "_opt" }),
        ],
        nestedType: [
          message("TagsEntry", [field("key", 1, T.STRING), field("value", 2, T.INT32)], { options: mapEntry }),
          message("ChildMapEntry", [field("key", 1, T.STRING), field("value", 2, T.MESSAGE, { typeName: ".vtest.Child" })], {
            options: mapEntry,
          }),
        ],
      },
    ),
  ],
});

const deps = new Map([
  ["validate/validate.proto", file_validate_validate],
  ["google/protobuf/any.proto", file_google_protobuf_any],
  ["google/protobuf/duration.proto", file_google_protobuf_duration],
  ["google/protobuf/timestamp.proto", file_google_protobuf_timestamp],
  ["google/protobuf/wrappers.proto", file_google_protobuf_wrappers],
]);
const files = createFileRegistry(file, (name) => deps.get(name));
const Sample = files.getMessage("vtest.Sample")!;
const Child = files.getMessage("vtest.Child")!;
const validator = createEnvoyValidator({ registry: createRegistry(envoyTypeRegistry(), files) });

const nowSeconds = BigInt(Math.floor(Date.now() / 1000));

/** A Sample that breaks no rule. */
function valid(): Message & Record<string, unknown> {
  const init: Record<string, unknown> = {
    sConst: "x",
    sLen: "abc",
    sBytes: "ab",
    sAffix: "amz",
    sIn: "a",
    sHostname: "api-1.service.consul.",
    sIp: "fd00::1",
    sIpv4: "10.0.0.1",
    sIpv6: "::1",
    sAddress: "10.0.0.1",
    sUri: "https://example.com/a?b=c",
    sUriRef: "/a/b%20c",
    sUuid: "123e4567-e89b-12d3-a456-426614174000",
    sEmail: "ops@example.com",
    sHeaderName: ":authority",
    sHeaderValue: "text/plain; q=1",
    sPattern: "AbC",
    sMaxLen: "😀😀",
    b: new Uint8Array([1, 5, 9]),
    bIp: new Uint8Array([10, 0, 0, 1]),
    i32: 5,
    i32Outside: 11,
    i64: -5n,
    u64In: 2n,
    f: 1.25,
    d: 2.5,
    s32: 0,
    fx64: 99n,
    flag: true,
    color: 1,
    colorIn: 0,
    items: ["aa", "bb"],
    tags: { k1: 1 },
    child: create(Child, { name: "c" } as never),
    skipped: create(Child),
    any: anyPack(Child, create(Child, { name: "c" } as never)),
    dur: { seconds: 1n },
    ts: { seconds: nowSeconds - 60n },
    tsWithin: { seconds: nowSeconds + 60n },
    tsGt: { seconds: 1n },
    choice: { case: "choiceA", value: "ok" },
    wrapped: "ok",
    children: [create(Child, { name: "c" } as never)],
    childMap: { a: create(Child, { name: "c" } as never) },
    off: {},
    node: { v: "a", next: { v: "b" } },
    loop: { next: { next: {} } },
    wrappedList: [{ value: 9 }],
  };
  return create(Sample as DescMessage, init as never) as Message & Record<string, unknown>;
}

const validate = (sample: Message): ReturnType<typeof validator.validateMessage> => validator.validateMessage(sample);

describe("createEnvoyValidator() rule kinds", () => {
  it("should pass a message that keeps every rule", () => {
    assertValid(validate(valid()));
  });

  // [rule, fields to change, error path, error message, other errors expected too]
  const violations: [string, Record<string, unknown>, string, RegExp, boolean?][] = [
    ["string const", { sConst: "y" }, "s_const", /must equal "x"/],
    ["string len in code points", { sLen: "ab" }, "s_len", /length must be 3 characters \(got 2\)/],
    ["string min_bytes", { sBytes: "a" }, "s_bytes", /at least 2 bytes/],
    ["string max_bytes counts UTF-8", { sBytes: "éé€" }, "s_bytes", /at most 4 bytes long \(got 7\)/],
    ["string prefix", { sAffix: "bmz" }, "s_affix", /prefix "a"/],
    ["string suffix", { sAffix: "amy" }, "s_affix", /suffix "z"/],
    ["string contains", { sAffix: "az" }, "s_affix", /contain substring "m"/],
    ["string not_contains", { sAffix: "amqz" }, "s_affix", /contains substring "q"/],
    ["string in", { sIn: "c" }, "s_in", /must be in list/],
    ["string not_in", { sIn: "b" }, "s_in", /must not be in list/],
    ["hostname label", { sHostname: "-bad.example" }, "s_hostname", /valid hostname/],
    ["hostname chars", { sHostname: "under_score.example" }, "s_hostname", /valid hostname/],
    ["ip", { sIp: "10.0.0.256" }, "s_ip", /valid IP address/],
    ["ipv4 rejects v6", { sIpv4: "::1" }, "s_ipv4", /valid IPv4/],
    ["ipv6 rejects v4", { sIpv6: "10.0.0.1" }, "s_ipv6", /valid IPv6/],
    ["address", { sAddress: "not an address" }, "s_address", /hostname or IP/],
    ["uri must be absolute", { sUri: "/relative" }, "s_uri", /absolute URI/],
    ["uri_ref has no spaces", { sUriRef: "a b" }, "s_uri_ref", /URI reference/],
    ["uuid", { sUuid: "123e4567-e89b-12d3-a456" }, "s_uuid", /valid UUID/],
    ["email", { sEmail: "ops@-example.com" }, "s_email", /email/],
    ["strict header name", { sHeaderName: "x header" }, "s_header_name", /HTTP header name/],
    ["strict header value", { sHeaderValue: "a\u0001b" }, "s_header_value", /HTTP header value/],
    ["RE2 pattern with (?i) and \\z", { sPattern: "abc\n" }, "s_pattern", /does not match regex pattern/],
    ["string max_len in code points", { sMaxLen: "😀😀😀" }, "s_max_len", /at most 2 characters \(got 3\)/],
    ["bytes min_len", { b: new Uint8Array([]) }, "b", /at least 1 bytes/, true],
    ["bytes prefix", { b: new Uint8Array([2, 9]) }, "b", /prefix 0x01/],
    ["bytes suffix", { b: new Uint8Array([1, 8]) }, "b", /suffix 0x09/],
    ["bytes ipv4", { bIp: new Uint8Array([1, 2, 3]) }, "b_ip", /IPv4 address in binary form/],
    ["int32 range", { i32: 10 }, "i32", /inside range \(0, 10\) \(got 10\)/],
    ["int32 exclusive range", { i32Outside: 7 }, "i32_outside", /outside range \[5, 10\] \(got 7\)/],
    ["int64 range (bigint)", { i64: 6n }, "i64", /inside range \[-5, 5\] \(got 6\)/],
    ["uint64 in", { u64In: 3n }, "u64_in", /in list \[1, 2\]/],
    ["float not_in", { f: 1.5 }, "f", /not be in list/],
    ["double const", { d: 2 }, "d", /must equal 2.5/],
    ["sint32 gte", { s32: -1 }, "s32", /greater than or equal to 0/],
    ["fixed64 lt", { fx64: 100n }, "fx64", /less than 100/],
    ["bool const", { flag: false }, "flag", /must equal true/],
    ["enum defined_only", { color: 7 }, "color", /defined values of vtest.Color \(got 7\)/],
    ["enum not_in", { color: 2 }, "color", /not be in list \[BLUE\]/],
    ["enum in", { colorIn: 1 }, "color_in", /in list \[RED\] \(got GREEN\)/],
    ["repeated min_items", { items: [] }, "items", /at least 1 item/],
    ["repeated max_items", { items: ["aa", "bb", "cc"] }, "items", /no more than 2 item/],
    ["repeated unique", { items: ["aa", "aa"] }, "items[1]", /unique/],
    ["repeated items rules", { items: ["aa", "b"] }, "items[1]", /at least 2 characters/],
    ["map min_pairs", { tags: {} }, "tags", /at least 1 pair/],
    ["map max_pairs", { tags: { k1: 1, k2: 2, k3: 3 } }, "tags", /no more than 2 pair/],
    ["map keys", { tags: { x: 1 } }, 'tags["x"]', /map key: value does not have prefix "k"/],
    ["map values", { tags: { k1: 0 } }, 'tags["k1"]', /greater than 0/],
    ["message required", { child: undefined }, "child", /value is required/],
    ["nested message rules", { child: { name: "" } }, "child.name", /at least 1 characters/],
    ["any required", { any: undefined }, "any", /value is required/],
    ["any in", { any: anyPack(Sample, create(Sample)) }, "any", /type URL must be in list/, true],
    ["any payload rules", { any: anyPack(Child, create(Child)) }, "any.name", /at least 1 characters/],
    ["duration required", { dur: undefined }, "dur", /value is required/],
    ["duration range", { dur: { seconds: 10n } }, "dur", /inside range \[1s, 10s\) \(got 10s\)/],
    ["duration sub-second", { dur: { nanos: 500_000_000 } }, "dur", /got 0.500s/],
    ["duration in", { durIn: { seconds: 2n } }, "dur_in", /in list \[1s\]/],
    ["timestamp lt_now", { ts: { seconds: nowSeconds + 3600n } }, "ts", /less than now/],
    ["timestamp within", { tsWithin: { seconds: nowSeconds - 7200n } }, "ts_within", /within 3600s of now/],
    ["timestamp gt", { tsGt: { seconds: 0n } }, "ts_gt", /greater than 1970-01-01T00:00:00.000Z/],
    ["required oneof", { choice: { case: undefined } }, "choice", /one of choice_a, choice_b, u32_in_oneof must be set/],
    ["rules of the selected oneof field", { choice: { case: "choiceA", value: "x" } }, "choice_a", /at least 2 characters/],
    [
      "wrapper in a oneof (not unwrapped)",
      { choice: { case: "u32InOneof", value: { value: 4 } } },
      "u32_in_oneof",
      /greater than or equal to 5/,
    ],
    ["proto3 optional when set", { opt: "ab" }, "opt", /at least 3 characters/],
    ["wrapper field rules on the wrapped value", { wrapped: "a" }, "wrapped", /at least 2 characters/],
    ["recursion into repeated messages", { children: [{ name: "a" }, { name: "" }] }, "children[1].name", /at least 1/],
    ["recursion into map values", { childMap: { x: { name: "" } } }, 'child_map["x"].name', /at least 1/],
    ["recursion through a self-referencing type", { node: { v: "a", next: { v: "" } } }, "node.next.v", /at least 1/],
    ["wrapper list items", { wrappedList: [{ value: 10 }] }, "wrapped_list[0]", /less than or equal to 9/],
  ];

  for (const [kind, change, path, message, more] of violations) {
    it(`should report ${kind}`, () => {
      const sample = valid();
      const fresh = create(Sample as DescMessage, change as never) as Record<string, unknown>;
      for (const key of Object.keys(change)) sample[key] = fresh[key];
      const result = validate(sample);
      assertErrorAt(result, path, message);
      if (!more) assert.equal(errorsOf(result).length, 1, JSON.stringify(result));
    });
  }

  it("should skip a field marked skip, a proto3 optional field that is unset, and a disabled or ignored message", () => {
    const sample = valid();
    sample.skipped = create(Child, { name: "" } as never);
    sample.opt = undefined;
    sample.off = create(files.getMessage("vtest.Disabled")!, { name: "" } as never);
    sample.ignored = create(files.getMessage("vtest.Ignored")!, { name: "" } as never);
    assertValid(validate(sample));
  });

  it("should not walk a self-referencing type without rules (trivial cycle)", () => {
    const sample = valid();
    sample.loop = create(files.getMessage("vtest.Loop")!, { next: { next: { next: {} } } } as never);
    assertValid(validate(sample));
  });
});
