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

// A negotiation socket, online after its snapshot, that records what reaches onError and onFrame.
function negotiationSocket() {
  const seen = { errors: [], frames: [] };
  const live = load();
  const socket = new live.LiveSocket("/ws/negotiations/1/", {
    onError: (frame) => seen.errors.push(frame),
    onFrame: (frame) => seen.frames.push(frame),
  }).start();
  const ws = FakeSocket.last;
  ws.receive({ type: "snapshot", server_time: new Date().toISOString(), last_seq: 1, events: [] });
  const chats = () => ws.sent.filter((frame) => frame.type === "chat");
  const failed = (id) => ws.receive({ type: "error", code: "server_error", client_msg_id: id, message: "the server could not handle that frame; send it again in a moment" });
  return { socket, ws, seen, chats, failed };
}

test("an action the server failed on (server_error with its id) stays pending and goes out again with the same id", () => {
  mock.timers.enable({ apis: ["setInterval", "setTimeout", "Date"] });
  try {
    const { socket, ws, seen, chats, failed } = negotiationSocket();
    const id = socket.act("chat", { text: "Still there?" });
    failed(id);
    assert.deepEqual(seen.errors, []); // not a failure the student must act on: it is being sent again
    assert.equal(seen.frames.at(-1).code, "server_error");
    assert.ok(socket.pending.has(id));
    advance(750);
    assert.equal(chats().length, 1); // after a back-off, not at once
    advance(1500);
    assert.deepEqual(chats(), [{ type: "chat", client_msg_id: id, text: "Still there?" }, { type: "chat", client_msg_id: id, text: "Still there?" }]);
    ws.receive({ type: "ack", client_msg_id: id, duplicate: false, event: { seq: 2, type: "chat", role: "seller", payload: { text: "Still there?" } } });
    assert.equal(socket.pending.size, 0);
  } finally {
    mock.timers.reset();
  }
});

test("an action the server fails on three times more is given back to the page as an error, and not sent again", () => {
  mock.timers.enable({ apis: ["setInterval", "setTimeout", "Date"] });
  try {
    const { socket, seen, chats, failed } = negotiationSocket();
    const id = socket.act("chat", { text: "Anyone?" });
    for (let retry = 1; retry <= 3; retry++) {
      failed(id);
      advance(8000); // the back-off doubles: 1 s, 2 s, 4 s (to twice that)
      assert.equal(chats().length, 1 + retry);
      assert.deepEqual(seen.errors, []);
    }
    failed(id);
    assert.equal(seen.errors.length, 1);
    assert.equal(seen.errors[0].client_msg_id, id);
    assert.equal(socket.pending.size, 0);
    advance(20000);
    assert.equal(chats().length, 4);
  } finally {
    mock.timers.reset();
  }
});
