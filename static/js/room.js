// The student's negotiation room: one timeline of chat, offers and what the round did; an offer
// builder that shows my own points; the offer on the table; walking away; the outcome.
// Every text from the server or the other side goes in with textContent, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("room");
  if (!root || !window.ParleyLive) return;

  const $ = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });
  const pointsFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
  const MAX_PACKAGES = 3;

  const { el } = window.ParleyLive;

  function sentence(text) {
    const t = String(text || "").trim();
    if (!t) return "";
    const s = t[0].toUpperCase() + t.slice(1);
    return /[.!?]$/.test(s) ? s : `${s}.`;
  }

  function clock(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function show(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  // ---- The state, from the snapshot and then event by event ----------------------------------

  const S = {
    started: false,
    me: null,
    roles: [],
    seats: [],
    issues: [],
    status: "waiting",
    deadline: null, // ms, server clock
    paused: false,
    pausedAt: null,
    standing: {},
    agreement: null,
    events: [],
    broadcasts: new Set(),
    ending: null, // the event that ended the negotiation
    partnerOnline: false,
    connection: "connecting",
    live: false,
  };

  const canAct = () => S.me && S.me.can_act;
  const partnerRole = () => {
    const other = S.roles.find((r) => S.me && r.key !== S.me.role);
    return other ? other.key : null;
  };
  const roleName = (key) => (S.roles.find((r) => r.key === key) || { name: key }).name;
  const seatOf = (role) => S.seats.find((s) => s.role === role && s.kind !== "observer");
  const mine = (role) => canAct() && role === S.me.role;
  function nameOf(role) {
    if (!role) return "Parley";
    if (mine(role)) return "You";
    const seat = seatOf(role);
    return seat ? seat.name : roleName(role);
  }
  const whose = (role) => (mine(role) ? "your" : `${nameOf(role)}’s`);
  const pointsLabel = () => (canAct() ? "Your points" : `Points for ${roleName(S.me.role)}`);

  // ---- Points: my own only (the snapshot carries no one else's) ------------------------------

  function issuePoints(issue, value) {
    if (issue.kind === "numeric") {
      if (!issue.points) return null;
      const v = Number(value);
      if (issue.max === issue.min) return issue.points.at_min;
      return issue.points.at_min + ((issue.points.at_max - issue.points.at_min) * (v - issue.min)) / (issue.max - issue.min);
    }
    const option = issue.options.find((o) => o.key === String(value));
    return option && typeof option.points === "number" ? option.points : null;
  }

  function packagePoints(pkg) {
    let total = 0;
    for (const issue of S.issues) {
      const p = issuePoints(issue, pkg[issue.key]);
      if (p === null) return null;
      total += p;
    }
    return total;
  }

  function termLabel(issue, value) {
    if (issue.kind === "numeric") return `${number.format(Number(value))}${issue.unit ? ` ${issue.unit}` : ""}`;
    const option = issue.options.find((o) => o.key === String(value));
    return option ? option.label : String(value);
  }

  const pts = (p) => (p === null ? "?" : pointsFormat.format(p));

  function termsList(pkg) {
    return el(
      "dl",
      { class: "terms" },
      S.issues.map((issue) => [el("dt", { text: issue.name }), el("dd", { text: termLabel(issue, pkg[issue.key]) })]),
    );
  }

  // An offer as a table: one row per issue, one column per package; rows that differ stand out.
  function packagesTable(packages, caption) {
    const several = packages.length > 1;
    const differs = (issue) => new Set(packages.map((p) => String(p[issue.key]))).size > 1;
    return el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: "offer-table" },
        el("caption", { class: "visually-hidden", text: caption }),
        several
          ? el("thead", {}, el("tr", {}, el("td"), packages.map((_, i) => el("th", { scope: "col", "data-package": i, text: `Package ${i + 1}` }))))
          : null,
        el(
          "tbody",
          {},
          S.issues.map((issue) =>
            el(
              "tr",
              { class: several && differs(issue) ? "differs" : null },
              el("th", { scope: "row", text: issue.name }),
              packages.map((p, i) => el("td", { "data-package": i, text: termLabel(issue, p[issue.key]) })),
            ),
          ),
          el(
            "tr",
            { class: "points-row" },
            el("th", { scope: "row", text: pointsLabel() }),
            packages.map((p, i) => el("td", { "data-package": i }, el("strong", { text: pts(packagePoints(p)) }))),
          ),
        ),
      ),
    );
  }

  function packageBox(pkg, title, extra) {
    return el(
      "div",
      { class: "package-box" },
      title ? el("h4", { text: title }) : null,
      termsList(pkg),
      el("p", { class: "package-points" }, `${pointsLabel()}: `, el("strong", { text: pts(packagePoints(pkg)) })),
      extra || null,
    );
  }

  // ---- The timeline -----------------------------------------------------------------------------

  const timeline = $("timeline");
  const outbox = el("ol", { class: "timeline outbox", "aria-label": "Messages being sent" });
  timeline.after(outbox);

  function nearBottom() {
    return timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80;
  }
  let atBottom = true;
  timeline.addEventListener("scroll", () => {
    atBottom = nearBottom();
  });
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      if (atBottom) timeline.scrollTop = timeline.scrollHeight;
    }).observe(timeline);
  }

  function addEntry(node, { stick } = {}) {
    const follow = stick || nearBottom();
    timeline.append(node);
    if (follow) timeline.scrollTop = timeline.scrollHeight;
  }

  function entry(kind, role, at, ...body) {
    const who = role ? (mine(role) ? "mine" : "theirs") : "system";
    return el(
      "li",
      { class: `entry entry-${kind} ${who}` },
      el("p", { class: "entry-head" }, el("strong", { text: nameOf(role) }), " ", el("time", { datetime: at, text: clock(at) })),
      ...body,
    );
  }

  function systemEntry(event, text) {
    return el(
      "li",
      { class: `entry entry-${event.type} system` },
      el("p", { class: "entry-text" }, el("time", { datetime: event.at, text: clock(event.at) }), " ", text),
    );
  }

  function eventEntry(event) {
    const p = event.payload || {};
    const by = nameOf(event.role);
    switch (event.type) {
      case "chat":
        return entry("chat", event.role, event.at, el("p", { class: "entry-text chat-text", text: p.text }));
      case "offer": {
        const packages = p.packages || [];
        const several = packages.length > 1;
        const node = entry(
          "offer",
          event.role,
          event.at,
          el(
            "p",
            { class: "entry-text" },
            several
              ? `offered ${packages.length} packages (offer #${event.seq}): any one of them may be accepted.`
              : `offered a package (offer #${event.seq}).`,
            " ",
            el("span", { class: "offer-tag", hidden: true }),
          ),
          packagesTable(packages, `Offer #${event.seq}`),
        );
        node.dataset.offer = String(event.seq);
        return node;
      }
      case "accept":
        return systemEntry(event, `${by} accepted package ${p.package + 1} of ${whose(partnerOf(event.role))} offer #${p.offer_seq}: agreement.`);
      case "reject":
        return systemEntry(event, `${by} rejected ${whose(partnerOf(event.role))} offer #${p.offer_seq}${p.reason ? `: “${p.reason}”` : "."}`);
      case "withdraw":
        return systemEntry(event, `${by} withdrew ${whose(event.role)} offer #${p.offer_seq}.`);
      case "walk_away":
        return systemEntry(event, `${by} walked away${p.reason ? `: “${p.reason}”` : "."} No agreement.`);
      case "started":
        return systemEntry(event, `The negotiation has started${p.deadline ? `; time runs until ${clock(p.deadline)}` : ""}.`);
      case "extended":
        return systemEntry(event, `The instructor gave ${p.minutes} more minute${p.minutes === 1 ? "" : "s"}${p.deadline ? `: time now runs until ${clock(p.deadline)}` : ""}.`);
      case "paused":
        return systemEntry(event, "The instructor paused the round: no one can act until it resumes.");
      case "resumed":
        return systemEntry(event, "The round has resumed; the paused time was given back.");
      case "deadline":
        return systemEntry(event, "Time is up: the negotiation ended without agreement.");
      case "ended":
        return systemEntry(event, "The instructor ended the round: the negotiation ended without agreement.");
      default:
        return systemEntry(event, `${by}: ${event.type}`);
    }
  }

  function partnerOf(role) {
    const other = S.roles.find((r) => r.key !== role);
    return other ? other.key : null;
  }

  function markOffer(seq, text, cls) {
    const node = timeline.querySelector(`[data-offer="${seq}"]`);
    if (!node) return;
    const tag = node.querySelector(".offer-tag");
    tag.textContent = text;
    tag.hidden = false;
    node.classList.add(cls);
  }

  function broadcastEntry(b) {
    const key = `${b.at}|${b.text}`;
    if (S.broadcasts.has(key)) return;
    S.broadcasts.add(key);
    addEntry(
      el(
        "li",
        { class: "entry entry-broadcast system" },
        el("p", { class: "entry-head" }, el("strong", { text: "Message from the instructor" }), " ", el("time", { datetime: b.at, text: clock(b.at) })),
        el("p", { class: "entry-text", text: b.text }),
      ),
    );
  }

  // Apply one stored event: to the state, and to the timeline.
  function apply(event) {
    const p = event.payload || {};
    S.events.push(event);
    switch (event.type) {
      case "started":
        S.status = "negotiating";
        if (p.deadline) S.deadline = Date.parse(p.deadline);
        break;
      case "offer": {
        const before = S.standing[event.role];
        if (before) markOffer(before.seq, "replaced", "off-table");
        S.standing[event.role] = { seq: event.seq, packages: p.packages };
        break;
      }
      case "accept": {
        markOffer(p.offer_seq, `package ${p.package + 1} accepted`, "accepted");
        const offer = timeline.querySelector(`[data-offer="${p.offer_seq}"]`);
        if (offer) for (const cell of offer.querySelectorAll(`[data-package="${p.package}"]`)) cell.classList.add("taken");
        S.status = "agreed";
        S.agreement = p.terms;
        S.standing = {};
        S.ending = event;
        break;
      }
      case "reject":
      case "withdraw":
        markOffer(p.offer_seq, event.type === "reject" ? "rejected" : "withdrawn", "off-table");
        for (const [role, offer] of Object.entries(S.standing)) if (offer.seq === p.offer_seq) delete S.standing[role];
        break;
      case "walk_away":
      case "deadline":
      case "ended":
        S.status = "impasse";
        S.standing = {};
        S.ending = event;
        break;
      case "extended":
        if (p.deadline) S.deadline = Date.parse(p.deadline);
        break;
      case "paused":
        S.paused = true;
        S.pausedAt = Date.parse(event.at);
        if (p.deadline) S.deadline = Date.parse(p.deadline);
        break;
      case "resumed":
        S.paused = false;
        S.pausedAt = null;
        if (p.deadline) S.deadline = Date.parse(p.deadline);
        break;
      default:
        break;
    }
    addEntry(eventEntry(event), { stick: mine(event.role) });
    if (event.type === "chat" && event.role === partnerRole()) setTyping(false);
  }

  // ---- The socket -------------------------------------------------------------------------------

  const waiting = new Map(); // client_msg_id -> {area, done(ok)}
  const socket = new window.ParleyLive.LiveSocket(root.dataset.socket, {
    onSnapshot(snapshot, { reconnected }) {
      if (!reconnected) firstSnapshot(snapshot);
      const n = snapshot.negotiation;
      // The snapshot is the server's word: take its state whole.
      S.status = n.status;
      S.deadline = n.deadline ? Date.parse(n.deadline) : null;
      S.paused = Boolean(n.paused);
      if (S.paused) {
        const last = S.events.filter((e) => e.type === "paused").pop();
        S.pausedAt = last ? Date.parse(last.at) : socket.serverNow();
      } else {
        S.pausedAt = null;
      }
      S.standing = JSON.parse(JSON.stringify(n.standing || {}));
      S.agreement = n.agreement;
      if (reconnected) for (const b of snapshot.broadcasts || []) broadcastEntry(b);
      render();
      S.live = true; // from now on, changes happen in front of the student
    },
    onEvent(event) {
      apply(event);
      render();
    },
    onAck(frame) {
      const w = waiting.get(frame.client_msg_id);
      waiting.delete(frame.client_msg_id);
      const pending = outbox.querySelector(`[data-id="${frame.client_msg_id}"]`);
      if (pending) pending.remove();
      if (w) {
        show(errorNode(w.area), "");
        if (w.done) w.done(true);
      }
    },
    onError(frame) {
      const w = frame.client_msg_id ? waiting.get(frame.client_msg_id) : null;
      const message = sentence(frame.message);
      if (w) {
        waiting.delete(frame.client_msg_id);
        const pending = outbox.querySelector(`[data-id="${frame.client_msg_id}"]`);
        if (pending) {
          // Not sent: give the text back to the box for another try.
          if (!chatText.value) chatText.value = pending.querySelector(".chat-text").textContent;
          pending.remove();
        }
        const node = errorNode(w.area);
        show(node, message);
        if (!node.offsetParent) show($("room-alert"), message); // its control is gone (the negotiation ended)
        if (w.done) w.done(false, frame);
      } else {
        show($("room-alert"), message);
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
        broadcastEntry(frame);
      } else if (frame.type === "error" && frame.code === "rate_limited" && frame.client_msg_id) {
        // Sent faster than the server takes: the socket sends it again by itself in a moment.
        const note = outbox.querySelector(`[data-id="${frame.client_msg_id}"] .pending-note`);
        if (note) note.textContent = "Sending again in a moment…";
      }
    },
    onStatus(status, detail) {
      S.connection = status;
      renderConnection(status, detail);
    },
  });

  function errorNode(area) {
    return $({ chat: "chat-error", offer: "offer-error", table: "table-error", walk: "walk-error" }[area] || "room-alert");
  }

  function send(type, fields, area, done) {
    show(errorNode(area), "");
    show($("room-alert"), "");
    const id = socket.act(type, fields);
    waiting.set(id, { area, done });
    return id;
  }

  function firstSnapshot(snapshot) {
    S.started = true;
    S.me = snapshot.me;
    S.roles = snapshot.roles;
    S.seats = snapshot.seats;
    S.issues = snapshot.issues;
    timeline.setAttribute("aria-busy", "true");
    timeline.replaceChildren();
    // Broadcasts interleaved with the events by time; events keep their order.
    const broadcasts = (snapshot.broadcasts || []).slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    let i = 0;
    for (const event of snapshot.events) {
      while (i < broadcasts.length && Date.parse(broadcasts[i].at) <= Date.parse(event.at)) broadcastEntry(broadcasts[i++]);
      apply(event);
    }
    while (i < broadcasts.length) broadcastEntry(broadcasts[i++]);
    timeline.scrollTop = timeline.scrollHeight;
    timeline.setAttribute("aria-busy", "false");
    $("walk-batna").textContent = pts(S.me.batna);
    buildBuilder();
    renderPresence();
  }

  // ---- Rendering the state ----------------------------------------------------------------------

  function render() {
    if (!S.started) return;
    const open = S.status === "negotiating";
    const acting = canAct() && open && S.connection !== "offline";
    $("room-actions").hidden = !acting;
    let note = "";
    if (!canAct()) {
      const watched = seatOf(S.me.role);
      note = `You are observing${watched ? ` ${watched.name}` : ""}: you see the chat and the offers, and the points of ${roleName(S.me.role)}.`;
    } else if (S.status === "waiting") {
      note = "The round has not started: read your role and plan.";
    } else if (open && S.paused) {
      note = "The instructor has paused the round: no one can act until it resumes.";
    }
    show($("room-readonly"), note);
    $("paused-tag").hidden = !(open && S.paused);
    root.classList.toggle("is-paused", open && S.paused);
    renderTable();
    for (const button of root.querySelectorAll("#room-actions button[type=submit], #their-offer button, #walk-open")) {
      button.disabled = S.paused || button.dataset.busy === "1";
    }
    renderOutcome();
    tick();
  }

  function renderPresence() {
    const partner = seatOf(partnerRole());
    const node = $("partner-presence");
    if (!partner) {
      node.hidden = true;
      return;
    }
    node.querySelector(".dot").classList.toggle("on", S.partnerOnline);
    node.querySelector(".presence-text").textContent = `${partner.name} is ${S.partnerOnline ? "online" : "offline"}`;
    node.title = roleName(partner.role);
  }

  let typingTimer = null;
  function setTyping(on) {
    const node = $("partner-typing");
    clearTimeout(typingTimer);
    const partner = seatOf(partnerRole());
    node.textContent = on && partner ? `${partner.name} is typing…` : "";
    node.hidden = !on;
    if (on) typingTimer = setTimeout(() => setTyping(false), 4000);
  }

  let backOnlineTimer = null;
  function renderConnection(status, detail) {
    const node = $("room-connection");
    clearTimeout(backOnlineTimer);
    node.className = `connection connection-${status}`;
    if (status === "connecting") node.textContent = "Connecting…";
    else if (status === "reconnecting") {
      node.textContent = "Reconnecting… What you send meanwhile is kept and goes out once the connection is back.";
    } else if (status === "online") {
      node.textContent = detail.reconnected ? "Back online." : "Connected.";
      if (detail.reconnected) {
        backOnlineTimer = setTimeout(() => {
          node.textContent = "Connected.";
        }, 5000);
      }
    } else if (status === "offline") node.textContent = detail.message || "Offline.";
    for (const note of outbox.querySelectorAll(".pending .pending-note")) {
      note.textContent = status === "online" ? "Sending…" : "Waiting for the connection…";
    }
    render();
  }

  let tableKey = "";
  function renderTable() {
    const theirs = S.standing[partnerRole()];
    const own = canAct() ? S.standing[S.me.role] : null;
    // Rebuild only when the table changes, so that a chat does not wipe a half-typed reason.
    const key = `${theirs ? theirs.seq : ""}|${own ? own.seq : ""}`;
    if (key === tableKey) return;
    tableKey = key;
    const their = $("their-offer");
    const my = $("my-offer");
    their.replaceChildren();
    my.replaceChildren();
    $("table-empty").hidden = Boolean(theirs || own);
    if (theirs) {
      const several = theirs.packages.length > 1;
      const boxes = theirs.packages.map((pkg, i) =>
        packageBox(
          pkg,
          `Package ${i + 1}`,
          el("button", {
            type: "button",
            class: "button",
            "data-offer-seq": theirs.seq,
            text: `Accept package ${i + 1}`,
            onclick: (e) => busy(e.currentTarget, send("accept", { offer_seq: theirs.seq, package: i }, "table", unbusy(e.currentTarget))),
          }),
        ),
      );
      const reason = el("input", { type: "text", id: "reject-reason", maxlength: 500, autocomplete: "off" });
      const rejectForm = el(
        "form",
        {
          class: "reject-form",
          onsubmit: (e) => {
            e.preventDefault();
            const button = e.currentTarget.querySelector("button");
            const fields = { offer_seq: theirs.seq };
            if (reason.value.trim()) fields.reason = reason.value.trim();
            busy(button, send("reject", fields, "table", unbusy(button)));
          },
        },
        el("div", { class: "field" }, el("label", { for: "reject-reason", text: "Reason for rejecting (optional)" }), reason),
        el("button", { type: "submit", class: "button secondary", text: "Reject" }),
      );
      their.append(
        el(
          "div",
          { class: "standing standing-theirs" },
          el("h4", { text: `${nameOf(partnerRole())}’s offer #${theirs.seq}${several ? `: ${theirs.packages.length} packages, accept any one` : ""}` }),
          el("div", { class: `packages-row${several ? " several" : ""}` }, boxes),
          rejectForm,
        ),
      );
    }
    if (own) {
      const several = own.packages.length > 1;
      const withdraw = el("button", {
        type: "submit",
        class: "button secondary",
        text: "Withdraw",
      });
      my.append(
        el(
          "form",
          {
            class: "standing standing-mine",
            onsubmit: (e) => {
              e.preventDefault();
              busy(withdraw, send("withdraw", { offer_seq: own.seq }, "table", unbusy(withdraw)));
            },
          },
          el("h4", { text: `Your offer #${own.seq}, waiting for an answer` }),
          el(
            "div",
            { class: `packages-row${several ? " several" : ""}` },
            own.packages.map((pkg, i) => packageBox(pkg, several ? `Package ${i + 1}` : null)),
          ),
          withdraw,
        ),
      );
    }
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

  function renderOutcome() {
    const box = $("room-outcome");
    if (S.status !== "agreed" && S.status !== "impasse") {
      box.hidden = true;
      return;
    }
    const wasHidden = box.hidden;
    box.replaceChildren();
    box.className = `outcome outcome-${S.status}`;
    if (S.status === "agreed" && S.agreement) {
      const offers = S.events.filter((e) => e.type === "offer");
      const accept = S.events.filter((e) => e.type === "accept").pop();
      box.append(
        el("h3", { text: "Agreement reached" }),
        el("p", { class: "meta", text: accept ? `${nameOf(accept.role)} accepted ${whose(partnerOf(accept.role))} offer #${accept.payload.offer_seq} at ${clock(accept.at)}.` : "" }),
        termsList(S.agreement),
        el(
          "p",
          { class: "outcome-points" },
          `${pointsLabel()}: `,
          el("strong", { text: pts(packagePoints(S.agreement)) }),
          el("span", { class: "meta", text: ` (the alternative without agreement: ${pts(S.me.batna)})` }),
        ),
        el("h4", { text: `How you got there: every offer, with ${canAct() ? "your" : "these"} points for it` }),
        el(
          "ol",
          { class: "trail" },
          offers.map((offer) => {
            const taken = accept && accept.payload.offer_seq === offer.seq;
            const packages = offer.payload.packages;
            const points = packages.map((pkg, i) => {
              const mark = taken && accept.payload.package === i ? " (accepted)" : "";
              return `${pts(packagePoints(pkg))}${mark}`;
            });
            return el(
              "li",
              { class: taken ? "taken" : null },
              el("strong", { text: nameOf(offer.role) }),
              ` at ${clock(offer.at)}, offer #${offer.seq}`,
              packages.length > 1 ? ` (${packages.length} packages): ` : ": ",
              `${points.join(" / ")} points`,
            );
          }),
        ),
        el("p", { class: "meta", text: "Every message and offer is in the timeline below." }),
      );
    } else {
      const e = S.ending;
      let reason = "The negotiation ended without agreement.";
      if (e && e.type === "walk_away") {
        reason = `${nameOf(e.role)} walked away${e.payload.reason ? `: “${e.payload.reason}”` : "."}`;
      } else if (e && e.type === "deadline") reason = "Time ran out before an agreement.";
      else if (e && e.type === "ended") reason = "The instructor ended the round before an agreement.";
      box.append(
        el("h3", { text: "No agreement" }),
        el("p", { text: reason }),
        el(
          "p",
          { class: "outcome-points" },
          `${canAct() ? "Your result is your alternative (BATNA)" : `${roleName(S.me.role)} gets the alternative (BATNA)`}: `,
          el("strong", { text: `${pts(S.me.batna)} points` }),
        ),
      );
    }
    box.hidden = false;
    if (wasHidden && S.live) box.scrollIntoView({ block: "nearest" });
  }

  // ---- The clock --------------------------------------------------------------------------------

  const FINISHED = { waiting: "Not started", agreed: "Agreed", impasse: "No agreement" };
  function tick() {
    const node = $("time-left");
    let text;
    let urgent = false;
    $("clock-label").hidden = S.started && S.status !== "negotiating";
    if (!S.started) text = "--:--";
    else if (S.status !== "negotiating") text = FINISHED[S.status] || S.status;
    else if (!S.deadline) text = "no limit";
    else {
      const now = S.paused && S.pausedAt ? S.pausedAt : socket.serverNow();
      const left = Math.max(0, Math.floor((S.deadline - now) / 1000));
      const h = Math.floor(left / 3600);
      const m = Math.floor((left % 3600) / 60);
      const s = String(left % 60).padStart(2, "0");
      text = h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
      if (left === 0) text = "time is up";
      urgent = left < 120;
    }
    node.textContent = text;
    node.classList.toggle("urgent", urgent);
  }
  setInterval(tick, 1000);

  // ---- Chat -------------------------------------------------------------------------------------

  const chatText = $("chat-text");
  $("chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = chatText.value.trim();
    if (!text) {
      show($("chat-error"), "Write a message first.");
      chatText.focus();
      return;
    }
    const id = send("chat", { text }, "chat");
    outbox.append(
      el(
        "li",
        { class: "entry entry-chat mine pending", "data-id": id },
        el("p", { class: "entry-head" }, el("strong", { text: "You" }), " ", el("span", { class: "pending-note", text: S.connection === "online" ? "Sending…" : "Waiting for the connection…" })),
        el("p", { class: "entry-text chat-text", text }),
      ),
    );
    chatText.value = "";
    timeline.scrollTop = timeline.scrollHeight;
    chatText.focus();
  });
  chatText.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  chatText.addEventListener("input", () => socket.typing());

  // ---- The offer builder ------------------------------------------------------------------------

  let packages = [];

  function decimals(step) {
    const s = String(step);
    return s.includes(".") ? s.length - s.indexOf(".") - 1 : 0;
  }

  function onGrid(issue, value) {
    let v = Number(value);
    if (!Number.isFinite(v)) return null;
    v = Math.min(issue.max, Math.max(issue.min, v));
    const k = Math.round((v - issue.min) / issue.step);
    return Number((issue.min + k * issue.step).toFixed(decimals(issue.step)));
  }

  function defaultPackage() {
    const pkg = {};
    for (const issue of S.issues) {
      if (issue.kind === "numeric") pkg[issue.key] = String(onGrid(issue, (issue.min + issue.max) / 2));
      else pkg[issue.key] = issue.options[0].key;
    }
    return pkg;
  }

  function buildBuilder() {
    if (!packages.length) packages = [defaultPackage()];
    const holder = $("packages");
    holder.replaceChildren(...packages.map((pkg, i) => packageFieldset(pkg, i)));
    $("add-package").hidden = packages.length >= MAX_PACKAGES;
    $("send-offer").textContent = packages.length > 1 ? `Send offer (${packages.length} packages)` : "Send offer";
  }

  function packageFieldset(pkg, index) {
    const total = el("output", { class: "package-total-value", "aria-live": "polite" });
    const issuePts = {};
    const update = () => {
      for (const issue of S.issues) issuePts[issue.key].textContent = `${pts(issuePoints(issue, pkg[issue.key]))} pts`;
      total.textContent = `${pointsLabel()} for package ${index + 1}: ${pts(packagePoints(pkg))}`;
    };
    const fields = S.issues.map((issue) => {
      const id = `p${index}-${issue.key}`;
      issuePts[issue.key] = el("span", { class: "issue-points", "aria-hidden": "true" });
      if (issue.kind === "numeric") {
        const box = el("input", { type: "number", id, min: issue.min, max: issue.max, step: issue.step, inputmode: "decimal", value: pkg[issue.key] });
        const slider = el("input", {
          type: "range",
          min: issue.min,
          max: issue.max,
          step: issue.step,
          value: pkg[issue.key],
          "aria-label": `${issue.name}, package ${index + 1} (slider)`,
        });
        const set = (value, from) => {
          const v = onGrid(issue, value);
          if (v === null) return;
          pkg[issue.key] = String(v);
          if (from !== box) box.value = String(v);
          if (from !== slider) slider.value = String(v);
          update();
        };
        slider.addEventListener("input", () => set(slider.value, slider));
        box.addEventListener("input", () => {
          const v = Number(box.value);
          if (box.value !== "" && Number.isFinite(v) && v >= issue.min && v <= issue.max) set(v, box);
        });
        box.addEventListener("change", () => set(box.value === "" ? pkg[issue.key] : box.value, null));
        return el(
          "div",
          { class: "field issue-field numeric" },
          el("div", { class: "issue-label" }, el("label", { for: id, text: `${issue.name}${issue.unit ? ` (${issue.unit})` : ""}` }), issuePts[issue.key]),
          box,
          slider,
          el("span", { class: "meta range-ends", "aria-hidden": "true" }, el("span", { text: number.format(issue.min) }), el("span", { text: number.format(issue.max) })),
        );
      }
      const select = el(
        "select",
        { id },
        issue.options.map((o) => {
          const p = issuePoints(issue, o.key);
          return el("option", { value: o.key, selected: o.key === pkg[issue.key], text: p === null ? o.label : `${o.label} (${pts(p)} pts)` });
        }),
      );
      select.addEventListener("change", () => {
        pkg[issue.key] = select.value;
        update();
      });
      return el("div", { class: "field issue-field" }, el("div", { class: "issue-label" }, el("label", { for: id, text: issue.name }), issuePts[issue.key]), select);
    });
    const remove =
      packages.length > 1
        ? el("button", {
            type: "button",
            class: "button secondary small",
            text: `Remove package ${index + 1}`,
            onclick: () => {
              packages.splice(index, 1);
              buildBuilder();
              $("add-package").focus();
            },
          })
        : null;
    update();
    return el(
      "fieldset",
      { class: "package-fieldset" },
      el("legend", { text: `Package ${index + 1}` }),
      ...fields,
      el("p", { class: "package-total" }, total, el("span", { class: "meta", text: ` · your alternative: ${pts(S.me.batna)}` })),
      remove,
    );
  }

  $("add-package").addEventListener("click", () => {
    if (packages.length >= MAX_PACKAGES) return;
    packages.push({ ...packages[packages.length - 1] });
    buildBuilder();
    const fieldsets = $("packages").querySelectorAll("fieldset");
    const first = fieldsets[fieldsets.length - 1].querySelector("input, select");
    if (first) first.focus();
  });

  $("offer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const seen = new Map();
    for (const [i, pkg] of packages.entries()) {
      const key = JSON.stringify(S.issues.map((issue) => String(pkg[issue.key])));
      if (seen.has(key)) {
        show($("offer-error"), `Packages ${seen.get(key) + 1} and ${i + 1} are the same: change one of them, or remove it.`);
        return;
      }
      seen.set(key, i);
    }
    const button = $("send-offer");
    const frame = packages.map((pkg) => {
      const out = {};
      for (const issue of S.issues) out[issue.key] = issue.kind === "numeric" ? Number(pkg[issue.key]) : pkg[issue.key];
      return out;
    });
    busy(button, send("offer", { packages: frame }, "offer", unbusy(button)));
  });

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

  window.parleyRoom = { socket, state: S };
  socket.start();
})();
