"""gRPC backends for the C-core end-to-end suites, served by C-core's own server (python3-grpcio).

Usage: /usr/bin/python3 echo_backends.py NAME [NAME...]

Starts one server per NAME on 127.0.0.1 (a free port each). Each answers
/consulxdsbridge.test.Echo/WhoAmI with its name (raw bytes, no generated stubs) and
/grpc.health.v1.Health/Check with SERVING or NOT_SERVING. Stdout, one JSON line each:
  {"name": "a", "port": 40123}            once per server, when it listens
  {"ready": true}                         after the last one
  {"call": "a"}                           for every WhoAmI served
Stdin, one JSON line each: {"op": "health", "name": "a", "serving": false} sets a's health answer;
end of input stops every server and exits 0.
"""

import json
import sys
import threading
from concurrent import futures

import grpc

# grpc.health.v1.HealthCheckResponse{status: SERVING (1) | NOT_SERVING (2)}, encoded by hand.
SERVING = b"\x08\x01"
NOT_SERVING = b"\x08\x02"

lock = threading.Lock()


def emit(value):
    with lock:
        print(json.dumps(value), flush=True)


def start(name, health):
    def who_am_i(_request, _context):
        emit({"call": name})
        return name.encode("utf-8")

    def check(_request, _context):
        return SERVING if health[name] else NOT_SERVING

    echo = grpc.method_handlers_generic_handler(
        "consulxdsbridge.test.Echo", {"WhoAmI": grpc.unary_unary_rpc_method_handler(who_am_i)}
    )
    probe = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((echo, probe))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    emit({"name": name, "port": port})
    return server


def main():
    names = sys.argv[1:]
    if not names:
        sys.exit("usage: echo_backends.py NAME [NAME...]")
    health = {name: True for name in names}
    servers = [start(name, health) for name in names]
    emit({"ready": True})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        command = json.loads(line)
        if command.get("op") == "health" and command.get("name") in health:
            health[command["name"]] = bool(command.get("serving"))
            emit({"health": command["name"], "serving": health[command["name"]]})
    for server in servers:
        server.stop(0).wait()


if __name__ == "__main__":
    main()
