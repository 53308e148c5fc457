// The live socket client (docs/protocol.md): one reconnecting JSON socket, and on top of it the
// negotiation protocol: the snapshot, events applied in sequence order, resume on a gap, actions
// queued with a client_msg_id until acknowledged and resent after a reconnect (one effect each).
// The student room and the instructor monitor use it; a bot written elsewhere should do the same.
(function (global) {
  "use strict";

  // The page's language: Django's JavaScript catalogue (base.html) defines gettext; without it, English.
  const gettext = (text) => (typeof global.gettext === "function" ? global.gettext(text) : text);
  const FINAL_CLOSES = {
    4401: gettext("You are not signed in here any more. Open your personal link again to come back."),
    4404: gettext("This negotiation is not yours, or it no longer exists."),
    4430: gettext("This page is open in too many tabs or windows. Close the others, then reload this one."),
  };
  const FIRST_DELAY = 500; // ms before the first reconnect attempt; doubles each time
  const MAX_DELAY = 10000;
  const TYPING_EVERY = 2000; // at most one typing frame per 2 s
  const PING_EVERY = 20000; // a negotiation's ping keeps the clock right and finds a lost announcement
  const TICK = 1000; // how often the socket looks at its heartbeat (docs/protocol.md, "Heartbeat")
  const RATE_RETRY = 1000; // ms (to twice that) before resending an action refused as too fast
  const SERVER_RETRY = 1000; // ms (to twice that), doubling, before resending an action the server failed on
  const SERVER_RETRIES = 3; // then the action is given back to the page (onError)
  const HISTORY_PAGE = 50; // events asked for per page of history

  function uuid() {
    const c = global.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    // randomUUID exists only on https and localhost; a classroom may serve plain http on a LAN address.
    const bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function socketUrl(path) {
    if (/^wss?:\/\//.test(path)) return path;
    const scheme = global.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + global.location.host + path;
  }

  // A JSON socket that reconnects by itself (0.5 s doubling to 10 s) and reports its status:
  // connecting, online, reconnecting, offline. Close codes 4401/4404/4430 are final
  // (docs/protocol.md); any other close is followed by a reconnect.
  class ReconnectingSocket {
    constructor(path, handlers = {}) {
      this.url = socketUrl(path);
      this.handlers = handlers;
      this.ws = null;
      this.status = "idle";
      this.ready = false; // the first frame of this connection has arrived
      this.everOnline = false;
      this.attempt = 0;
      this.stopped = false;
      this.held = false; // dropForTest: stay down until reconnectForTest
      this.timer = null;
      this.pinger = null;
      this.lastHeard = 0;
      this.beat = null; // the snapshot's heartbeat: {every, idle} in seconds
      this.beatSentAt = 0;
      this.clockOffset = 0; // server clock minus ours, in ms
      this.pingSentAt = 0;
      global.addEventListener("online", () => this.reconnectNow());
      // The browser knows the network is gone: no need to wait for the heartbeat to say so.
      global.addEventListener("offline", () => {
        if (this.ws && !this.stopped && !this.held) this._closed(1006);
      });
      global.document.addEventListener("visibilitychange", () => {
        if (global.document.visibilityState === "visible") this.reconnectNow();
      });
    }

    start() {
      this.stopped = false;
      this._open();
      return this;
    }

    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      this._abandon();
    }

    // The server's clock now, in ms since the epoch (for deadlines).
    serverNow() {
      return Date.now() + this.clockOffset;
    }

    send(frame) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(frame));
      return true;
    }

    // Reconnect at once if we are waiting to (the network came back, the tab became visible).
    reconnectNow() {
      if (this.stopped || this.held || this.ws || this.status === "offline") return;
      clearTimeout(this.timer);
      this._open();
    }

    // Tests: lose the connection as a network failure would, and stay down until reconnectForTest().
    dropForTest() {
      this.held = true;
      clearTimeout(this.timer);
      this._abandon();
      this._setStatus("reconnecting", { held: true });
    }

    reconnectForTest() {
      this.held = false;
      this.attempt = 0;
      this.reconnectNow();
    }

    _setStatus(status, detail = {}) {
      this.status = status;
      if (this.handlers.onStatus) this.handlers.onStatus(status, detail);
    }

    _open() {
      this._setStatus(this.everOnline ? "reconnecting" : "connecting", { attempt: this.attempt });
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (error) {
        this._closed(1006);
        return;
      }
      this.ws = ws;
      this.ready = false;
      ws.onmessage = (message) => {
        if (ws !== this.ws) return;
        let frame;
        try {
          frame = JSON.parse(message.data);
        } catch (error) {
          return; // the server sends JSON only; ignore anything else
        }
        this.lastHeard = Date.now();
        if (frame.type === "snapshot" && frame.heartbeat) this.beat = frame.heartbeat;
        if (frame.server_time) this._setClock(frame.server_time);
        const first = !this.ready;
        this.ready = true;
        this._frame(frame, first);
      };
      ws.onclose = (event) => {
        if (ws === this.ws) this._closed(event.code);
      };
      ws.onerror = () => {}; // onclose follows with the code
    }

    _frame(frame, first) {
      if (first) this._online();
      if (this.handlers.onFrame) this.handlers.onFrame(frame);
    }

    _online() {
      const again = this.everOnline;
      this.everOnline = true;
      this.attempt = 0;
      this._setStatus("online", { reconnected: again });
      clearInterval(this.pinger);
      this.lastHeard = Date.now();
      this.pinger = setInterval(() => this._tick(), TICK);
    }

    // Once a second: a heartbeat every `beat.every` seconds (the server closes a socket it has not
    // heard from for `beat.idle`), and a connection silent for two heartbeats and a second is taken
    // for dead, even when the browser has not noticed: reconnect (docs/protocol.md, "Heartbeat").
    // A socket without a heartbeat (the monitor) asks nothing, so silence there says nothing.
    _tick() {
      if (!this.ready) return;
      const now = Date.now();
      if (this.beat) {
        if (now - this.lastHeard > this.beat.every * 2000 + 1000) {
          this._closed(1006);
          return;
        }
        if (now - this.beatSentAt >= this.beat.every * 1000) {
          this.beatSentAt = now;
          this.send({ type: "heartbeat" });
        }
      }
      this._heartbeat(now);
    }

    _heartbeat() {}

    _setClock(serverTime) {
      const server = Date.parse(serverTime);
      if (Number.isNaN(server)) return;
      const now = Date.now();
      // A pong answers our ping: the server read its clock about half a round trip ago.
      const lag = this.pingSentAt ? (now - this.pingSentAt) / 2 : 0;
      this.pingSentAt = 0;
      this.clockOffset = server + lag - now;
    }

    // Forget the current connection at once (no waiting for a closing handshake on a dead network).
    _abandon() {
      const ws = this.ws;
      this.ws = null;
      this.ready = false;
      clearInterval(this.pinger);
      if (ws) {
        ws.onmessage = ws.onclose = ws.onerror = null;
        try {
          ws.close();
        } catch (error) {
          // already closed
        }
      }
    }

    _closed(code) {
      this._abandon();
      if (this.stopped) return;
      if (FINAL_CLOSES[code]) {
        this._setStatus("offline", { code, message: FINAL_CLOSES[code], final: true });
        if (this.handlers.onClosed) this.handlers.onClosed(code, FINAL_CLOSES[code]);
        return;
      }
      if (this.held) {
        this._setStatus("reconnecting", { held: true });
        return;
      }
      const delay = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** this.attempt) * (1 + Math.random() * 0.2);
      this.attempt += 1;
      this._setStatus("reconnecting", { code, delay });
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        if (!this.ws && !this.held && !this.stopped) this._open();
      }, delay);
    }
  }

  // One participant's negotiation socket. Handlers:
  //   onSnapshot(snapshot, {reconnected, fresh})  every snapshot; on a reconnect, after the missed
  //                                         events it carries; `fresh` when it does not reach back to
  //                                         what we had (a long absence): start again from it
  //   onEvent(event)                        each stored event, once, in sequence order
  //   onHistory(frame)                      a page of earlier events, asked for with history()
  //   onAck(frame) / onError(frame)         the answer to one of our actions (frame.client_msg_id)
  //   onFrame(frame)                        presence, typing, broadcast, pong; a rate_limited error,
  //                                         or a server_error of an action being resent (an action so
  //                                         answered stays pending and is sent again)
  //   onStatus(status, detail), onClosed(code, message)
  class LiveSocket extends ReconnectingSocket {
    constructor(path, handlers = {}) {
      super(path, handlers);
      this.lastSeq = null; // null until the first snapshot
      this.pending = new Map(); // client_msg_id -> frame, in the order they were made
      this.retries = new Map(); // client_msg_id -> times resent after a server_error
      this.resuming = false;
      this.resumeAskedAt = 0;
      this.lastTyping = 0;
      this.lastPing = Date.now();
    }

    // Queue an action (chat, offer, accept, reject, withdraw, walk_away); returns its client_msg_id. An
    // action sent before a reload, never acknowledged, is queued again with its own `id`: one effect.
    act(type, fields = {}, id = uuid()) {
      const frame = { type, client_msg_id: id, ...fields };
      this.pending.set(id, frame);
      if (this.ready) this.send(frame);
      return id;
    }

    // Ask for the events before `beforeSeq` (docs/protocol.md, "History in pages"); onHistory gets them.
    history(beforeSeq, limit = HISTORY_PAGE) {
      if (!this.ready) return false;
      return this.send({ type: "history", before_seq: beforeSeq, limit });
    }

    typing() {
      const now = Date.now();
      if (!this.ready || now - this.lastTyping < TYPING_EVERY) return;
      this.lastTyping = now;
      this.send({ type: "typing" });
    }

    _heartbeat(now) {
      if (now - this.lastPing < PING_EVERY) return;
      this.lastPing = this.pingSentAt = now;
      this.send({ type: "ping" });
    }

    _frame(frame, first) {
      const h = this.handlers;
      switch (frame.type) {
        case "snapshot":
          this._snapshot(frame);
          break;
        case "event":
          this._receive(frame.event);
          break;
        case "pong":
          // An announcement lost on the way (a Redis restart) shows here at the latest: catch up.
          if (this.lastSeq !== null && frame.last_seq > this.lastSeq) this._resume();
          if (h.onFrame) h.onFrame(frame);
          break;
        case "events":
          this.resuming = false;
          for (const event of frame.events.slice().sort((a, b) => a.seq - b.seq)) this._receive(event);
          if (frame.more) this._resume(); // a page of what we missed: ask for the next
          break;
        case "history":
          if (h.onHistory) h.onHistory(frame);
          break;
        case "ack":
          this.pending.delete(frame.client_msg_id);
          this.retries.delete(frame.client_msg_id);
          this._receive(frame.event);
          if (h.onAck) h.onAck(frame);
          break;
        case "error":
          if (frame.code === "rate_limited") {
            // Refused for speed, nothing stored: send an action again in a moment with its own id (one
            // effect); a typing, ping or resume frame is simply dropped (the next one will do).
            if (frame.client_msg_id && this.pending.has(frame.client_msg_id)) this._resendLater(frame.client_msg_id);
            if (h.onFrame) h.onFrame(frame);
            break;
          }
          if (frame.code === "server_error" && this._retry(frame.client_msg_id)) {
            if (h.onFrame) h.onFrame(frame);
            break;
          }
          if (frame.client_msg_id) this.pending.delete(frame.client_msg_id);
          this.retries.delete(frame.client_msg_id);
          if (h.onError) h.onError(frame);
          break;
        default:
          if (h.onFrame) h.onFrame(frame);
      }
      if (first && frame.type !== "snapshot") this._online(); // not expected: the snapshot comes first
    }

    _snapshot(snapshot) {
      const reconnected = this.lastSeq !== null;
      this.resuming = false;
      // The snapshot holds the latest events only: if they do not reach back to what we have, we
      // missed more than it says, and start again from it (its state is the server's word).
      const first = snapshot.events.length ? snapshot.events[0].seq : snapshot.last_seq + 1;
      const fresh = reconnected && first > this.lastSeq + 1;
      if (!reconnected || fresh) {
        this.lastSeq = snapshot.last_seq;
      } else {
        for (const event of snapshot.events) if (event.seq > this.lastSeq) this._receive(event);
      }
      if (this.handlers.onSnapshot) this.handlers.onSnapshot(snapshot, { reconnected, fresh });
      this._online();
      // Resend every action never acknowledged, with its own id: the server gives it one effect.
      for (const frame of this.pending.values()) this.send(frame);
    }

    _receive(event) {
      if (!event || this.lastSeq === null || event.seq <= this.lastSeq) return; // seen already
      if (event.seq > this.lastSeq + 1) {
        this._resume(); // a gap: something was lost on the way
        return;
      }
      this.lastSeq = event.seq;
      if (this.handlers.onEvent) this.handlers.onEvent(event);
    }

    _resendLater(id, delay = RATE_RETRY) {
      setTimeout(() => {
        const frame = this.pending.get(id);
        if (frame && this.ready) this.send(frame); // else a reconnect's snapshot resends it
      }, delay + Math.random() * delay);
    }

    // The server failed on a pending action (a lost database connection, say) and stored nothing, or
    // stored it once: send it again a few times, backing off; false when it is time to give up.
    _retry(id) {
      const done = this.retries.get(id) || 0;
      if (!id || !this.pending.has(id) || done >= SERVER_RETRIES) return false;
      this.retries.set(id, done + 1);
      this._resendLater(id, SERVER_RETRY * 2 ** done);
      return true;
    }

    // Ask for what came after what we have, a page at a time (once per 5 s while an answer is awaited).
    _resume() {
      if (!this.resuming || Date.now() - this.resumeAskedAt > 5000) {
        this.resuming = true;
        this.resumeAskedAt = Date.now();
        this.send({ type: "resume", last_seq: this.lastSeq });
      }
    }
  }

  // A signed-in student's notices (ws/student/, docs/protocol.md "The student's notices"): the
  // snapshot lists their exercises, then a frame says that one changed (`exercise`) or that its debrief
  // is ready (`debrief`). Handlers: onSnapshot(snapshot, {reconnected}), onNotice(frame), onStatus.
  class NoticeSocket extends ReconnectingSocket {
    _frame(frame, first) {
      const h = this.handlers;
      if (frame.type === "snapshot") {
        const reconnected = this.everOnline;
        this._online();
        if (h.onSnapshot) h.onSnapshot(frame, { reconnected });
      } else if (frame.type === "exercise" || frame.type === "pair" || frame.type === "debrief") {
        if (h.onNotice) h.onNotice(frame);
      }
      if (first && frame.type !== "snapshot") this._online();
    }
  }

  // el("p", {class: "x"}, "text", child): text children become text nodes, never markup.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  global.ParleyLive = { ReconnectingSocket, LiveSocket, NoticeSocket, uuid, socketUrl, FINAL_CLOSES, el };
})(window);
