// Fidelity with a Consul client nobody on this project wrote: Debian's python-consul (0.7.1) replays
// its calls (tests/support/consul-fidelity/python_consul_behaviours.py) against the embedded catalog,
// and against a real agent when CONSUL_HTTP_ADDR is set (an agent on this host: the script's HTTP and
// TCP checks target 127.0.0.1). Every behaviour must match what Consul answers, as written below from
// Consul's handlers (agent_endpoint.go, health_endpoint.go, structs/check_type.go, agent/checks); the
// only exceptions are endpoints dev mode does not implement, each stated with its reason, where the
// embedded catalog must say so plainly instead of answering like Consul.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { createEmbeddedConsul } from "../src/embedded-consul/index.js";
import { debianPython } from "./support/ccore-client.js";
import { debianPackageGate } from "./support/debian-package.js";
import { repoPath } from "./support/repo-path.js";

const gate = debianPackageGate("embedded-consul-fidelity", {
  debianPackage: "python3-consul",
  command: debianPython,
  args: ["-c", "import consul; print(consul.__version__)"],
});

/** An endpoint dev mode does not implement: Consul's answer, and the plain refusal the embedded catalog gives instead. */
interface DevModeGap {
  readonly gap: true;
  readonly consul: unknown;
  readonly embedded: unknown;
}

const gapReason =
  "dev mode serves the agent, catalog, health, status and config-entry endpoints that service registration and the bridge use; KV, sessions, " +
  "events, coordinates and prepared queries are Consul features the bridge never reads";

/** python-consul turns the embedded catalog's 501 into a ConsulException carrying its text. */
function devModeGap(consul: unknown, method: string, path: string): DevModeGap {
  return {
    gap: true,
    consul,
    embedded: {
      raised: "ConsulException",
      message:
        `501 ${method} ${path} is not implemented by consul-xds-bridge's embedded Consul catalog (dev mode), which serves only the agent, ` +
        "catalog, health, status and config-entry endpoints that service registration and the bridge use. Point at a Consul agent for the rest of the API.",
    },
  };
}

/**
 * What Consul answers to each behaviour, normalised as the script normalises (node "<node>", ports
 * "<port>", service "<svc>"). Notable ones: python-consul GETs deregistration, TTL updates, join
 * and force-leave, which Consul >= 1.0 answers 405 and the client turns into False; a new agent
 * check starts critical with no output; an unknown service or check ID is a 404 with Consul's
 * "Ensure that the … ID is passed" text; any /v1/health/state/<name> is accepted; Check.script's
 * `script` key is unknown to Consul >= 1.1, so the check has no type ("TTL must be > 0").
 */
const consulAnswers: Record<string, unknown> = {
  "agent.self names datacenter and node": { datacenter_is_text: true, member_is_node: true, member_alive: 1 },
  "agent.members lists the agent": [{ Name: "<node>", Port: 8301, Status: 1, dc: true, role: "consul" }],
  "agent.members(wan=True) lists the agent as node.dc": [{ Port: 8302, Status: 1 }],
  "status.leader is host:port": true,
  "status.peers is a list with the leader": true,
  "catalog.datacenters includes the agent's": true,
  "agent.service.register with a TTL check": true,
  "agent.services shows it with the agent's defaults": {
    ID: "<svc>-1",
    Service: "<svc>",
    Tags: ["a", "b"],
    Meta: {},
    Port: 8080,
    Address: "10.9.0.1",
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
  },
  "agent.checks: the new check is critical with no output": {
    CheckID: "service:<svc>-1",
    Name: "Service '<svc>' check",
    Status: "critical",
    Output: "",
    ServiceID: "<svc>-1",
    ServiceName: "<svc>",
    ServiceTags: ["a", "b"],
    Type: "ttl",
  },
  "health.service returns the index as text and the entry": {
    index_is_digits: true,
    ids: ["<svc>-1"],
    node: ["<node>"],
    service_address: ["10.9.0.1"],
  },
  "health.service(passing=True) leaves the critical instance out": [],
  "agent.check.ttl_pass sends GET: Consul answers 405, the client returns False": false,
  "after the GET the check is still critical": "critical",
  "PUT /v1/agent/check/pass with a note": { status: 200, body: "" },
  "the check passes with the note as output": { Status: "passing", Output: "all good", Notes: "" },
  "health.service(passing=True) now returns it": ["<svc>-1"],
  "PUT /v1/agent/check/warn": { status: 200, body: "" },
  "health.state('warning') includes it": [true],
  "health.state('passing') leaves it out": [false],
  "health.state('any') includes the agent's serfHealth": true,
  "health.state('unknown') is an empty list": [],
  "PUT /v1/agent/check/update with a bad status": { status: 400, body: "Invalid check status: 'sideways'" },
  "PUT /v1/agent/check/pass on an unknown check": {
    status: 404,
    body: 'Unknown check ID "cxb-no-such-check". Ensure that the check ID is passed, not the check name.',
  },
  "catalog.services unions the tags": ["a", "b", "c"],
  "catalog.service rows": [
    ["<svc>-1", 8080, "10.9.0.1", "<node>"],
    ["<svc>-2", 8081, "", "<node>"],
  ],
  "catalog.service(tag='c')": ["<svc>-2"],
  "enable_tag_override is kept": true,
  "catalog.nodes includes the agent with an address": [true],
  "catalog.node lists the node's services": { node: "<node>", ids: ["<svc>-1", "<svc>-2"], port: 8080 },
  "catalog.node of an unknown node is None": null,
  "health.node lists serfHealth and the service's check": ["serfHealth", "service:<svc>-1"],
  "health.node of an unknown node is an empty list": [],
  "health.checks lists the service's checks only": ["service:<svc>-1"],
  "consistency='stale' reads": true,
  "health.service in an unknown datacenter raises": { raised: "ConsulException", message: "500 No path to datacenter" },
  "catalog.services in an unknown datacenter raises": { raised: "ConsulException", message: "500 No path to datacenter" },
  "a blocking health.service returns on a check change with a higher index": { moved: true, before_wait: true, status: ["critical"] },
  "a blocking query with no change returns the same index after wait": { same: true },
  "agent.service.maintenance(enable=True)": true,
  "the maintenance check is critical with the reason": { Status: "critical", Notes: "deploy" },
  "agent.service.maintenance(enable=False)": true,
  "the maintenance check is gone": null,
  "agent.service.maintenance of an unknown service": {
    status: 404,
    body: 'Unknown service ID "cxb-no-such-service". Ensure that the service ID is passed, not the service name.',
  },
  "agent.maintenance(True) adds _node_maintenance": [true, true],
  "agent.maintenance(False) removes it": [true, false],
  "agent.check.register a node TTL check": true,
  "agent.checks shows the node check": { Name: "cxb disk <svc>", Status: "critical", Notes: "root volume", ServiceID: "", Type: "ttl" },
  "agent.check.register for the service": true,
  "the service check carries the service's name and tags": { ServiceID: "<svc>-1", ServiceName: "<svc>", ServiceTags: ["a", "b"] },
  "agent.check.register for an unknown service returns False": false,
  "PUT check register for an unknown service": { status: 404, body: 'ServiceID "cxb-no-such-service" does not exist' },
  "agent.check.register without a check type raises BadRequest": {
    raised: "BadRequest",
    message: "400 Invalid check: TTL must be > 0 for TTL checks",
  },
  "agent.check.register with a bad status": { status: 400, body: "Bad check status" },
  "agent.check.register without a name": { status: 400, body: "Missing check name" },
  "a TTL check expires critical": { Status: "critical", Output: "TTL expired" },
  "Check.http against a 200 passes": { Status: "passing", Output: "HTTP GET http://127.0.0.1:<port>/ok: 200 OK Output: ok" },
  "Check.http against a 503 is critical": {
    Status: "critical",
    Output: "HTTP GET http://127.0.0.1:<port>/down: 503 Service Unavailable Output: down",
  },
  "Check.http against a 429 warns": {
    Status: "warning",
    Output: "HTTP GET http://127.0.0.1:<port>/busy: 429 Too Many Requests Output: busy",
  },
  "Check.tcp against an open port passes": { Status: "passing", Output: "TCP connect 127.0.0.1:<open-port>: Success" },
  "Check.tcp against a closed port is critical": {
    Status: "critical",
    Output: "dial tcp 127.0.0.1:<closed-port>: connect: connection refused",
  },
  "a registration with an HTTP check and DeregisterCriticalServiceAfter is accepted": true,
  "Check.script is not a check type Consul knows": { raised: "BadRequest", message: "400 Invalid check: TTL must be > 0 for TTL checks" },
  "agent.check.deregister sends GET: 405, returns False": false,
  "the node check is still registered": true,
  "PUT /v1/agent/check/deregister": { status: 200, body: "" },
  "PUT /v1/agent/check/deregister of an unknown check": {
    status: 404,
    body: 'Unknown check ID "<svc>-disk". Ensure that the check ID is passed, not the check name.',
  },
  "catalog.register a node with a service and a check": true,
  "health.service shows the catalog-registered instance passing": [["10.9.9.9", ["passing"]]],
  "catalog.deregister the service": true,
  "catalog.node after the service is gone": [],
  "catalog.deregister the node": true,
  "catalog.deregister an unknown node": true,
  "catalog.register without an address raises": { status: 400, body: "Must provide node and address" },
  "agent.service.deregister sends GET: 405, returns False": false,
  "the service is still registered": true,
  "PUT /v1/agent/service/deregister": { status: 200, body: "" },
  "PUT /v1/agent/service/deregister of an unknown ID": {
    status: 404,
    body: 'Unknown service ID "<svc>-2". Ensure that the service ID is passed, not the service name.',
  },
  "agent.join sends GET: 405, returns False": false,
  "agent.force_leave sends GET: 405, returns False": false,
  "the service is gone from catalog.services": false,
  "kv.put": devModeGap(true, "PUT", "/v1/kv/<svc>/key"),
  "kv.get": devModeGap("value", "GET", "/v1/kv/<svc>/key"),
  "kv.delete": devModeGap(true, "DELETE", "/v1/kv/<svc>/key"),
  "session.list": devModeGap(true, "GET", "/v1/session/list"),
  "event.fire": devModeGap(true, "PUT", "/v1/event/fire/<svc>-event"),
  "coordinate.nodes": devModeGap(true, "GET", "/v1/coordinate/nodes"),
  "query.list": devModeGap(true, "GET", "/v1/query"),
};

/** Runs the python-consul replay against `address` (host:port) and returns each behaviour's observation. */
async function replay(address: string): Promise<Map<string, unknown>> {
  const child = spawn(debianPython, [repoPath("tests/support/consul-fidelity/python_consul_behaviours.py")], {
    env: { ...process.env, CONSUL_HTTP_ADDR: address },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, `the python-consul replay failed:\n${err}`);
  const observed = new Map<string, unknown>();
  for (const line of out.split("\n").filter((l) => l !== "")) {
    const { name, observed: value } = JSON.parse(line) as { name: string; observed: unknown };
    observed.set(name, value);
  }
  return observed;
}

function isGap(value: unknown): value is DevModeGap {
  return typeof value === "object" && value !== null && (value as { gap?: unknown }).gap === true;
}

/** Compares every observation with Consul's answer (or, for dev-mode gaps on the embedded catalog, with the plain refusal). */
function compare(observed: Map<string, unknown>, target: "embedded" | "consul"): { agreed: number; gaps: number } {
  assert.deepEqual([...observed.keys()].sort(), Object.keys(consulAnswers).sort(), "the replay and this table name the same behaviours");
  const mismatches: string[] = [];
  let gaps = 0;
  for (const [name, expected] of Object.entries(consulAnswers)) {
    const wanted = isGap(expected) ? (target === "embedded" ? expected.embedded : expected.consul) : expected;
    if (isGap(expected) && target === "embedded") gaps += 1;
    try {
      assert.deepStrictEqual(observed.get(name), wanted);
    } catch {
      mismatches.push(`${name}: observed ${JSON.stringify(observed.get(name))}, Consul: ${JSON.stringify(wanted)}`);
    }
  }
  assert.deepEqual(mismatches, [], `behaviours that differ from Consul on the ${target} target`);
  return { agreed: observed.size - gaps, gaps };
}

describe("the embedded catalog as python-consul sees it", { skip: gate.skip }, () => {
  it("should answer every python-consul behaviour as Consul does, dev-mode gaps said plainly", { timeout: 90_000 }, async (t) => {
    gate.assertPresent();
    const consul = await createEmbeddedConsul({ port: 0, nodeName: "fidelity-agent" });
    t.after(() => consul.close());
    const { agreed, gaps } = compare(await replay(`127.0.0.1:${consul.port}`), "embedded");
    t.diagnostic(
      `${agreed} of ${Object.keys(consulAnswers).length} behaviours as Consul; ${gaps} endpoints dev mode refuses: ${gapReason}`,
    );
  });
});

const realAddress = process.env.CONSUL_HTTP_ADDR;
const skipReal = realAddress ? gate.skip : "CONSUL_HTTP_ADDR is not set: no real Consul agent to replay python-consul against";
if (!realAddress) console.log(`# embedded-consul-fidelity: real-agent replay skipped: ${skipReal}`);

describe("a real Consul agent as python-consul sees it", { skip: skipReal }, () => {
  it("should give the answers this table says Consul gives", { timeout: 90_000 }, async () => {
    gate.assertPresent();
    compare(await replay((realAddress ?? "").replace(/^https?:\/\//, "").replace(/\/+$/, "")), "consul");
  });
});
