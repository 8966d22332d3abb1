// Fuzzing Consul's answers with fast-check, seeded (FUZZ_SEED) so a failure replays: real-shaped
// answers (tests/support/consul-entries.ts) with fields removed, retyped, huge or unicode go
// through what the watcher does with them and through the mapping. No crash, no resource that
// fails the publisher's own validation gate (validateDraft), and an answer whose entries are each
// unreadable never withdraws an endpoint — checked on the pieces (10,000 health answers, catalog
// listings, check-feed bytes) and on the running watcher against a stand-in Consul.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { pino } from "pino";
import { FeedSyntaxError } from "../src/consul/check-feed-scanner.js";
import { CheckFeedTracker } from "../src/consul/check-feed-tracker.js";
import { ServiceEntryReader } from "../src/consul/service-entry-reader.js";
import { selectBridgedServices } from "../src/consul/service-filter.js";
import { mapModel, resolveMappingOptions } from "../src/mapping/index.js";
import type { ServiceInstance } from "../src/model/service-instance.js";
import { ServiceModel } from "../src/model/service-model.js";
import { type HealthEntryJson, healthEntry, instance, instanceFromEntry } from "./support/consul-entries.js";
import { http, until, useEmbeddedConsul, useWatcher } from "./support/consul-test-support.js";
import { assertAllValid } from "./support/mapping-assertions.js";
import { useRewritingProxy } from "./support/rewriting-proxy.js";

const seed = Number(process.env.FUZZ_SEED ?? 20_261_414);
const silent = pino({ level: "silent" });
const mapping = resolveMappingOptions(undefined);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Shared so the samples stay cheap to build: 100,000 characters, 1,000 tags. */
const hugeString = "x".repeat(100_000);
const hugeArray: Json = Array.from({ length: 1_000 }, (_, i) => `tag-${i}`);

/** Values an answer should never hold where they land: other types, extremes, unicode, huge. */
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 65_536, 1e308, -1e308, 2 ** 53 + 2, "", "37719", " 8080", "0x1F90", [], {}, [null]),
  fc.constantFrom<Json>("\u0000", "\u202e", "🙂", "é", "\ud800", "a\nb", "%2F..", "xdstp://x/y", "a:b", "*", "::", "0.0.0.0", "10.0.0.256"),
  fc.constant<Json>(hugeString),
  fc.constant<Json>(hugeArray),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.integer()), {
    maxKeys: 4,
  }),
);

/** One change to a JSON document: `path` picks one of its paths (modulo their number). */
interface Mutation {
  readonly path: number;
  readonly op: "remove" | "set";
  readonly value: Json;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.nat(),
  op: fc.constantFrom("remove" as const, "set" as const),
  value: oddValue,
});

/**
 * Every path into a document (object keys and array indexes), parents before children; a long array
 * (a huge value set by an earlier mutation) counts as one value, not a thousand places to mutate.
 */
function pathsOf(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== "object" || (Array.isArray(value) && value.length > 16)) return [];
  const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

/** Applies one mutation to `doc` in place (a path that no longer exists is left alone). */
function mutate(doc: Json, m: Mutation): void {
  const paths = pathsOf(doc);
  if (paths.length === 0) return;
  const path = paths[m.path % paths.length]!;
  let parent: Json = doc;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return;
    parent = (parent as Record<string | number, Json>)[key] as Json;
  }
  if (parent === null || typeof parent !== "object") return;
  const last = path.at(-1)!;
  // A copy: a shared value set twice into one document would let a later mutation make a cycle.
  if (m.op === "set") (parent as Record<string | number, Json>)[last] = structuredClone(m.value);
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string, Json>)[last as string];
}

/**
 * A last change that leaves an entry unreadable by the reader's documented rules (no Service or
 * Node object, no Service.ID, no Node.Node, a port that is not an integer): Consul never stores
 * such a record, so it says nothing about the instance.
 */
type Fatal =
  | "not-an-object"
  | "no-service"
  | "no-node"
  | "service-retyped"
  | "node-retyped"
  | "id-retyped"
  | "port-as-string"
  | "no-node-name";
const fatal: fc.Arbitrary<{ readonly kind: Fatal; readonly value: Json }> = fc.record({
  kind: fc.constantFrom<Fatal>(
    "not-an-object",
    "no-service",
    "no-node",
    "service-retyped",
    "node-retyped",
    "id-retyped",
    "port-as-string",
    "no-node-name",
  ),
  value: fc.constantFrom<Json>(null, 42, "x", [], [{}], true, ""),
});

function makeUnreadable(entry: Json, { kind, value }: { readonly kind: Fatal; readonly value: Json }): Json {
  if (kind === "not-an-object" || entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    return Array.isArray(value) || value === null || typeof value !== "object" ? value : 7;
  }
  const service = entry.Service;
  const node = entry.Node;
  const serviceObject = service !== null && typeof service === "object" && !Array.isArray(service) ? service : undefined;
  const nodeObject = node !== null && typeof node === "object" && !Array.isArray(node) ? node : undefined;
  if (kind === "no-service" || !serviceObject) delete entry.Service;
  else if (kind === "no-node" || !nodeObject) delete entry.Node;
  else if (kind === "service-retyped") entry.Service = value;
  else if (kind === "node-retyped") entry.Node = value;
  else if (kind === "id-retyped") serviceObject.ID = typeof value === "string" ? "" : value;
  else {
    // Checked after Kind: a record must stay a plain service for its port or node name to matter.
    delete serviceObject.Kind;
    if (kind === "port-as-string") serviceObject.Port = String(serviceObject.Port ?? "37719");
    else delete nodeObject.Node;
  }
  return entry;
}

/** A health answer as a plan: which base entries it keeps, how each is changed, and garbage added. */
interface AnswerPlan {
  /** Per base entry: dropped, or the mutations made to it (none: the entry arrives as Consul sent it). */
  readonly entries: ReadonlyArray<{ readonly keep: boolean; readonly mutations: readonly Mutation[] }>;
  /** Elements inserted into the list: odd values, or copies of an entry. */
  readonly extra: readonly Json[];
  readonly duplicate: boolean;
}

const answerPlan: fc.Arbitrary<AnswerPlan> = fc.record({
  entries: fc.array(
    // An entry is dropped from the answer one time in seven.
    fc.record({ keep: fc.integer({ min: 0, max: 6 }).map((n) => n > 0), mutations: fc.array(mutation, { maxLength: 4 }) }),
    { minLength: 3, maxLength: 3 },
  ),
  extra: fc.array(oddValue, { maxLength: 2 }),
  duplicate: fc.boolean(),
});

/** Per base entry: its mutations, then what makes it unreadable; plus odd values added to the list. */
interface UnreadablePlan {
  readonly mutations: readonly (readonly Mutation[])[];
  readonly fatal: ReadonlyArray<{ readonly kind: Fatal; readonly value: Json }>;
  readonly extra: readonly Json[];
}

/** Every entry made unreadable (after any other mutations): an answer whose entries are each unusable. */
const unreadablePlan: fc.Arbitrary<UnreadablePlan> = fc.record({
  mutations: fc.array(fc.array(mutation, { maxLength: 3 }), { minLength: 3, maxLength: 3 }),
  fatal: fc.array(fatal, { minLength: 3, maxLength: 3 }),
  extra: fc.array(oddValue, { maxLength: 2 }),
});

function baseEntries(service = "web"): HealthEntryJson[] {
  return [1, 2, 3].map((n) =>
    healthEntry({ service, id: `${service}-${n}`, node: `node-${n}`, nodeAddress: `10.0.0.${n}`, meta: { "xds-bridge-protocol": "grpc" } }),
  );
}

function answerOf(base: readonly HealthEntryJson[], plan: AnswerPlan): { answer: Json[]; untouched: HealthEntryJson[] } {
  const answer: Json[] = [];
  const untouched: HealthEntryJson[] = [];
  for (const [i, { keep, mutations }] of plan.entries.entries()) {
    if (!keep) continue;
    const entry = structuredClone(base[i]!) as unknown as Json;
    for (const m of mutations) mutate(entry, m);
    if (mutations.length === 0) untouched.push(base[i]!);
    answer.push(entry);
  }
  if (plan.duplicate && answer.length > 0) answer.push(structuredClone(answer[0]!));
  for (const [i, value] of plan.extra.entries()) answer.splice(i % (answer.length + 1), 0, value);
  return { answer, untouched };
}

function unreadableAnswerOf(base: readonly Json[], plan: UnreadablePlan): Json[] {
  const answer = base.map((entry, i) => {
    let copy = structuredClone(entry);
    for (const m of plan.mutations[i] ?? []) mutate(copy, m);
    copy = makeUnreadable(copy, plan.fatal[i]!);
    return copy;
  });
  for (const [i, value] of plan.extra.entries()) {
    // An odd value added to an unreadable answer must be unreadable too: never an object.
    answer.splice(i % (answer.length + 1), 0, value !== null && typeof value === "object" && !Array.isArray(value) ? 7 : value);
  }
  return answer;
}

/**
 * What the watcher does with one `/v1/health/service/web` answer (DatacenterWatch.apply): the
 * entry reader, then a failed read (model untouched) when nothing is usable, else the service
 * replaced (or removed when every entry is a sidecar).
 */
function applyAnswer(model: ServiceModel, answer: readonly unknown[]): "unusable" | "applied" {
  const read = new ServiceEntryReader("dc1", silent, () => {}, "lan").read("web", answer, model.instancesIn("dc1", "web"));
  if (!read.usable) return "unusable";
  if (read.onlyOtherKinds) model.removeService("dc1", "web");
  else model.setService("dc1", "web", read.instances);
  return "applied";
}

function modelWithWeb(): ServiceModel {
  const model = new ServiceModel({ localDatacenter: "dc1" });
  model.setService("dc1", "web", baseEntries().map(instanceFromEntry));
  model.setService("dc1", "api", [instance({ service: "api", nodeAddress: "10.0.1.1" })]);
  model.markSynced();
  return model;
}

const key = (i: Pick<ServiceInstance, "node" | "id">) => `${i.node}/${i.id}`;

describe("Consul answers fuzzed through the watcher's reading and the mapping", () => {
  it("should survive 10,000 mutated health answers with valid resources, keeping every untouched entry", () => {
    const base = baseEntries();
    let unusable = 0;
    let resources = 0;
    fc.assert(
      fc.property(answerPlan, (plan) => {
        const { answer, untouched } = answerOf(base, plan);
        const model = modelWithWeb();
        if (applyAnswer(model, answer) === "unusable") {
          unusable += 1;
          return;
        }
        const now = new Set((model.instancesIn("dc1", "web") ?? []).map(key));
        for (const entry of untouched) {
          assert.ok(now.has(key(instanceFromEntry(entry))), `the untouched entry ${entry.Service.ID} is kept`);
        }
        const mapped = mapModel(model.view(), mapping);
        assertAllValid(mapped);
        resources += mapped.envoy.drafts.length + mapped.grpc.drafts.length;
      }),
      { numRuns: 10_000, seed },
    );
    console.log(
      `# 10,000 mutated health answers (seed ${seed}): 0 crashes, 0 invalid resources of ${resources} validated; ${unusable} unusable answers kept the last good state`,
    );
  });

  it("should never withdraw an endpoint for 2,000 answers whose entries are each unreadable", () => {
    const base = baseEntries() as unknown as Json[];
    fc.assert(
      fc.property(unreadablePlan, (plan) => {
        const model = modelWithWeb();
        const before = model.instancesIn("dc1", "web");
        applyAnswer(model, unreadableAnswerOf(base, plan));
        assert.deepEqual(model.instancesIn("dc1", "web"), before, "web keeps every instance as it was");
      }),
      { numRuns: 2_000, seed },
    );
    console.log(`# 2,000 health answers with every entry unreadable (seed ${seed}): 0 crashes, 0 endpoints withdrawn`);
  });

  it("should map 2,000 mutated catalog listings to valid resources", () => {
    const listing: Record<string, Json> = { web: ["v1"], api: [], consul: [] };
    let services = 0;
    const name = fc.oneof(
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.constantFrom("\u0000", "🙂", "a b", "%41", "xdstp:", ":", hugeString),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(name, oddValue), { maxLength: 4 }), fc.array(mutation, { maxLength: 3 }), (added, mutations) => {
        const body = structuredClone(listing) as Json;
        for (const m of mutations) mutate(body, m);
        for (const [service, tags] of added) (body as Record<string, Json>)[service] = tags;
        const bridged = selectBridgedServices(body, { prefix: "", exclude: new Set(["consul"]), tag: undefined }) ?? new Map();
        const model = new ServiceModel({ localDatacenter: "dc1" });
        for (const [service, tags] of bridged) {
          model.setService("dc1", service, [{ ...instance({ service, nodeAddress: "10.0.2.1" }), tags: [...tags] }]);
        }
        model.markSynced();
        services += bridged.size;
        assertAllValid(mapModel(model.view(), mapping));
      }),
      { numRuns: 2_000, seed },
    );
    console.log(`# 2,000 mutated catalog listings (seed ${seed}): 0 crashes, ${services} services mapped, 0 invalid resources`);
  });

  it("should read 2,000 mutated check-feed answers (bytes) without an error other than FeedSyntaxError", () => {
    const rows = baseEntries().flatMap((e) => e.Checks);
    const text = JSON.stringify(rows);
    let syntaxErrors = 0;
    let applied = 0;
    fc.assert(
      fc.property(
        fc.array(mutation, { maxLength: 4 }),
        fc.nat({ max: text.length }),
        fc.constantFrom("whole", "truncated", "spliced"),
        fc.string({ unit: "binary", maxLength: 8 }),
        (mutations, at, shape, junk) => {
          const doc = structuredClone(rows) as unknown as Json;
          for (const m of mutations) mutate(doc, m);
          const whole = JSON.stringify(doc);
          const bytes =
            shape === "whole" ? whole : shape === "truncated" ? whole.slice(0, at) : whole.slice(0, at) + junk + whole.slice(at);
          const tracker = new CheckFeedTracker();
          tracker.apply(tracker.read(Buffer.from(text), 1)!);
          try {
            const answer = tracker.read(Buffer.from(bytes), 2);
            if (answer) {
              tracker.apply(answer);
              applied += 1;
            }
          } catch (error) {
            if (!(error instanceof FeedSyntaxError)) throw error;
            syntaxErrors += 1;
          }
        },
      ),
      { numRuns: 2_000, seed },
    );
    console.log(`# 2,000 mutated check-feed answers (seed ${seed}): 0 crashes; ${applied} applied, ${syntaxErrors} refused as not JSON`);
  });
});

describe("the watcher against a stand-in Consul answering fuzzed service reads", () => {
  it("should keep every endpoint through 150 answers whose entries are each unreadable, then follow Consul again", async (t) => {
    const consul = await useEmbeddedConsul(t);
    for (const n of [1, 2, 3]) {
      const answer = await http(consul.url, "PUT", "/v1/catalog/register", {
        Node: `node-${n}`,
        Address: `10.0.0.${n}`,
        Service: { ID: `web-${n}`, Service: "web", Port: 8080 },
        Check: { CheckID: `service:web-${n}`, Name: "check", Status: "passing", ServiceID: `web-${n}` },
      });
      assert.equal(answer.status, 200, answer.text);
    }
    const proxy = await useRewritingProxy(t, consul.url);
    const { model, requests, events } = useWatcher(t, proxy, { datacenter: "dc1" });
    await model.whenSynced();
    const before = model.instancesIn("dc1", "web");
    assert.equal(before?.length, 3);

    const plans = fc.sample(unreadablePlan, { numRuns: 150, seed });
    let status: "passing" | "warning" = "passing";
    for (const plan of plans) {
      proxy.rewrite = (path, body) => (path === "/v1/health/service/web" ? unreadableAnswerOf(body as Json[], plan) : undefined);
      const seen = requests.length;
      status = status === "passing" ? "warning" : "passing";
      consul.store.setCheckStatus("dc1", "node-1", "service:web-1", status);
      await until(() => requests.slice(seen).some((r) => r.endpoint === "health-service" && r.service === "web"), events, "a read of web");
      assert.deepEqual(model.instancesIn("dc1", "web"), before, "no endpoint withdrawn, no record changed");
    }

    proxy.rewrite = undefined;
    consul.store.setCheckStatus("dc1", "node-1", "service:web-1", "critical");
    await until(
      () => model.instancesIn("dc1", "web")?.find((i) => i.id === "web-1")?.health.status === "critical",
      events,
      "the watcher follows Consul again",
    );
    console.log(`# 150 unreadable answers through the watcher and a stand-in Consul (seed ${seed}): 0 crashes, 0 endpoints withdrawn`);
  });
});
