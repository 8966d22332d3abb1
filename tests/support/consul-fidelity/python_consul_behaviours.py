"""Replays what a real Consul client does: Debian's python-consul (python3-consul 0.7.1), run with
/usr/bin/python3, against the Consul HTTP API at CONSUL_HTTP_ADDR (host:port).

Each behaviour is one or a few client calls; the script prints one JSON line per behaviour,
{"name": ..., "observed": ...}, with observations normalised so that they do not depend on the
agent (its node name becomes "<node>", its datacenter "<dc>", this script's ports "<port>", the
unique service names "<svc>"). tests/embedded-consul-fidelity.test.ts holds what Consul answers.

python-consul is old: it sends GET for some writes (service and check deregistration, TTL
updates, join, force-leave) that Consul >= 1.0 answers 405; the client then returns False. Where
a behaviour needs the PUT, it goes through the client's own HTTP layer (c.http.put), as a user
working around that would. HTTP and TCP checks target servers this script runs on 127.0.0.1, so
the agent must run on this host.
"""

import http.server
import json
import os
import socket
import sys
import threading
import time
import uuid

import consul
from consul.base import CB

observations = []
scrub = {}


def normalise(value):
    if isinstance(value, str):
        for raw, placeholder in scrub.items():
            value = value.replace(raw, placeholder)
        return value
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, tuple):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {normalise(k): normalise(v) for k, v in value.items()}
    return value


def record(name, fn):
    try:
        observed = fn()
    except Exception as error:  # the exception a user would see is the observation
        observed = {"raised": type(error).__name__, "message": str(error)}
    print(json.dumps({"name": name, "observed": normalise(observed)}), flush=True)


def raw(response):
    """A callback for c.http.* that keeps the status and body, as a user debugging would."""
    return {"status": response.code, "body": response.body}


class Handler(http.server.BaseHTTPRequestHandler):
    replies = {"/ok": (200, "ok"), "/down": (503, "down"), "/busy": (429, "busy")}

    def do_GET(self):
        status, body = self.replies.get(self.path, (404, "no such path"))
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def main():
    host, port = os.environ["CONSUL_HTTP_ADDR"].split(":")
    c = consul.Consul(host=host, port=int(port))

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    web_port = web.server_address[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    open_port = listener.getsockname()[1]

    self_info = c.agent.self()
    node = self_info["Config"]["NodeName"]
    dc = self_info["Config"]["Datacenter"]
    svc = "cxb-fidelity-" + uuid.uuid4().hex[:8]
    # Longest first, so a port that is a prefix of another is not replaced inside it.
    for raw_value, placeholder in sorted(
        [(svc, "<svc>"), (str(web_port), "<port>"), (str(open_port), "<open-port>"), (str(closed_port), "<closed-port>"), (node, "<node>")],
        key=lambda item: -len(item[0]),
    ):
        scrub[raw_value] = placeholder
    scrub_dc = dc

    def wait_check(check_id, statuses, service=svc, timeout=20, ran=True):
        """Blocking queries on the service's checks until check_id has one of statuses (and, when
        ran, some output: the agent has run it, it is not just the initial critical)."""
        index = None
        deadline = time.time() + timeout
        while time.time() < deadline:
            index, checks = c.health.checks(service, index=index, wait="5s")
            for check in checks:
                if check["CheckID"] == check_id and check["Status"] in statuses and (check["Output"] != "" or not ran):
                    return {"Status": check["Status"], "Output": check["Output"]}
        return {"timeout": True}

    def service_check(check_id):
        for check in c.health.checks(svc)[1]:
            if check["CheckID"] == check_id:
                return {"Status": check["Status"], "Output": check["Output"], "Notes": check["Notes"]}
        return None

    # ---- the agent ----
    record("agent.self names datacenter and node", lambda: {
        "datacenter_is_text": isinstance(self_info["Config"]["Datacenter"], str) and self_info["Config"]["Datacenter"] != "",
        "member_is_node": self_info["Member"]["Name"] == node,
        "member_alive": self_info["Member"]["Status"],
    })
    record("agent.members lists the agent", lambda: [
        {"Name": m["Name"], "Port": m["Port"], "Status": m["Status"], "dc": m["Tags"].get("dc") == scrub_dc, "role": m["Tags"].get("role")}
        for m in c.agent.members() if m["Name"] == node
    ])
    record("agent.members(wan=True) lists the agent as node.dc", lambda: [
        {"Port": m["Port"], "Status": m["Status"]} for m in c.agent.members(wan=True) if m["Name"] == node + "." + dc
    ])
    record("status.leader is host:port", lambda: ":" in c.status.leader())
    record("status.peers is a list with the leader", lambda: c.status.leader() in c.status.peers())
    record("catalog.datacenters includes the agent's", lambda: dc in c.catalog.datacenters())

    # ---- service registration ----
    record("agent.service.register with a TTL check", lambda: c.agent.service.register(
        svc, service_id=svc + "-1", address="10.9.0.1", port=8080, tags=["a", "b"], check=consul.Check.ttl("60s")))
    record("agent.services shows it with the agent's defaults", lambda: {
        k: v for k, v in c.agent.services()[svc + "-1"].items()
        if k in ("ID", "Service", "Tags", "Port", "Address", "Weights", "EnableTagOverride", "Meta")
    })
    record("agent.checks: the new check is critical with no output", lambda: {
        k: v for k, v in c.agent.checks()["service:" + svc + "-1"].items()
        if k in ("CheckID", "Name", "Status", "Output", "ServiceID", "ServiceName", "ServiceTags", "Type")
    })
    record("health.service returns the index as text and the entry", lambda: (lambda r: {
        "index_is_digits": r[0].isdigit(),
        "ids": [e["Service"]["ID"] for e in r[1]],
        "node": [e["Node"]["Node"] for e in r[1]],
        "service_address": [e["Service"]["Address"] for e in r[1]],
    })(c.health.service(svc)))
    record("health.service(passing=True) leaves the critical instance out", lambda: c.health.service(svc, passing=True)[1])
    record("agent.check.ttl_pass sends GET: Consul answers 405, the client returns False", lambda: c.agent.check.ttl_pass("service:" + svc + "-1"))
    record("after the GET the check is still critical", lambda: service_check("service:" + svc + "-1")["Status"])
    record("PUT /v1/agent/check/pass with a note", lambda: c.http.put(raw, "/v1/agent/check/pass/service:" + svc + "-1", params={"note": "all good"}))
    record("the check passes with the note as output", lambda: service_check("service:" + svc + "-1"))
    record("health.service(passing=True) now returns it", lambda: [e["Service"]["ID"] for e in c.health.service(svc, passing=True)[1]])
    record("PUT /v1/agent/check/warn", lambda: c.http.put(raw, "/v1/agent/check/warn/service:" + svc + "-1", params={"note": "slow"}))
    record("health.state('warning') includes it", lambda: ["service:" + svc + "-1" in [x["CheckID"] for x in c.health.state("warning")[1]]])
    record("health.state('passing') leaves it out", lambda: ["service:" + svc + "-1" in [x["CheckID"] for x in c.health.state("passing")[1]]])
    record("health.state('any') includes the agent's serfHealth", lambda: any(
        x["CheckID"] == "serfHealth" and x["Node"] == node for x in c.health.state("any")[1]))
    record("health.state('unknown') is an empty list", lambda: c.health.state("unknown")[1])
    record("PUT /v1/agent/check/update with a bad status", lambda: c.http.put(raw, "/v1/agent/check/update/service:" + svc + "-1", data=json.dumps({"Status": "sideways"})))
    record("PUT /v1/agent/check/pass on an unknown check", lambda: c.http.put(raw, "/v1/agent/check/pass/cxb-no-such-check"))

    # ---- catalog reads ----
    c.agent.service.register(svc, service_id=svc + "-2", port=8081, tags=["b", "c"], enable_tag_override=True)
    record("catalog.services unions the tags", lambda: sorted(c.catalog.services()[1][svc]))
    record("catalog.service rows", lambda: sorted(
        [(r["ServiceID"], r["ServicePort"], r["ServiceAddress"], r["Node"]) for r in c.catalog.service(svc)[1]]))
    record("catalog.service(tag='c')", lambda: [r["ServiceID"] for r in c.catalog.service(svc, tag="c")[1]])
    record("enable_tag_override is kept", lambda: c.agent.services()[svc + "-2"]["EnableTagOverride"])
    record("catalog.nodes includes the agent with an address", lambda: [
        n["Address"] != "" for n in c.catalog.nodes()[1] if n["Node"] == node])
    record("catalog.node lists the node's services", lambda: (lambda r: {
        "node": r[1]["Node"]["Node"],
        "ids": sorted(k for k in r[1]["Services"] if k.startswith(svc)),
        "port": r[1]["Services"][svc + "-1"]["Port"],
    })(c.catalog.node(node)))
    record("catalog.node of an unknown node is None", lambda: c.catalog.node("cxb-no-such-node")[1])
    record("health.node lists serfHealth and the service's check", lambda: sorted(
        x["CheckID"] for x in c.health.node(node)[1] if x["CheckID"] == "serfHealth" or x["ServiceName"] == svc))
    record("health.node of an unknown node is an empty list", lambda: c.health.node("cxb-no-such-node")[1])
    record("health.checks lists the service's checks only", lambda: sorted(x["CheckID"] for x in c.health.checks(svc)[1]))
    record("consistency='stale' reads", lambda: svc in consul.Consul(host=host, port=int(port), consistency="stale").catalog.services()[1])
    record("health.service in an unknown datacenter raises", lambda: c.health.service(svc, dc="cxb-no-such-dc"))
    record("catalog.services in an unknown datacenter raises", lambda: c.catalog.services(dc="cxb-no-such-dc"))

    # ---- blocking queries ----
    def blocking_wakes():
        index, _ = c.health.service(svc)
        result = {}

        def park():
            result["index"], result["entries"] = c.health.service(svc, index=index, wait="10s")

        thread = threading.Thread(target=park)
        started = time.time()
        thread.start()
        c.http.put(raw, "/v1/agent/check/fail/service:" + svc + "-1")
        thread.join()
        return {"moved": int(result["index"]) > int(index), "before_wait": time.time() - started < 9,
                "status": [x["Status"] for e in result["entries"] for x in e["Checks"] if x["CheckID"] == "service:" + svc + "-1"]}

    record("a blocking health.service returns on a check change with a higher index", blocking_wakes)
    record("a blocking query with no change returns the same index after wait", lambda: (lambda first: (lambda second: {
        "same": second[0] == first[0]})(c.health.service(svc, index=first[0], wait="1s")))(c.health.service(svc)))

    # ---- maintenance ----
    record("agent.service.maintenance(enable=True)", lambda: c.agent.service.maintenance(svc + "-1", True, "deploy"))
    record("the maintenance check is critical with the reason", lambda: (lambda m: m and {"Status": m["Status"], "Notes": m["Notes"]})(
        service_check("_service_maintenance:" + svc + "-1")))
    record("agent.service.maintenance(enable=False)", lambda: c.agent.service.maintenance(svc + "-1", False))
    record("the maintenance check is gone", lambda: service_check("_service_maintenance:" + svc + "-1"))
    record("agent.service.maintenance of an unknown service", lambda: c.http.put(raw, "/v1/agent/service/maintenance/cxb-no-such-service", params={"enable": "true"}))
    record("agent.maintenance(True) adds _node_maintenance", lambda: [c.agent.maintenance(True, "node work"),
        any(x["CheckID"] == "_node_maintenance" and x["Status"] == "critical" for x in c.health.node(node)[1])])
    record("agent.maintenance(False) removes it", lambda: [c.agent.maintenance(False),
        any(x["CheckID"] == "_node_maintenance" for x in c.health.node(node)[1])])

    # ---- checks the agent runs ----
    record("agent.check.register a node TTL check", lambda: c.agent.check.register(
        "cxb disk " + svc, check=consul.Check.ttl("30s"), check_id=svc + "-disk", notes="root volume"))
    record("agent.checks shows the node check", lambda: {
        k: v for k, v in c.agent.checks()[svc + "-disk"].items() if k in ("Name", "Status", "Notes", "ServiceID", "Type")})
    record("agent.check.register for the service", lambda: c.agent.check.register(
        "cxb ping", check=consul.Check.ttl("30s"), check_id=svc + "-ping", service_id=svc + "-1"))
    record("the service check carries the service's name and tags", lambda: {
        k: v for k, v in c.agent.checks()[svc + "-ping"].items() if k in ("ServiceID", "ServiceName", "ServiceTags")})
    record("agent.check.register for an unknown service returns False", lambda: c.agent.check.register(
        "cxb orphan", check=consul.Check.ttl("30s"), service_id="cxb-no-such-service"))
    record("PUT check register for an unknown service", lambda: c.http.put(raw, "/v1/agent/check/register", data=json.dumps(
        {"Name": "cxb orphan", "TTL": "30s", "ServiceID": "cxb-no-such-service"})))
    record("agent.check.register without a check type raises BadRequest", lambda: c.agent.check.register("cxb bare", check={"notes": "x"}))
    record("agent.check.register with a bad status", lambda: c.http.put(raw, "/v1/agent/check/register", data=json.dumps(
        {"Name": "cxb bad", "TTL": "30s", "Status": "fine"})))
    record("agent.check.register without a name", lambda: c.http.put(raw, "/v1/agent/check/register", data=json.dumps({"TTL": "30s"})))
    record("a TTL check expires critical", lambda: (c.http.put(raw, "/v1/agent/check/register", data=json.dumps(
        {"Name": "cxb short", "ID": svc + "-short", "TTL": "1s", "Status": "passing", "ServiceID": svc + "-1"})),
        wait_check(svc + "-short", ["critical"]))[1])
    record("Check.http against a 200 passes", lambda: (c.agent.check.register(
        "cxb http ok", check=consul.Check.http("http://127.0.0.1:%d/ok" % web_port, "1s"), check_id=svc + "-http-ok",
        service_id=svc + "-1"), wait_check(svc + "-http-ok", ["passing"]))[1])
    record("Check.http against a 503 is critical", lambda: (c.agent.check.register(
        "cxb http down", check=consul.Check.http("http://127.0.0.1:%d/down" % web_port, "1s"), check_id=svc + "-http-down",
        service_id=svc + "-1"), wait_check(svc + "-http-down", ["critical"]))[1])
    record("Check.http against a 429 warns", lambda: (c.agent.check.register(
        "cxb http busy", check=consul.Check.http("http://127.0.0.1:%d/busy" % web_port, "1s", timeout="1s"), check_id=svc + "-http-busy",
        service_id=svc + "-1"), wait_check(svc + "-http-busy", ["warning"]))[1])
    record("Check.tcp against an open port passes", lambda: (c.agent.check.register(
        "cxb tcp open", check=consul.Check.tcp("127.0.0.1", open_port, "1s"), check_id=svc + "-tcp-open",
        service_id=svc + "-1"), wait_check(svc + "-tcp-open", ["passing"]))[1])
    record("Check.tcp against a closed port is critical", lambda: (c.agent.check.register(
        "cxb tcp closed", check=consul.Check.tcp("127.0.0.1", closed_port, "1s"), check_id=svc + "-tcp-closed",
        service_id=svc + "-1"), wait_check(svc + "-tcp-closed", ["critical"]))[1])
    record("a registration with an HTTP check and DeregisterCriticalServiceAfter is accepted", lambda: c.agent.service.register(
        svc, service_id=svc + "-3", port=8083, check=consul.Check.http("http://127.0.0.1:%d/ok" % web_port, "1s", deregister="10m")))
    record("Check.script is not a check type Consul knows", lambda: c.agent.service.register(
        svc, service_id=svc + "-4", port=8084, check=consul.Check.script("/bin/true", "10s")))
    record("agent.check.deregister sends GET: 405, returns False", lambda: c.agent.check.deregister(svc + "-disk"))
    record("the node check is still registered", lambda: svc + "-disk" in c.agent.checks())
    record("PUT /v1/agent/check/deregister", lambda: c.http.put(raw, "/v1/agent/check/deregister/" + svc + "-disk"))
    record("PUT /v1/agent/check/deregister of an unknown check", lambda: c.http.put(raw, "/v1/agent/check/deregister/" + svc + "-disk"))

    # ---- catalog writes ----
    far = svc + "-far"
    record("catalog.register a node with a service and a check", lambda: c.catalog.register(
        far, "10.9.9.9", service={"Service": svc, "ID": svc + "-far-1", "Port": 9000, "Tags": ["far"]},
        check={"Node": far, "CheckID": "service:" + svc + "-far-1", "Name": "far check", "Status": "passing", "ServiceID": svc + "-far-1"}))
    record("health.service shows the catalog-registered instance passing", lambda: [
        (e["Node"]["Address"], [x["Status"] for x in e["Checks"]]) for e in c.health.service(svc, passing=True)[1] if e["Node"]["Node"] == far])
    record("catalog.deregister the service", lambda: c.catalog.deregister(far, service_id=svc + "-far-1"))
    record("catalog.node after the service is gone", lambda: (lambda r: r[1] and sorted(r[1]["Services"]))(c.catalog.node(far)))
    record("catalog.deregister the node", lambda: c.catalog.deregister(far))
    record("catalog.deregister an unknown node", lambda: c.catalog.deregister(svc + "-never"))
    record("catalog.register without an address raises", lambda: c.http.put(raw, "/v1/catalog/register", data=json.dumps({"Node": far})))

    # ---- deregistration ----
    record("agent.service.deregister sends GET: 405, returns False", lambda: c.agent.service.deregister(svc + "-2"))
    record("the service is still registered", lambda: svc + "-2" in c.agent.services())
    record("PUT /v1/agent/service/deregister", lambda: c.http.put(raw, "/v1/agent/service/deregister/" + svc + "-2"))
    record("PUT /v1/agent/service/deregister of an unknown ID", lambda: c.http.put(raw, "/v1/agent/service/deregister/" + svc + "-2"))
    record("agent.join sends GET: 405, returns False", lambda: c.agent.join("127.0.0.1"))
    record("agent.force_leave sends GET: 405, returns False", lambda: c.agent.force_leave("cxb-no-such-node"))
    for sid in (svc + "-1", svc + "-3", svc + "-4"):
        c.http.put(raw, "/v1/agent/service/deregister/" + sid)
    record("the service is gone from catalog.services", lambda: svc in c.catalog.services()[1])

    # ---- the rest of the API ----
    record("kv.put", lambda: c.kv.put(svc + "/key", "value"))
    record("kv.get", lambda: (lambda r: r[1] and r[1]["Value"].decode())(c.kv.get(svc + "/key")))
    record("kv.delete", lambda: c.kv.delete(svc + "/key"))
    record("session.list", lambda: isinstance(c.session.list()[1], list))
    record("event.fire", lambda: isinstance(c.event.fire(svc + "-event"), dict))
    record("coordinate.nodes", lambda: isinstance(c.coordinate.nodes(), list))
    record("query.list", lambda: isinstance(c.query.list(), list))
    listener.close()
    web.shutdown()


if __name__ == "__main__":
    sys.exit(main())
