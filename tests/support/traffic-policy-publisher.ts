// A snapshot publisher over a model and a config-entry store, published by hand: the set-up of the
// traffic-policy publisher suites (web in two versions, api, billing; entries as Consul's JSON).
import assert from "node:assert/strict";
import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { MappingWarning } from "../../src/mapping/index.js";
import { type ConfigEntryKind, configEntryKinds } from "../../src/model/config-entry.js";
import { ConfigEntryStore } from "../../src/model/config-entry-store.js";
import { ServiceModel } from "../../src/model/service-model.js";
import { createSnapshotPublisher, type PublishScheduler } from "../../src/publish/index.js";
import type { Snapshot, XdsTypeUrl } from "../../src/snapshot/index.js";
import { type ConsulConfigEntry, decodeEntry } from "./config-entries.js";
import { type EntrySpec, instance } from "./consul-entries.js";

/** Lets the publisher's gate and debounce settle (they wait on promises, not timers). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Replaces every entry of `kind` in the store with these. */
export function putEntries(store: ConfigEntryStore, kind: ConfigEntryKind, ...entries: ConsulConfigEntry[]): void {
  store.replaceKind(kind, entries.map(decodeEntry));
}

/** Every kind read once, holding exactly these entries. */
export function syncEntries(store: ConfigEntryStore, ...entries: ConsulConfigEntry[]): void {
  for (const kind of configEntryKinds) putEntries(store, kind, ...entries.filter((e) => e.Kind === kind));
}

/** A published resource decoded from its Any. */
export function decodeResource<Desc extends DescMessage>(
  snapshot: Snapshot,
  type: XdsTypeUrl,
  name: string,
  schema: Desc,
): MessageShape<Desc> {
  const resource = snapshot.get(type).resources.get(name);
  assert.ok(resource, `${name} in ${type}`);
  return fromBinary(schema, fromBinary(AnySchema, resource.any).value);
}

function setInstances(model: ServiceModel, service: string, specs: Partial<EntrySpec>[]): void {
  model.setService(
    "dc1",
    service,
    specs.map((s, i) => instance({ service, node: `${service}-node-${i}`, nodeAddress: `10.${service.length}.${i}.1`, ...s })),
  );
}

/** The model (web with Service Meta version 1 and 2, api, billing), an empty store, and a publisher fired by hand. */
export function trafficPolicyPublisher() {
  const model = new ServiceModel({ localDatacenter: "dc1" });
  setInstances(model, "web", [{ meta: { version: "1" } }, { meta: { version: "2" } }]);
  setInstances(model, "api", [{}]);
  setInstances(model, "billing", [{}]);
  const store = new ConfigEntryStore();
  const tasks: Array<{ task: () => void; done: boolean }> = [];
  const scheduler: PublishScheduler = (task) => {
    const entry = { task, done: false };
    tasks.push(entry);
    return () => {
      entry.done = true;
    };
  };
  const warnings = new Map<string, readonly MappingWarning[]>();
  const publisher = createSnapshotPublisher({
    model,
    configEntries: store,
    scheduler,
    onWarnings: (service, list) => warnings.set(service, list),
  });
  /** Runs the one scheduled publish and resolves when it is out. */
  const publish = async () => {
    const next = publisher.nextPublish();
    const pending = tasks.filter((t) => !t.done);
    assert.equal(pending.length, 1, `one scheduled publish, found ${pending.length}`);
    pending[0]!.done = true;
    pending[0]!.task();
    return next;
  };
  /** Marks the model synced (the entries must be synced by the test) and publishes the first snapshot. */
  const firstPublish = async () => {
    model.markSynced();
    await settle();
    return publish();
  };
  return { model, store, publisher, publish, firstPublish, warnings };
}
