// ConnectionAge on a virtual clock: when connections get their GOAWAY and when they are cut.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Socket } from "node:net";
import { describe, it, mock } from "node:test";
import { ConnectionAge } from "../src/xds/connection-age.js";

/** The part of an HTTP/2 session ConnectionAge uses, recording what it was asked to do. */
function fakeSession() {
  const events: string[] = [];
  const session = Object.assign(new EventEmitter(), {
    closed: false,
    destroyed: false,
    close() {
      events.push("goaway");
      session.closed = true;
    },
    destroy() {
      events.push("destroy");
      session.destroyed = true;
      session.emit("close");
    },
  });
  return { session: session as unknown as http2.Http2Session, events };
}

function fakeSocket() {
  const events: string[] = [];
  const socket = Object.assign(new EventEmitter(), {
    end: () => events.push("end"),
    destroy: () => events.push("destroy"),
  });
  return { socket: socket as unknown as Socket, events };
}

describe("ConnectionAge", () => {
  it("should send the GOAWAY within ±10 % of the age, and cut the connection after the grace", (t) => {
    mock.timers.enable({ apis: ["setTimeout"] });
    t.after(() => mock.timers.reset());
    for (const [random, at] of [
      [0, 9_000],
      [0.5, 10_000],
      [0.999_999, 11_000],
    ] as const) {
      const age = new ConnectionAge({ maxAgeMs: 10_000, graceMs: 3_000, random: () => random });
      const { session, events } = fakeSession();
      age.session(session);
      mock.timers.tick(at - 1);
      assert.deepEqual(events, [], `nothing before ${at} ms (random ${random})`);
      mock.timers.tick(1);
      assert.deepEqual(events, ["goaway"]);
      mock.timers.tick(2_999);
      assert.deepEqual(events, ["goaway"], "streams run on during the grace");
      mock.timers.tick(1);
      assert.deepEqual(events, ["goaway", "destroy"]);
    }
  });

  it("should forget a session that closed on its own", (t) => {
    mock.timers.enable({ apis: ["setTimeout"] });
    t.after(() => mock.timers.reset());
    const age = new ConnectionAge({ maxAgeMs: 1_000, graceMs: 1_000, random: () => 0.5 });
    const { session, events } = fakeSession();
    age.session(session);
    session.emit("close");
    mock.timers.tick(5_000);
    assert.deepEqual(events, []);
  });

  it("should close an idle HTTP/1.1 connection at its age, and a busy one after its response", (t) => {
    mock.timers.enable({ apis: ["setTimeout"] });
    t.after(() => mock.timers.reset());
    const age = new ConnectionAge({ maxAgeMs: 1_000, graceMs: 10_000, random: () => 0.5 });
    const idle = fakeSocket();
    age.socket(idle.socket);
    mock.timers.tick(1_000);
    assert.deepEqual(idle.events, ["end"]);

    const busy = fakeSocket();
    age.socket(busy.socket);
    const response = Object.assign(new EventEmitter(), {
      headers: {} as Record<string, string>,
      setHeader(name: string, value: string) {
        this.headers[name] = value;
      },
    });
    age.request({ socket: busy.socket } as http.IncomingMessage, response as unknown as http.ServerResponse);
    mock.timers.tick(1_000);
    assert.deepEqual(busy.events, [], "a request is in progress");
    response.emit("close");
    assert.deepEqual(busy.events, ["end"], "closed once its response is done");
    const later = Object.assign(new EventEmitter(), {
      headers: {} as Record<string, string>,
      setHeader(name: string, value: string) {
        this.headers[name] = value;
      },
    });
    age.request({ socket: busy.socket } as http.IncomingMessage, later as unknown as http.ServerResponse);
    assert.equal(later.headers.connection, "close", "a request that still arrives is answered with Connection: close");
  });
});
