// The live socket's client side of the heartbeat (static/js/live.js, docs/protocol.md "Heartbeat"), with
// a stand-in WebSocket and the test runner's clock. Run: node --test tests/js/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mock, test } from "node:test";
import vm from "node:vm";

const SOURCE = readFileSync(new URL("../../static/js/live.js", import.meta.url), "utf8");

class FakeSocket {
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.OPEN;
    this.sent = [];
    FakeSocket.last = this;
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  receive(frame) {
    this.onmessage({ data: JSON.stringify(frame) });
  }
}

function load() {
  const on = () => {};
  const window = {
    location: { protocol: "http:", host: "class.example" },
    addEventListener: on,
    document: { addEventListener: on, visibilityState: "visible" },
    crypto: globalThis.crypto,
  };
  vm.runInNewContext(SOURCE, { window, WebSocket: FakeSocket, Date, Math, JSON, Map, Set, setTimeout, setInterval, clearTimeout, clearInterval, Uint8Array });
  return window.ParleyLive;
}

// Node 20's mock clock runs the timers of one tick() at its end time: advance a step at a time.
function advance(ms, step = 250) {
  for (let done = 0; done < ms; done += step) mock.timers.tick(step);
}

function opened(kind, snapshot) {
  const statuses = [];
  const live = load();
  const socket = new live[kind]("/ws/x/", { onStatus: (status) => statuses.push(status) }).start();
  FakeSocket.last.receive(snapshot);
  return { socket, statuses, ws: FakeSocket.last };
}

test("a socket without a heartbeat (the monitor) is not taken for dead while the server has nothing to say", () => {
  mock.timers.enable({ apis: ["setInterval", "setTimeout", "Date"] });
  try {
    const { socket, statuses } = opened("ReconnectingSocket", { type: "snapshot", server_time: new Date().toISOString(), pairs: [] });
    advance(10 * 60 * 1000); // ten quiet minutes: the students read their role sheets
    assert.equal(socket.status, "online");
    assert.deepEqual(statuses, ["connecting", "online"]);
  } finally {
    mock.timers.reset();
  }
});

test("a socket with a heartbeat sends one every `every` seconds and reconnects after two and a second of silence", () => {
  mock.timers.enable({ apis: ["setInterval", "setTimeout", "Date"] });
  try {
    const snapshot = { type: "snapshot", server_time: new Date().toISOString(), exercises: [], heartbeat: { every: 3, idle: 8 } };
    const { socket, ws } = opened("NoticeSocket", snapshot);
    advance(6500);
    assert.deepEqual(ws.sent, [{ type: "heartbeat" }, { type: "heartbeat" }]);
    assert.equal(socket.status, "online");
    advance(1500); // 8 s without a frame, checked once a second: past 7 s
    assert.equal(socket.status, "reconnecting");
  } finally {
    mock.timers.reset();
  }
});
