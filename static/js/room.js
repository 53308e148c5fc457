// The student's negotiation room, wired together: the socket (live.js), the state taken from its
// snapshot and read from each later event (room/state.js), the timeline (the latest events, and
// earlier ones a page at a time on request), the table and the outcome, the offer builder, chat and
// walking away. Every text from the server or the other side goes in with textContent, never as HTML.
import { formatNumber, pageLang } from "./format.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { createConfirm } from "./room/confirm.js";
import { createOfferBuilder } from "./room/offer_builder.js";
import { ENDINGS, SETTLED, applyEvent, emptyState, stateFromSnapshot } from "./room/state.js";
import { createTable } from "./room/table.js";
import { createTimeline } from "./room/timeline.js";
import { createView, pts, sentence, show } from "./room/view.js";

const packageTitle = (i) => interpolate(gettext("Package %(number)s"), { number: i + 1 });

// A refusal of the socket (docs/protocol.md, "Errors") in the page's language, by its code; the server's
// own words, which may say more (the numbers of a limit), on an English page or for a code not listed.
const REFUSALS = {
  not_a_negotiator: () => gettext("Observers watch; only the negotiators act."),
  not_started: () => gettext("The round has not started yet; read your role and plan."),
  ended: () => gettext("The negotiation has ended."),
  paused: () => gettext("The instructor has paused the round; wait until it resumes."),
  below_agreement: () => gettext("That package is worth less than your current agreement: it cannot replace it."),
  keep_instead: () => gettext("In the post-settlement round nobody walks away: keep the agreement instead."),
  not_settling: () => gettext("There is no post-settlement round open for this pair: nothing to keep."),
  own_offer: () => gettext("You cannot accept or reject your own offer."),
  not_standing: () => gettext("That offer is no longer on the table."),
  no_such_package: () => gettext("That offer has fewer packages."),
  negotiation_full: () => gettext("This negotiation has stored all it may: answer the offer on the table, or walk away."),
  too_long: () => gettext("The text is too long."),
  bad_package: () => gettext("A package must name one valid option for every issue."),
  seat_changed: () => gettext("This seat has been given to someone else; reconnecting to show where you stand."),
  rate_limited: () => gettext("Sent too fast: sending again in a moment."),
  server_error: () => gettext("The server failed on this; try again in a moment."),
};
function refusal(frame) {
  const translated = pageLang() !== "en" && REFUSALS[frame.code];
  return translated ? translated() : frame.message;
}

const root = document.getElementById("room");
if (root && window.ParleyLive) start(root, window.ParleyLive);

function start(root, { el, LiveSocket }) {
  const $ = (id) => document.getElementById(id);
  // The tab's drafts are kept per seat: a tab may open the other side of the same pair (a shared
  // classroom computer), or an instructor take a seat.
  const seatKey = root.dataset.seat ? `${root.dataset.negotiation}.${root.dataset.seat}` : null; // none: nothing kept

  // The state, from the snapshot and then event by event: the negotiation's own (room/state.js), and
  // who I am, the roles, the seats and the issues with my points, from the first snapshot. `earlier`:
  // events before the first of S.events exist, to be asked for.
  const S = {
    ...emptyState(),
    earlier: false,
    started: false,
    me: null,
    roles: [],
    seats: [],
    issues: [],
    partnerOnline: false,
    connection: "connecting",
    live: false,
    surveyFirst: root.dataset.survey || null, // the survey's URL while it stands before the results
  };
  const view = createView(S, el);
  const { canAct, partnerRole, seatOf, roleName } = view;
  const timelineNode = $("timeline");
  timelineNode.dataset.connecting = ""; // an empty timeline says so until the first snapshot (parley.css)
  const timeline = createTimeline(S, view, el, timelineNode, loadEarlier);
  const { outbox } = timeline;

  const act = (type, fields, button) => busy(button, send(type, fields, "table", unbusy(button)));
  const confirm = createConfirm({ dialog: $("confirm-dialog"), el });
  const board = createTable({ S, view, el, $, act, accept: confirmAccept });
  const builder = createOfferBuilder({
    S,
    view,
    el,
    form: $("offer-form"),
    holder: $("packages"),
    addButton: $("add-package"),
    sendButton: $("send-offer"),
    errorNode: $("offer-error"),
    send: confirmOffer,
    draftKey: seatKey && `parley.offer-draft.${seatKey}`,
  });

  // ---- Binding steps, confirmed with my points beside my BATNA ----------------------------------

  const pointsBeside = (points) =>
    el(
      "dl",
      { class: "figures batna-beside" },
      el("dt", { text: view.pointsLabel() }),
      el("dd", {}, el("strong", { text: pts(points) })),
      el("dt", { text: gettext("Your BATNA (no agreement)") }),
      el("dd", { text: pts(S.me.batna) }),
    );

  // Accepting ends the negotiation with an agreement: the package, my points and my BATNA first.
  // The dialog is about one offer: if that offer leaves the table while it is open (replaced,
  // withdrawn), it closes with nothing sent and says why (see render).
  let accepting = null;
  async function confirmAccept(offer, index, button) {
    const pkg = offer.packages[index];
    const points = view.points(pkg);
    accepting = offer.seq;
    const ok = await confirm.ask({
      heading: interpolate(gettext("Accept package %(number)s of %(offer)s?"), { number: index + 1, offer: view.offerOf(partnerRole(), offer.seq) }),
      content: [
        el("p", {
          text:
            S.status === "settling"
              ? gettext("Accepting replaces your agreement with this package, for both of you.")
              : gettext("Accepting is binding: the negotiation ends for both of you with this agreement."),
        }),
        view.termsList(pkg),
        pointsBeside(points),
      ],
      warning: view.belowFloor(points),
      confirm: interpolate(gettext("Yes, accept package %(number)s"), { number: index + 1 }),
    });
    accepting = null;
    if (ok) act("accept", { offer_seq: offer.seq, package: index }, button);
  }

  // An offer the partner may accept: a package below my BATNA is confirmed first, with the warning. In a
  // post-settlement round the floor is my agreement, which the server enforces and the builder's warning
  // says: nothing to confirm.
  async function confirmOffer(packages, button) {
    const below = S.status === "settling" ? [] : packages.map((pkg, i) => [i, view.belowFloor(view.points(pkg))]).filter(([, w]) => w);
    if (below.length) {
      const one = packages.length === 1;
      const ok = await confirm.ask({
        heading: below.length === 1 ? gettext("Send a package below your BATNA?") : gettext("Send packages below your BATNA?"),
        content: [
          el("p", { text: interpolate(one ? gettext("If %(name)s accepts it, the agreement binds you both.") : gettext("If %(name)s accepts one of them, the agreement binds you both."), { name: view.nameOf(partnerRole()) }) }),
          ...below.map(([i]) => el("div", { class: "confirm-package" }, one ? null : el("h4", { text: packageTitle(i) }), view.termsList(packages[i]), pointsBeside(view.points(packages[i])))),
        ],
        warning: below.map(([i, w]) => (one ? w : `${packageTitle(i)}: ${w}`)).join(" "),
        confirm: gettext("Send anyway"),
      });
      if (!ok) return;
    }
    busy(button, send("offer", { packages }, "offer", unbusy(button)));
  }

  // ---- A new offer from the partner, announced in the bar until it is seen ----------------------

  const offerAlert = $("offer-alert");
  let alertSeq = null;
  function theirOfferSeen() {
    const node = $("their-offer");
    if (!node || !node.offsetParent) return false;
    const box = node.getBoundingClientRect();
    const bar = $("room-bar").getBoundingClientRect();
    return box.bottom > bar.bottom + 40 && box.top < window.innerHeight - 40;
  }
  function announceOffer(event) {
    alertSeq = event.seq;
    offerAlert.querySelector(".offer-alert-text").textContent = interpolate(gettext("New offer from %(name)s: %(offer)s."), { name: view.nameOf(event.role), offer: view.offerName(event.seq) });
    offerAlert.hidden = false;
  }
  function renderOfferAlert() {
    const theirs = S.standing[partnerRole()];
    if (alertSeq !== null && (!theirs || theirs.seq !== alertSeq || theirOfferSeen())) {
      alertSeq = null;
      offerAlert.hidden = true;
    }
  }
  $("offer-alert-see").addEventListener("click", () => {
    const heading = document.querySelector("#their-offer h4");
    alertSeq = null;
    offerAlert.hidden = true;
    if (heading) {
      heading.tabIndex = -1;
      heading.scrollIntoView({ block: "center" });
      heading.focus({ preventScroll: true });
    }
  });
  window.addEventListener("scroll", () => renderOfferAlert(), { passive: true });

  // Apply one stored event: to the state, and to the timeline.
  function apply(event) {
    timeline.add(event, applyEvent(S, event));
    if (event.type === "chat" && event.role === partnerRole()) setTyping(false);
    if (event.type === "offer" && event.role === partnerRole() && S.live && canAct()) announceOffer(event);
  }

  // ---- The socket -------------------------------------------------------------------------------

  const waiting = new Map(); // client_msg_id -> {area, done(ok)}
  const SENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/; // as live.js makes them
  // The chats sent and not yet answered, kept in this tab (see "The message being typed" below).
  const unsent = {
    key: seatKey && `parley.chat-unsent.${seatKey}`,
    read() {
      if (!this.key) return [];
      try {
        const list = JSON.parse(sessionStorage.getItem(this.key));
        return Array.isArray(list) ? list.filter((c) => c && typeof c.id === "string" && SENT_ID.test(c.id) && typeof c.text === "string" && c.text) : [];
      } catch (error) {
        return []; // not JSON, or storage refused
      }
    },
    write(list) {
      if (!this.key) return;
      try {
        if (list.length) sessionStorage.setItem(this.key, JSON.stringify(list));
        else sessionStorage.removeItem(this.key);
      } catch (error) {
        // storage refused (private browsing, full): the chat is kept until the page goes
      }
    },
    add(id, text) {
      const list = this.read();
      if (this.key && !list.some((c) => c.id === id)) this.write([...list, { id, text }]);
    },
    drop(id) {
      const list = this.key && id ? this.read() : [];
      const left = list.filter((c) => c.id !== id);
      if (left.length !== list.length) this.write(left);
    },
  };
  let asked = false; // a page of earlier events is on its way
  const socket = new LiveSocket(root.dataset.socket, {
    onSnapshot(snapshot, { reconnected, fresh }) {
      asked = false;
      if (!reconnected) firstSnapshot(snapshot);
      if (!reconnected || fresh) {
        // The snapshot's state and latest events; the timeline starts again from them.
        Object.assign(S, stateFromSnapshot(snapshot), { earlier: Boolean(snapshot.earlier) });
        showTimeline(snapshot);
      } else {
        // The missed events are applied; the snapshot is the server's word: take its state whole.
        const { events, ...state } = stateFromSnapshot(snapshot);
        Object.assign(S, state);
        for (const b of snapshot.broadcasts || []) timeline.broadcast(b);
      }
      if (S.paused && !S.pausedAt) {
        const pause = S.events.filter((e) => e.type === "paused").pop(); // perhaps in a page read earlier
        S.pausedAt = pause ? Date.parse(pause.at) : socket.serverNow();
      }
      timeline.earlier(S.earlier);
      render();
      S.live = true; // from now on, changes happen in front of the student
    },
    onHistory(frame) {
      asked = false;
      // A page just before the events the room holds (one answering an older question is dropped).
      const first = S.events.length ? S.events[0].seq : S.lastSeq + 1;
      const page = frame.events.filter((e) => e.seq < first);
      if (page.length && page[page.length - 1].seq === first - 1) {
        S.events = [...page, ...S.events];
        S.earlier = Boolean(frame.earlier);
        timeline.prepend(page);
      } else if (!frame.events.length) {
        S.earlier = false;
      }
      timeline.earlier(S.earlier);
      render();
    },
    onEvent(event) {
      apply(event);
      render();
      // The negotiation ended: the page's other parts (what comes next: the survey) are read again.
      if (ENDINGS.includes(event.type) || SETTLED.includes(event.type)) {
        document.dispatchEvent(new CustomEvent("parley:changed"));
      }
    },
    onAck(frame) {
      const w = waiting.get(frame.client_msg_id);
      waiting.delete(frame.client_msg_id);
      unsent.drop(frame.client_msg_id);
      const pending = outbox.querySelector(`[data-id="${frame.client_msg_id}"]`);
      if (pending) pending.remove();
      if (w) {
        show(errorNode(w.area), "");
        if (w.done) w.done(true);
      }
    },
    onError(frame) {
      const w = frame.client_msg_id ? waiting.get(frame.client_msg_id) : null;
      const message = sentence(refusal(frame));
      unsent.drop(frame.client_msg_id);
      if (w) {
        waiting.delete(frame.client_msg_id);
        const pending = outbox.querySelector(`[data-id="${frame.client_msg_id}"]`);
        if (pending) {
          // Not sent: give the text back to the box for another try.
          if (!chatText.value) chatText.value = pending.querySelector(".chat-text").textContent;
          draft.write(chatText.value);
          renderCount();
          pending.remove();
        }
        const node = errorNode(w.area);
        show(node, message);
        node.dataset.code = frame.code || "";
        if (!node.offsetParent) show($("room-alert"), message); // its control is gone (the negotiation ended)
        if (w.done) w.done(false, frame);
      } else {
        answered();
        show($("room-alert"), message);
        $("room-alert").dataset.code = frame.code || "";
      }
    },
    onFrame(frame) {
      if (frame.type === "presence") {
        if (frame.role === partnerRole() && frame.kind !== "observer") {
          S.partnerOnline = Boolean(frame.online);
          if (!frame.online) setTyping(false);
          renderPresence();
        }
      } else if (frame.type === "typing") {
        if (frame.role === partnerRole()) setTyping(true);
      } else if (frame.type === "broadcast") {
        timeline.broadcast(frame);
      } else if (frame.type === "error" && frame.client_msg_id) {
        // Sent faster than the server takes (rate_limited), or the server failed on it (server_error):
        // the socket sends it again by itself in a moment.
        const note = outbox.querySelector(`[data-id="${frame.client_msg_id}"] .pending-note`);
        if (note) note.textContent = gettext("Sending again in a moment…");
      } else if (frame.type === "error" && frame.code === "rate_limited") {
        answered(); // perhaps the page of earlier messages was refused: the reader may ask again
      }
    },
    onStatus(status, detail) {
      S.connection = status;
      renderConnection(status, detail);
    },
  });

  function errorNode(area) {
    return $({ chat: "chat-error", offer: "offer-error", table: "table-error", walk: "walk-error", keep: "keep-error" }[area] || "room-alert");
  }

  function send(type, fields, area, done, id = undefined) {
    show(errorNode(area), "");
    show($("room-alert"), "");
    id = socket.act(type, fields, id);
    waiting.set(id, { area, done });
    return id;
  }

  // The scenario's texts in the page's language (the page's #room-texts, from a translated scenario) over
  // the snapshot's, which are the document's own: role names, issue names, units and option labels.
  const textsNode = document.getElementById("room-texts");
  const texts = textsNode ? JSON.parse(textsNode.textContent) : null;
  function inPageLanguage(snapshot) {
    if (!texts) return;
    for (const role of snapshot.roles) role.name = texts.roles[role.key] ?? role.name;
    for (const issue of snapshot.issues) {
      const t = texts.issues[issue.key];
      if (!t) continue;
      issue.name = t.name;
      if (issue.unit !== undefined) issue.unit = t.unit;
      for (const option of issue.options || []) option.label = t.options[option.key] ?? option.label;
    }
  }

  function firstSnapshot(snapshot) {
    inPageLanguage(snapshot);
    S.started = true;
    S.me = snapshot.me;
    S.roles = snapshot.roles;
    S.seats = snapshot.seats;
    S.issues = snapshot.issues;
    $("walk-batna").textContent = pts(S.me.batna);
    builder.build();
    renderPresence();
  }

  // The snapshot's latest events, with the broadcasts interleaved by time (events keep their order).
  function showTimeline(snapshot) {
    timelineNode.setAttribute("aria-busy", "true");
    timeline.clear();
    const broadcasts = (snapshot.broadcasts || []).slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    let i = 0;
    for (const event of snapshot.events) {
      while (i < broadcasts.length && Date.parse(broadcasts[i].at) <= Date.parse(event.at)) timeline.broadcast(broadcasts[i++]);
      timeline.show([event]);
    }
    while (i < broadcasts.length) timeline.broadcast(broadcasts[i++]);
    timeline.scrollToEnd();
    timelineNode.setAttribute("aria-busy", "false");
  }

  // A page of earlier events asked for is not coming: "Show earlier messages" works again.
  function answered() {
    asked = false;
    timeline.earlier(S.earlier);
  }

  // Ask for the page of events before the first one the room holds.
  function loadEarlier() {
    if (asked || !S.earlier || !S.events.length) return;
    asked = socket.history(S.events[0].seq);
    timeline.earlier(S.earlier, asked);
  }

  // ---- Rendering the state ----------------------------------------------------------------------

  function render() {
    if (!S.started) return;
    renderPresence();
    const settling = S.status === "settling";
    const open = S.status === "negotiating" || settling;
    const acting = canAct() && open && S.connection !== "offline";
    $("room-actions").hidden = !acting;
    renderSettlement(settling);
    let note = "";
    if (!canAct() && settling) {
      note = gettext("The pair is in the post-settlement round: its agreement stands unless both sides find a package at least as good for each.");
    } else if (!canAct()) {
      const watched = seatOf(S.me.role);
      note = watched
        ? interpolate(gettext("You are observing %(name)s: you see the chat and the offers, and the points of %(role)s."), { name: watched.name, role: roleName(S.me.role) })
        : interpolate(gettext("You are observing: you see the chat and the offers, and the points of %(role)s."), { role: roleName(S.me.role) });
    } else if (S.status === "waiting") {
      note = gettext("The round has not started: read your role and plan.");
    } else if (open && S.paused) {
      note = gettext("The instructor has paused the round: no one can act until it resumes.");
    }
    show($("room-readonly"), note);
    if (!S.paused) {
      // A refusal because the round was paused says nothing once it has resumed.
      for (const area of ["chat", "offer", "table", "walk", "keep", "alert"]) {
        const node = errorNode(area);
        if (node.dataset.code === "paused") {
          show(node, "");
          node.dataset.code = "";
        }
      }
    }
    $("paused-tag").hidden = !(open && S.paused);
    root.classList.toggle("is-paused", open && S.paused);
    board.table();
    for (const button of root.querySelectorAll("#room-actions button[type=submit], #their-offer button, #walk-open, #keep-agreement")) {
      button.disabled = S.paused || button.dataset.busy === "1";
    }
    board.outcome();
    if (!open) confirm.dismiss();
    else if (accepting !== null && confirm.isOpen() && S.standing[partnerRole()]?.seq !== accepting) {
      const gone = view.offerName(accepting);
      const now = S.standing[partnerRole()];
      confirm.dismiss();
      show(
        errorNode("table"),
        now
          ? interpolate(gettext("%(name)s replaced %(gone)s with %(offer)s while you were deciding: nothing was accepted."), { name: view.nameOf(partnerRole()), gone, offer: view.offerName(now.seq) })
          : interpolate(gettext("%(name)s withdrew %(gone)s while you were deciding: nothing was accepted."), { name: view.nameOf(partnerRole()), gone }),
      );
    }
    renderOfferAlert();
    tick();
  }

  // The post-settlement round: the agreement is the student's floor (their own points only), no walking away.
  let floorKey = "";
  function renderSettlement(settling) {
    $("settlement").hidden = !settling;
    $("walk-away").hidden = settling;
    if (!settling || !S.agreement) return;
    const key = JSON.stringify(S.agreement);
    if (key === floorKey) return;
    floorKey = key;
    builder.build(); // its packages compare with the agreement now, not the BATNA
    $("settlement-floor").textContent = pts(view.points(S.agreement));
    $("settlement-terms").replaceChildren(view.termsList(S.agreement));
  }

  function renderPresence() {
    const partner = seatOf(partnerRole());
    const node = $("partner-presence");
    node.hidden = !partner;
    if (!partner) return;
    // While our own connection is down we cannot know: never show a stale "online". A bot seat the
    // server plays (`auto`) has no socket: it is there while its negotiation runs.
    const known = S.connection === "online";
    const online = known && (partner.auto ? ["negotiating", "settling"].includes(S.status) : S.partnerOnline);
    let text = known ? (online ? gettext("%(name)s is online") : gettext("%(name)s is offline")) : gettext("%(name)s: not known while you are not connected");
    if (partner.auto && known) {
      if (online) text = gettext("%(name)s is online: a program that plays by itself");
      else if (S.status === "waiting") text = gettext("%(name)s plays by itself once the round starts");
      else text = gettext("%(name)s has stopped: the negotiation is over");
    }
    text = interpolate(text, { name: partner.name });
    node.querySelector(".dot").classList.toggle("on", online);
    node.querySelector(".presence-text").textContent = text;
    node.classList.toggle("presence-auto", Boolean(partner.auto));
    node.title = roleName(partner.role);
  }

  let typingTimer = null;
  function setTyping(on) {
    const node = $("partner-typing");
    clearTimeout(typingTimer);
    const partner = seatOf(partnerRole());
    node.textContent = on && partner ? interpolate(gettext("%(name)s is typing…"), { name: partner.name }) : "";
    node.hidden = !on;
    if (on) typingTimer = setTimeout(() => setTyping(false), 4000);
  }

  let backOnlineTimer = null;
  function renderConnection(status, detail) {
    const node = $("room-connection");
    clearTimeout(backOnlineTimer);
    node.className = `connection connection-${status}`;
    if (status === "connecting") node.textContent = gettext("Connecting…");
    else if (status === "reconnecting") {
      node.textContent = gettext("Reconnecting… What you send meanwhile is kept and goes out once the connection is back.");
    } else if (status === "online") {
      node.textContent = detail.reconnected ? gettext("Back online.") : gettext("Connected.");
      if (detail.reconnected) {
        backOnlineTimer = setTimeout(() => {
          node.textContent = gettext("Connected.");
        }, 5000);
      }
    } else if (status === "offline") node.textContent = detail.message || gettext("Offline.");
    if (status === "offline" && detail.final) delete timelineNode.dataset.connecting; // refused for good
    renderPresence();
    for (const note of outbox.querySelectorAll(".pending .pending-note")) {
      note.textContent = status === "online" ? gettext("Sending…") : gettext("Waiting for the connection…");
    }
    render();
  }

  function busy(button, id) {
    button.dataset.busy = "1";
    button.disabled = true;
    return id;
  }
  function unbusy(button) {
    return () => {
      delete button.dataset.busy;
      button.disabled = S.paused;
    };
  }

  // ---- The clock --------------------------------------------------------------------------------

  const FINISHED = { waiting: gettext("Not started"), agreed: gettext("Agreed"), impasse: gettext("No agreement") };
  function tick() {
    const node = $("time-left");
    let text;
    let urgent = false;
    const running = S.status === "negotiating" || S.status === "settling";
    $("clock-label").hidden = S.started && !running;
    if (!S.started) text = "--:--";
    else if (!running) text = FINISHED[S.status] || S.status;
    else if (!S.deadline) text = gettext("no limit");
    else {
      const now = S.paused && S.pausedAt ? S.pausedAt : socket.serverNow();
      const left = Math.max(0, Math.floor((S.deadline - now) / 1000));
      const h = Math.floor(left / 3600);
      const m = Math.floor((left % 3600) / 60);
      const s = String(left % 60).padStart(2, "0");
      text = h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
      if (left === 0) text = gettext("time is up");
      urgent = left < 120;
    }
    node.textContent = text;
    node.classList.toggle("urgent", urgent);
  }
  setInterval(tick, 1000);

  // ---- Chat -------------------------------------------------------------------------------------

  const chatText = $("chat-text");
  const chatMax = Number(chatText.dataset.max) || 2000;
  const chatLength = () => [...chatText.value.trim()].length; // characters, as the server counts them
  // The count shows near the limit and past it, where it says by how much: nothing is cut.
  function renderCount() {
    const n = chatLength();
    const over = n - chatMax;
    const node = $("chat-count");
    node.hidden = n < chatMax * 0.75;
    node.classList.toggle("error", over > 0);
    node.textContent = interpolate(over > 0 ? gettext("%(count)s of %(max)s characters: %(over)s too many") : gettext("%(count)s of %(max)s characters"), {
      count: formatNumber(n),
      max: formatNumber(chatMax),
      over: formatNumber(over),
    });
    if (over <= 0 && $("chat-error").dataset.code === "too_long") show($("chat-error"), "");
  }
  // The message being typed is kept in this tab (sessionStorage, gone with the tab) so that a reload on a
  // phone loses none of it; it is forgotten once sent. A browser that keeps nothing keeps nothing here.
  const draft = {
    key: seatKey && `parley.chat-draft.${seatKey}`,
    read() {
      if (!this.key) return "";
      try {
        return sessionStorage.getItem(this.key) || "";
      } catch (error) {
        return "";
      }
    },
    write(text) {
      if (!this.key) return;
      try {
        if (text) sessionStorage.setItem(this.key, text);
        else sessionStorage.removeItem(this.key);
      } catch (error) {
        // storage refused (private browsing, full): the draft lives in the box only
      }
    },
  };
  if (!chatText.value) chatText.value = draft.read();
  // A message sent and not yet acknowledged (waiting for the connection, say) is kept in this tab too,
  // with its client_msg_id, until its answer comes: after a reload it is sent again with that id, so the
  // server stores it once whether or not the first sending reached it.
  function sendChat(text, id = undefined) {
    id = send("chat", { text }, "chat", undefined, id);
    unsent.add(id, text);
    outbox.append(
      el(
        "li",
        { class: "entry entry-chat mine pending", "data-id": id },
        el("p", { class: "entry-head" }, el("strong", { text: gettext("You") }), " ", el("span", { class: "pending-note", text: S.connection === "online" ? gettext("Sending…") : gettext("Waiting for the connection…") })),
        el("p", { class: "entry-text chat-text", text }),
      ),
    );
  }
  // Queued before the socket opens: its first snapshot sends them, each once, with its own id.
  for (const chat of unsent.read()) sendChat(chat.text, chat.id);
  chatText.addEventListener("input", () => draft.write(chatText.value));
  chatText.addEventListener("input", renderCount);
  renderCount();
  $("chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = chatText.value.trim();
    if (!text) {
      show($("chat-error"), gettext("Write a message first."));
      chatText.focus();
      return;
    }
    const over = chatLength() - chatMax;
    if (over > 0) {
      const tooLong = ngettext(
        "This message is %(over)s character too long: a message holds %(max)s at most. Shorten it or send it in parts; your text stays in the box.",
        "This message is %(over)s characters too long: a message holds %(max)s at most. Shorten it or send it in parts; your text stays in the box.",
        over,
      );
      show($("chat-error"), interpolate(tooLong, { over: formatNumber(over), max: formatNumber(chatMax) }));
      $("chat-error").dataset.code = "too_long";
      chatText.focus();
      return;
    }
    sendChat(text);
    chatText.value = "";
    draft.write("");
    renderCount();
    timeline.scrollToEnd();
    chatText.focus();
  });
  chatText.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  chatText.addEventListener("input", () => socket.typing());

  // ---- Walking away -----------------------------------------------------------------------------

  const walkOpen = $("walk-open");
  const walkForm = $("walk-confirm");
  function walkShown(on) {
    walkForm.hidden = !on;
    walkOpen.hidden = on;
    walkOpen.setAttribute("aria-expanded", String(on));
    if (on) $("walk-reason").focus();
    else walkOpen.focus();
  }
  walkOpen.addEventListener("click", () => walkShown(true));
  $("walk-cancel").addEventListener("click", () => walkShown(false));
  walkForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = $("walk-reason").value.trim();
    const button = walkForm.querySelector("button[type=submit]");
    busy(button, send("walk_away", reason ? { reason } : {}, "walk", unbusy(button)));
  });

  const keepButton = $("keep-agreement");
  keepButton.addEventListener("click", () => busy(keepButton, send("keep", {}, "keep", unbusy(keepButton))));

  window.parleyRoom = { socket, state: S };
  socket.start();
}
