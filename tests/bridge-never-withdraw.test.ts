// End to end: a Consul answering unreadable records never reduces the endpoints the bridge serves.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startBridge } from "../src/bridge/start-bridge.js";
import { endpointType } from "../src/snapshot/index.js";
import { http, until, useEmbeddedConsul } from "./support/consul-test-support.js";
import { RawXdsClient, responseAssignments } from "./support/raw-xds-client.js";
import { useRewritingProxy } from "./support/rewriting-proxy.js";

describe("the bridge against a Consul answering unreadable records", () => {
  it("should keep serving every endpoint, then serve the real change once Consul answers well", async (t) => {
    const consul = await useEmbeddedConsul(t);
    for (const [index, node] of ["n1", "n2"].entries()) {
      await http(consul.url, "PUT", "/v1/catalog/register", {
        Node: node,
        Address: `10.1.0.${index + 1}`,
        Service: { ID: `web-${index + 1}`, Service: "web", Port: 37719 },
        Check: { CheckID: `service:web-${index + 1}`, Name: "check", Status: "passing", ServiceID: `web-${index + 1}` },
      });
    }
    const proxy = await useRewritingProxy(t, consul.url);
    const bridge = await startBridge({
      consul: { address: proxy.url, timing: { backoff: { baseMs: 20, maxMs: 100 } } },
      xds: { host: "127.0.0.1", port: 0 },
      debounceMs: 0,
    });
    t.after(() => bridge.close(1_000));
    const client = RawXdsClient.open({ baseUrl: `http://127.0.0.1:${bridge.xdsPort}`, node: { id: "envoy-1", cluster: "edge" } });
    t.after(() => client.close());
    client.subscribe(endpointType, ["web"]);
    const first = await client.next();
    const endpoints = (response: typeof first) => responseAssignments(response)[0]?.endpoints.flatMap((l) => l.lbEndpoints).length;
    assert.equal(endpoints(first), 2);
    client.ack(first, ["web"]);

    // Every entry of web's answer now has Port as a string; a check change makes the bridge read it.
    proxy.rewrite = (path, body) =>
      path === "/v1/health/service/web"
        ? (body as Array<{ Service: Record<string, unknown> }>).map((e) => ({
            ...e,
            Service: { ...e.Service, Port: String(e.Service.Port) },
          }))
        : undefined;
    consul.store.setCheckStatus("dc1", "n2", "service:web-2", "critical");
    const statusChanges = (listener: () => void) => bridge.watcher.onStatusChange(listener);
    await until(() => bridge.watcher.status.errors.some((e) => e.service === "web"), statusChanges, "web unreadable");
    assert.equal(bridge.model.view().services.get("web")?.get("dc1")?.instances.length, 2);

    // Consul answers well again: the next assignment the client gets is the real change (one
    // endpoint), so no assignment with fewer endpoints was sent in between.
    proxy.rewrite = undefined;
    const next = await client.next();
    assert.equal(endpoints(next), 1);
  });
});
