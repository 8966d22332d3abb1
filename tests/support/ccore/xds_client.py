"""A gRPC C-core xDS client driven over stdin/stdout, for the C-core end-to-end suites.

Run with Debian's /usr/bin/python3 (python3-grpcio). GRPC_XDS_BOOTSTRAP names the bootstrap file.
Each stdin line is a JSON command; each answer is one JSON line on stdout. Commands:

  {"op": "call", "target": "xds:///greeter", "count": 10, "timeoutMs": 2000,
   "path": "/consulxdsbridge.test.Echo/WhoAmI", "waitForReady": false, "metadata": [["k", "v"]]}
      -> {"outcomes": [{"ok": true, "backend": "a", "ms": 1.2} |
                       {"ok": false, "code": "UNAVAILABLE", "details": "...", "ms": 0.3}, ...]}
  {"op": "close"} (or end of input) -> the process exits 0.

Calls are unary with raw bytes (no generated stubs): the request is empty, the reply is the backend's
name. One channel per target, created on first use and kept, so a target's xDS watches persist
across commands. C-core's trace (GRPC_TRACE, GRPC_VERBOSITY) goes to stderr.
"""

import json
import sys
import time

import grpc

DEFAULT_PATH = "/consulxdsbridge.test.Echo/WhoAmI"


def main():
    channels = {}
    print(json.dumps({"ready": True, "grpc": grpc.__version__}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            command = json.loads(line)
        except ValueError as error:
            print(json.dumps({"error": "bad command: %s" % error}), flush=True)
            continue
        op = command.get("op")
        if op == "close":
            break
        if op != "call":
            print(json.dumps({"error": "unknown op %r" % op}), flush=True)
            continue
        target = command.get("target", "xds:///greeter")
        channel = channels.get(target)
        if channel is None:
            channel = channels[target] = grpc.insecure_channel(target)
        method = channel.unary_unary(command.get("path", DEFAULT_PATH), request_serializer=None, response_deserializer=None)
        timeout = command.get("timeoutMs", 2000) / 1000.0
        metadata = [tuple(pair) for pair in command.get("metadata", [])] or None
        outcomes = []
        for _ in range(int(command.get("count", 1))):
            started = time.monotonic()
            try:
                reply = method(b"", timeout=timeout, metadata=metadata, wait_for_ready=bool(command.get("waitForReady", False)))
                outcomes.append({"ok": True, "backend": reply.decode("utf-8"), "ms": (time.monotonic() - started) * 1000})
            except grpc.RpcError as error:
                outcomes.append(
                    {
                        "ok": False,
                        "code": error.code().name,
                        "details": error.details() or "",
                        "ms": (time.monotonic() - started) * 1000,
                    }
                )
        print(json.dumps({"outcomes": outcomes}), flush=True)
    for channel in channels.values():
        channel.close()


if __name__ == "__main__":
    main()
