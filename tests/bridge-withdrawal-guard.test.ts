// The mass-withdrawal guard in the running bridge, against the embedded Consul catalog: a mass
// deregistration is held (the last good state stays served), alerted (error line, status, /readyz,
// metrics), then applied after the hold time (virtual clock) or at once when an operator confirms it
// through the admin API. An ACL-filtered catalog answer is held and says so; a small withdrawal and a
// guard turned off go through at once.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { type Bridge, type BridgeConfig, startBridge } from "../src/bridge/start-bridge.js";
import type { EmbeddedConsul } from "../src/embedded-consul/index.js";
import { servedEndpoints } from "../src/observe/served-endpoints.js";
import { captureLogger, http, type Subscribe, until, useEmbeddedConsul } from "./support/consul-test-support.js";
import { type ManualClock, manualClock } from "./support/manual-clock.js";
import { useRewritingProxy } from "./support/rewriting-proxy.js";

/** Services a, b and c have an instance on each of n1 and n2; d on n3 and n4: 8 endpoints. */
const layout: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["n1", ["a", "b", "c"]],
  ["n2", ["a", "b", "c"]],
  ["n3", ["d"]],
  ["n4", ["d"]],
];

async function registerLayout(consul: EmbeddedConsul): Promise<void> {
  for (const [index, [node, services]] of layout.entries()) {
    for (const service of services) {
      const id = `${service}-${node}`;
      const answer = await http(consul.url, "PUT", "/v1/catalog/register", {
        Node: node,
        Address: `10.1.0.${index + 1}`,
        Service: { ID: id, Service: service, Port: 8080 },
        Check: { CheckID: `service:${id}`, Name: "check", Status: "passing", ServiceID: id },
      });
      assert.equal(answer.status, 200, answer.text);
    }
  }
}

interface GuardedBridge {
  readonly bridge: Bridge;
  readonly consul: EmbeddedConsul;
  readonly clock: ManualClock;
  readonly lines: () => string[];
  readonly onLine: Subscribe;
  readonly admin: string;
  /** Endpoints every service has in the Envoy snapshot now: what clients are sent. */
  served(): number;
  /** Fires after each publish. */
  readonly published: Subscribe;
}

async function useGuardedBridge(t: TestContext, config: Partial<BridgeConfig> = {}, viaProxy = false) {
  const consul = await useEmbeddedConsul(t);
  await registerLayout(consul);
  const proxy = viaProxy ? await useRewritingProxy(t, consul.url) : undefined;
  const clock = manualClock();
  const { logger, lines, onLine } = captureLogger("info");
  const bridge = await startBridge({
    consul: { address: proxy?.url ?? consul.url, timing: { backoff: { baseMs: 20, maxMs: 100 } } },
    xds: { host: "127.0.0.1", port: 0 },
    admin: { host: "127.0.0.1", port: 0 },
    debounceMs: 0,
    clock,
    logger,
    ...config,
  });
  t.after(() => bridge.close(1_000));
  await bridge.model.whenSynced();
  const served = () => {
    const snapshot = bridge.cache.getSnapshot("envoy");
    return ["a", "b", "c", "d"].reduce((sum, name) => sum + servedEndpoints(snapshot, name).endpoints.length, 0);
  };
  const published: Subscribe = (listener) => bridge.cache.onPublish(() => listener());
  await until(() => served() === 8, published, "the first publish");
  const guarded: GuardedBridge = { bridge, consul, clock, lines, onLine, admin: `http://127.0.0.1:${bridge.adminPort}`, served, published };
  return { ...guarded, proxy };
}

/** Deregisters n1 and n2: a, b and c lose every endpoint, 6 of 8. */
async function deregisterMost(consul: EmbeddedConsul): Promise<void> {
  for (const node of ["n1", "n2"]) assert.equal((await http(consul.url, "PUT", "/v1/catalog/deregister", { Node: node })).status, 200);
}

const logged = (lines: () => string[], text: string) => () => lines().some((line) => line.includes(text));

async function adminRpc(admin: string, method: string, body: unknown) {
  return http(admin, "POST", `/consulxdsbridge.admin.v1.AdminService/${method}`, body, { "content-type": "application/json" });
}

describe("the bridge's mass-withdrawal guard", () => {
  it("should hold a mass deregistration, alert, and apply it after the hold time", async (t) => {
    const { bridge, consul, clock, lines, onLine, admin, served, published } = await useGuardedBridge(t, { withdrawalHoldMs: 600_000 });
    await deregisterMost(consul);
    await until(logged(lines, "holding a mass withdrawal"), onLine, "the error line");

    const line = JSON.parse(lines().find((l) => l.includes("holding a mass withdrawal"))!) as Record<string, unknown>;
    assert.equal(line.level, 50, "logged as an error");
    assert.deepEqual(line.services, ["a", "b", "c"], "naming the services");
    assert.match(String(line.msg), /would withdraw 6 of 8 served endpoints \(75 %\) of 3 services: a, b, c/);
    await until(() => served() === 8, published, "the last good state published again");
    assert.equal(served(), 8, "every endpoint still served");

    const hold = bridge.status().withdrawalHold!;
    assert.deepEqual([hold.endpointsHeld, hold.endpointsServed, hold.appliesAt - hold.since], [6, 8, 600_000]);
    const ready = await http(admin, "GET", "/readyz");
    assert.equal(ready.status, 200, "a held withdrawal does not make the bridge unready");
    assert.match(ready.text, /^ready\nwithdrawal held: Consul's answers would withdraw 6 of 8/);
    const metrics = (await http(admin, "GET", "/metrics")).text;
    assert.match(metrics, /^consul_xds_bridge_withdrawal_held_endpoints 6$/m);
    assert.match(metrics, /^consul_xds_bridge_withdrawal_held_services 3$/m);
    assert.match(metrics, /^consul_xds_bridge_withdrawal_holds_total 1$/m);
    const sync = (await adminRpc(admin, "GetSyncStatus", {})).json<{ withdrawalHold?: { id: number; serviceCount: number } }>();
    assert.deepEqual([sync.withdrawalHold?.id, sync.withdrawalHold?.serviceCount], [hold.id, 3]);
    const page = (await http(admin, "GET", "/ui/state")).json<{ bridge: { withdrawalHold: { services: string[] } | null } }>();
    assert.deepEqual(page.bridge.withdrawalHold?.services, ["a", "b", "c"], "the status page shows it too");

    clock.advance(599_000);
    assert.ok(bridge.status().withdrawalHold, "still held a second before the hold time");
    clock.advance(1_000);
    await until(() => served() === 2, published, "the withdrawal applied");
    assert.equal(bridge.status().withdrawalHold, undefined);
    assert.ok(logged(lines, "it persisted for the hold time")());
    assert.match((await http(admin, "GET", "/metrics")).text, /^consul_xds_bridge_withdrawal_held_endpoints 0$/m);
  });

  it("should apply a held withdrawal at once when an operator confirms it, and refuse another hold's id", async (t) => {
    const { bridge, consul, lines, onLine, admin, served, published } = await useGuardedBridge(t);
    await deregisterMost(consul);
    await until(logged(lines, "holding a mass withdrawal"), onLine, "the error line");
    const id = bridge.status().withdrawalHold!.id;

    const wrong = await adminRpc(admin, "ConfirmWithdrawal", { holdId: id + 1 });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json(), {
      code: "failed_precondition",
      message: `hold ${id + 1} is not the one in force (hold ${id} is): read the status again`,
    });
    assert.ok(bridge.status().withdrawalHold, "nothing applied");

    const confirmed = await adminRpc(admin, "ConfirmWithdrawal", { holdId: id });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.json<{ applied: { endpointsHeld: number } }>().applied.endpointsHeld, 6);
    await until(() => served() === 2, published, "the withdrawal applied");
    assert.ok(logged(lines, "confirmed by an operator")());
    const none = await adminRpc(admin, "ConfirmWithdrawal", {});
    assert.deepEqual(none.json(), { code: "failed_precondition", message: "no withdrawal is held" });
  });

  it("should hold an ACL-filtered catalog answer, and say Consul filtered it", async (t) => {
    const { bridge, consul, lines, onLine, served, proxy } = await useGuardedBridge(t, {}, true);
    proxy!.addHeaders = (path) => (path === "/v1/catalog/services" ? { "X-Consul-Results-Filtered-By-ACLs": "true" } : undefined);
    proxy!.rewrite = (path, body) => (path === "/v1/catalog/services" ? { d: (body as Record<string, unknown>).d } : undefined);
    // Any catalog write wakes the blocking query; the proxy's answer then lists d alone.
    await http(consul.url, "PUT", "/v1/catalog/register", { Node: "n5", Address: "10.1.0.5", Service: { Service: "e", Port: 80 } });
    await until(logged(lines, "holding a mass withdrawal"), onLine, "the error line");
    const hold = bridge.status().withdrawalHold!;
    assert.equal(hold.filteredByAcls, true);
    assert.deepEqual(
      hold.services.map((s) => [s.service, s.filteredByAcls]),
      [
        ["a", true],
        ["b", true],
        ["c", true],
      ],
    );
    assert.ok(logged(lines, "Consul filtered the answers by ACLs (X-Consul-Results-Filtered-By-ACLs): check the token's policy")());
    assert.equal(served(), 8);
  });

  it("should apply a withdrawal under the limit at once", async (t) => {
    const { bridge, consul, served, published } = await useGuardedBridge(t);
    for (const node of ["n1", "n3"]) await http(consul.url, "PUT", "/v1/catalog/deregister", { Node: node });
    await until(() => served() === 4, published, "4 of 8 withdrawn: 50 % is not more than 50 %");
    assert.equal(bridge.status().withdrawalHold, undefined);
  });

  it("should never hold with --max-withdrawal 0", async (t) => {
    const { bridge, consul, lines, served, published } = await useGuardedBridge(t, { maxWithdrawalPercent: 0 });
    await deregisterMost(consul);
    await until(() => served() === 2, published, "the mass withdrawal applied");
    assert.equal(bridge.status().withdrawalHold, undefined);
    assert.equal(logged(lines, "holding a mass withdrawal")(), false);
  });
});
