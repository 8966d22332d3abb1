// The config-entry watch against the embedded catalog: entries land in the store and changes follow,
// unknown fields never stop an entry, a 403 or 404 turns the feature off (plain routing) with one
// warning and a later probe turns it back on, and other errors keep the last good entries.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { type ConfigEntryWatch, type ConfigEntryWatchStatus, createConfigEntryWatch } from "../src/consul/config-entry-watch.js";
import { createConsulClient } from "../src/consul/consul-client.js";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { type ConfigEntryChange, ConfigEntryStore } from "../src/model/config-entry-store.js";
import { captureLogger, http, type Subscribe, until, useEmbeddedConsul, virtualClock } from "./support/consul-test-support.js";

const put = (consul: EmbeddedConsul, body: unknown, headers?: Record<string, string>) =>
  http(consul.url, "PUT", "/v1/config", body, headers);

function useWatch(
  t: TestContext,
  consul: EmbeddedConsul,
  options: { token?: string; probeIntervalMs?: number; initialSyncGraceMs?: number } = {},
) {
  const store = new ConfigEntryStore();
  const client = createConsulClient({ address: consul.url, maxSockets: 5, ...(options.token ? { token: options.token } : {}) });
  const { logger, lines, onLine } = captureLogger("debug");
  const states: string[] = [];
  const stateListeners = new Set<() => void>();
  const clock = virtualClock();
  const watch: ConfigEntryWatch = createConfigEntryWatch({
    client,
    store,
    logger,
    clock,
    timing: {
      waitMs: 10_000,
      timeoutMarginMs: 1_000,
      backoff: { baseMs: 20, maxMs: 200 },
      rateLimit: { ratePerSecond: 1000, burst: 10 },
      probeIntervalMs: options.probeIntervalMs ?? 1_000,
      ...(options.initialSyncGraceMs !== undefined ? { initialSyncGraceMs: options.initialSyncGraceMs } : {}),
    },
    onStateChange: (status: ConfigEntryWatchStatus) => {
      states.push(status.state);
      for (const listener of [...stateListeners]) listener();
    },
  });
  t.after(async () => {
    await watch.close();
    client.close();
  });
  const onStore: Subscribe = (listener) => store.onChange(listener);
  const onState: Subscribe = (listener) => {
    stateListeners.add(listener);
    return () => stateListeners.delete(listener);
  };
  return { store, watch, clock, states, lines, onLine, onStore, onState };
}

describe("createConfigEntryWatch()", () => {
  it("should fill the store from every kind and follow changes", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, { Kind: "service-defaults", Name: "web", Protocol: "http" });
    const { store, watch, onStore, onState } = useWatch(t, consul);
    watch.start();
    await store.whenSynced();
    await until(() => watch.status.state === "on", onState, "the feature on");
    assert.equal(store.view().serviceDefaults("web")?.protocol, "http");
    const changes: ConfigEntryChange[] = [];
    const off = store.onChange((change) => changes.push(change));
    await put(consul, { Kind: "service-resolver", Name: "web", ConnectTimeout: "3s" });
    await until(() => store.view().resolver("web") !== undefined, onStore, "the resolver read");
    off();
    assert.equal(store.view().resolver("web")?.connectTimeoutMs, 3000);
    const written = (await http(consul.url, "GET", "/v1/config/service-resolver/web")).json<{ ModifyIndex: number }>();
    assert.deepEqual(
      changes.map((c) => [[...c.keys], c.origin?.datacenter, c.origin?.origin.index]),
      [[["service-resolver/web"], "", written.ModifyIndex]],
      "the change carries the answer it came from (its index), for the published version's provenance",
    );
    await http(consul.url, "DELETE", "/v1/config/service-defaults/web");
    await until(() => store.view().serviceDefaults("web") === undefined, onStore, "the delete read");
  });

  it("should apply an entry with fields it does not know, noting them at debug level", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, { Kind: "service-resolver", Name: "web", ConnectTimeout: "2s", FutureKnob: { On: true } });
    const { store, watch, lines, onLine } = useWatch(t, consul);
    watch.start();
    await store.whenSynced();
    assert.equal(store.view().resolver("web")?.connectTimeoutMs, 2000);
    await until(
      () => lines().some((l) => l.includes("ignored unknown config-entry fields") && l.includes("FutureKnob")),
      onLine,
      "the debug line",
    );
  });

  it("should turn the feature off on a 404, with one warning, and back on when a probe succeeds", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, { Kind: "service-defaults", Name: "web", Protocol: "http" });
    const { store, watch, states, lines, onState, onStore } = useWatch(t, consul, { probeIntervalMs: 60_000 });
    const stop = consul.faults.inject({ kind: "status", status: 404, body: "404 page not found" }, { path: "/v1/config/" });
    watch.start();
    await until(() => watch.status.state === "off", onState, "the feature off");
    assert.equal(store.synced, true, "publishing is not held back");
    assert.equal(store.view().entries.size, 0, "plain routing");
    assert.match(watch.status.reason ?? "", /HTTP 404/);
    const warnings = lines().filter((l) => l.includes("cannot read Consul config entries"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /plain routing continues/);
    stop();
    await until(() => watch.status.state === "on", onState, "the feature on after the probe");
    await until(() => store.view().serviceDefaults("web") !== undefined, onStore, "entries read again");
    assert.deepEqual(states, ["off", "on"]);
  });

  it("should turn the feature off on a 403", async (t) => {
    const consul = await useEmbeddedConsul(t, { aclTokens: ["good"] });
    const { watch, onState } = useWatch(t, consul, { token: "not-a-token" });
    watch.start();
    await until(() => watch.status.state === "off", onState, "the feature off");
    assert.match(watch.status.reason ?? "", /HTTP 403: ACL not found/);
    assert.doesNotMatch(watch.status.reason ?? "", /not-a-token/, "the token never shows");
  });

  it("should keep the last good entries while reads fail otherwise", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, { Kind: "service-defaults", Name: "web", Protocol: "http" });
    const { store, watch, lines, onLine } = useWatch(t, consul);
    watch.start();
    await store.whenSynced();
    consul.faults.inject({ kind: "status", status: 500 }, { path: "/v1/config/" });
    await put(consul, { Kind: "service-defaults", Name: "web", Protocol: "grpc" }); // wakes the parked reads into the fault
    await until(
      () => lines().some((l) => l.includes("config-entry read failing; keeping the last good entries")),
      onLine,
      "the failure logged",
    );
    assert.equal(store.view().serviceDefaults("web")?.protocol, "http", "the last good entry stays");
    assert.equal(watch.status.state, "on");
    assert.ok(watch.status.error, "the error is in the status");
  });

  it("should not open publishing on a transient error before every kind has answered once", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, { Kind: "service-resolver", Name: "web", Subsets: { v1: { Filter: "Service.Meta.version == 1" } } });
    const stop = consul.faults.inject(
      { kind: "status", status: 500, body: "rpc error: No cluster leader" },
      { path: "/v1/config/service-resolver", count: 1 },
    );
    t.after(stop);
    const { store, watch, lines } = useWatch(t, consul);
    watch.start();
    await store.whenSynced();
    assert.ok(store.view().resolver("web"), "synced only once service-resolver answered, after its 500");
    assert.ok(
      lines().some((l) => l.includes("config-entry read failing")),
      "the 500 was met",
    );
    assert.ok(!lines().some((l) => l.includes("publishing without them")));
  });

  it("should open publishing without a kind that keeps failing once the grace has passed, naming it", async (t) => {
    const consul = await useEmbeddedConsul(t);
    await put(consul, { Kind: "service-defaults", Name: "web", Protocol: "http" });
    const stop = consul.faults.inject(
      { kind: "status", status: 500, body: "rpc error: No cluster leader" },
      { path: "/v1/config/service-resolver" },
    );
    t.after(stop);
    const { store, watch, clock, lines } = useWatch(t, consul, { initialSyncGraceMs: 1_000 });
    watch.start();
    await store.whenSynced();
    assert.ok(clock.elapsed() >= 1_000, `synced after the grace, at ${clock.elapsed()} ms (virtual)`);
    const warning = lines().find((l) => l.includes("publishing without them"));
    assert.ok(warning, "one warning says which kind is missing");
    assert.match(warning, /config entries of service-resolver not read 1 s after the start/);
    assert.match(warning, /No cluster leader/, "with the error it met");
    assert.equal(store.view().serviceDefaults("web")?.protocol, "http", "the kinds that answered are applied");
  });
});
