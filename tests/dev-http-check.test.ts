// The README's step 3 against `consul-xds-bridge dev` instead of a Consul agent: a third web
// instance registered through the agent API with an HTTP check gets traffic once the embedded
// catalog has run that check (it used to stay critical forever, so it never did).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { startHttpDemo } from "../src/dev/demo-backends.js";
import { startDevEnvironment } from "../src/dev/start-dev-environment.js";
import { endpointType } from "../src/snapshot/index.js";
import { RawXdsClient, responseAssignments } from "./support/raw-xds-client.js";

describe("startDevEnvironment()", () => {
  it("should route to an instance registered with an HTTP check once the embedded catalog's check passes", {
    timeout: 30_000,
  }, async (t) => {
    const dev = await startDevEnvironment({
      bridge: { xds: { host: "127.0.0.1", port: 0 }, debounceMs: 0 },
      consulHost: "127.0.0.1",
      consulPort: 0,
      demo: true,
      logger: pino({ level: "silent" }),
    });
    t.after(() => dev.close(1_000));
    const web3 = await startHttpDemo("web-3");
    t.after(() => web3.close());
    const healthz = `http://127.0.0.1:${web3.port}/healthz`;
    // The README's registration, with this machine's address and port.
    const registered = await fetch(`${dev.consul.url}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({
        ID: "web-3",
        Name: "web",
        Address: "127.0.0.1",
        Port: web3.port,
        Meta: { "xds-bridge-protocol": "http1" },
        Check: { HTTP: healthz, Interval: "3s", Timeout: "1s" },
      }),
    });
    assert.equal(registered.status, 200, await registered.text());

    const client = RawXdsClient.open({ baseUrl: `http://127.0.0.1:${dev.bridge.xdsPort}`, service: "eds", node: { id: "dev-envoy" } });
    t.after(() => client.close());
    client.subscribe(endpointType, ["web"]);
    /** The ports of the endpoints a response assigns. */
    const ports = (response: Awaited<ReturnType<typeof client.next>>): number[] =>
      responseAssignments(response).flatMap((cla) =>
        cla.endpoints.flatMap((locality) =>
          locality.lbEndpoints.flatMap((lb) => {
            const address = lb.hostIdentifier.case === "endpoint" ? lb.hostIdentifier.value.address?.address : undefined;
            return address?.case === "socketAddress" && address.value.portSpecifier.case === "portValue"
              ? [address.value.portSpecifier.value]
              : [];
          }),
        ),
      );
    for (;;) {
      const response = await client.next(20_000);
      client.ack(response, ["web"]);
      // Without the check running, web-3 stays critical and this loop ends in next()'s timeout.
      if (ports(response).includes(web3.port)) break;
    }
    const check = ((await (await fetch(`${dev.consul.url}/v1/agent/checks`)).json()) as Record<string, { Status: string; Output: string }>)[
      "service:web-3"
    ];
    assert.equal(check?.Status, "passing");
    assert.match(check?.Output ?? "", new RegExp(`^HTTP GET ${healthz}: 200 OK Output: hello from web-3`));
  });
});
