// The instructor's live monitor: every pair of the exercise, pushed over ws/exercises/<id>/monitor/.
// A `snapshot` replaces everything (also after each reconnect), a `pair` frame updates one row,
// an `exercise` frame the header. The class controls POST to the monitor's actions.
(function () {
  "use strict";
  // The page's language: Django's JavaScript catalogue (base.html) defines these; without it, English.
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const ngettext = (one, many, n) => (typeof window.ngettext === "function" ? window.ngettext(one, many, n) : n === 1 ? one : many);
  const f = (text, values) => text.replace(/%\((\w+)\)s/g, (m, name) => (name in values ? String(values[name]) : m));
  const root = document.getElementById("monitor");
  if (!root || !window.ParleyLive) return;

  const $ = (id) => document.getElementById(id);
  const STATUSES = ["waiting", "negotiating", "agreed", "impasse", "settling"];
  const LABELS = { waiting: gettext("Waiting"), negotiating: gettext("Negotiating"), agreed: gettext("Agreed"), impasse: gettext("Impasse"), settling: gettext("Post-settlement") };
  const STATES = { draft: gettext("Draft"), released: gettext("Roles released"), live: gettext("Live"), ended: gettext("Ended") };

  const { el } = window.ParleyLive;

  const M = { exercise: null, roles: [], idleAfter: 180, pairs: new Map(), rows: new Map(), pausedAt: null };

  function timeLeft(deadline, paused) {
    if (!deadline) return gettext("no limit");
    const now = paused && M.pausedAt ? M.pausedAt : socket.serverNow();
    const left = Math.max(0, Math.floor((Date.parse(deadline) - now) / 1000));
    if (left === 0) return gettext("time is up");
    const h = Math.floor(left / 3600);
    const m = Math.floor((left % 3600) / 60);
    const s = String(left % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function ago(iso) {
    if (!iso) return "—";
    const seconds = Math.max(0, Math.floor((socket.serverNow() - Date.parse(iso)) / 1000));
    if (seconds < 45) return gettext("just now");
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return f(gettext("%(minutes)s min ago"), { minutes });
    const hours = Math.floor(minutes / 60);
    return f(gettext("%(hours)s h %(minutes)s min ago"), { hours, minutes: minutes % 60 });
  }

  function isIdle(pair) {
    if (pair.status !== "negotiating" || !pair.last_activity || (M.exercise && M.exercise.paused)) return false;
    return socket.serverNow() - Date.parse(pair.last_activity) > M.idleAfter * 1000;
  }

  // ---- Rows ---------------------------------------------------------------------------------------

  // Who sits in a role, and for each student whether they have opened their role sheet and saved a
  // planning sheet: what the instructor waits for before starting.
  function readiness(seat) {
    if (seat.kind !== "student" || (M.exercise && M.exercise.state === "ended")) return [];
    return [
      " ", // words apart in the cell's text, as a screen reader or a copy reads it
      el("span", { class: `ready${seat.sheet_opened ? " on" : ""}`, "data-ready": "sheet", text: seat.sheet_opened ? gettext("sheet opened") : gettext("sheet not opened") }),
      " ",
      el("span", { class: `ready${seat.planning_saved ? " on" : ""}`, "data-ready": "planning", text: seat.planning_saved ? gettext("plan saved") : gettext("no plan yet") }),
    ];
  }

  function seatCell(pair, role) {
    const seats = (pair.seats || []).filter((s) => s.role === role);
    if (!seats.length) return ["—"];
    return seats.map((s) =>
      el("span", { class: "seat-cell", "data-seat": s.id },
        el("span", { text: s.kind === "observer" ? f(gettext("%(name)s (observer)"), { name: s.name }) : s.auto ? f(gettext("%(name)s (plays by itself)"), { name: s.name }) : s.name }),
        ...readiness(s)),
    );
  }

  // An ended pair's points for each role and their joint gain (at an impasse, each side's BATNA).
  function resultText(pair) {
    const result = pair.result;
    if (!result) return "—";
    const points = M.roles.map((r) => result.points[r.key]).join(" + ");
    const text = pair.status === "impasse" ? gettext("%(points)s · joint gain %(joint)s (BATNAs)") : gettext("%(points)s · joint gain %(joint)s");
    return f(text, { points, joint: result.joint_gain });
  }

  function transcriptUrl(number) {
    return root.dataset.transcript.replace(/\/0\/$/, `/${number}/`);
  }

  function buildHead() {
    const head = $("pairs-head");
    head.replaceChildren(
      el("th", { scope: "col", text: gettext("Pair") }),
      ...M.roles.map((r) => el("th", { scope: "col", text: r.name })),
      el("th", { scope: "col", text: gettext("Status") }),
      el("th", { scope: "col", text: gettext("Time left") }),
      el("th", { scope: "col", text: gettext("Offers") }),
      el("th", { scope: "col", text: gettext("Last activity") }),
      el("th", { scope: "col", text: f(gettext("Points (%(roles)s)"), { roles: M.roles.map((r) => r.key).join(" + ") }) }),
      el("th", { scope: "col", text: gettext("Transcript") }),
      el("th", { scope: "col", text: gettext("More time") }),
    );
  }

  function makeRow(pair) {
    const cells = {
      status: el("td", { "data-label": gettext("Status") }),
      time: el("td", { class: "num", "data-label": gettext("Time left") }),
      offers: el("td", { class: "num", "data-label": gettext("Offers") }),
      activity: el("td", { "data-label": gettext("Last activity") }),
      result: el("td", { class: "result", "data-label": gettext("Points") }),
      roles: M.roles.map((r) => el("td", { "data-label": r.name })),
    };
    const extend = el("button", {
      type: "button",
      class: "button secondary",
      text: gettext("+5 min"),
      "aria-label": f(gettext("+5 min for pair %(number)s"), { number: pair.number }),
      onclick: () => post($("extend-form").action, { minutes: "5", negotiation: String(pair.id) }, $("pair-answer"), extend),
    });
    cells.extend = extend;
    const row = el(
      "tr",
      { id: `pair-row-${pair.number}`, "data-pair": pair.id },
      el("th", { scope: "row", "data-label": gettext("Pair"), text: f(gettext("Pair %(number)s"), { number: pair.number }) }),
      cells.roles,
      cells.status,
      cells.time,
      cells.offers,
      cells.activity,
      cells.result,
      el("td", { "data-label": gettext("Transcript") }, el("a", { href: transcriptUrl(pair.number), text: gettext("Transcript"), "aria-label": f(gettext("Transcript of pair %(number)s"), { number: pair.number }) })),
      el("td", { "data-label": gettext("More time") }, extend),
    );
    M.rows.set(pair.id, { row, cells });
    return row;
  }

  function fillRow(pair) {
    const entry = M.rows.get(pair.id);
    if (!entry) return;
    const { row, cells } = entry;
    M.roles.forEach((r, i) => {
      cells.roles[i].replaceChildren(...seatCell(pair, r.key));
    });
    cells.result.textContent = resultText(pair);
    const idle = isIdle(pair);
    cells.status.replaceChildren(el("span", { class: `status status-${pair.status}`, text: LABELS[pair.status] || pair.status }));
    if (idle) cells.status.append(" ", el("span", { class: "idle-flag", text: gettext("idle") }));
    row.classList.toggle("idle", idle);
    row.dataset.status = pair.status;
    cells.offers.textContent = String(pair.offers || 0);
    cells.extend.disabled = pair.status !== "negotiating" || cells.extend.dataset.busy === "1";
    fillClock(pair);
  }

  function fillClock(pair) {
    const entry = M.rows.get(pair.id);
    if (!entry) return;
    let text;
    if (pair.status === "negotiating") text = M.exercise && M.exercise.paused ? f(gettext("%(time)s (paused)"), { time: timeLeft(pair.deadline, true) }) : timeLeft(pair.deadline);
    else if (pair.status === "settling") text = timeLeft(pair.deadline);
    else if (pair.status === "waiting") text = gettext("not started");
    else text = "—";
    entry.cells.time.textContent = text;
    entry.cells.activity.textContent = ago(pair.last_activity);
  }

  function renderCounts() {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const pair of M.pairs.values()) counts[pair.status] = (counts[pair.status] || 0) + 1;
    for (const s of STATUSES) $(`count-${s}`).textContent = String(counts[s]);
  }

  function renderExercise() {
    const ex = M.exercise;
    if (!ex) return;
    const state = $("exercise-state");
    state.textContent = STATES[ex.state] || ex.state;
    state.className = `status status-${ex.state}`;
    $("paused-flag").hidden = !ex.paused;
    const pause = $("pause-button");
    pause.textContent = ex.paused ? gettext("Resume the round") : gettext("Pause the round");
    pause.disabled = ex.state !== "live";
    $("end-open").disabled = ex.state === "ended" || ex.state === "draft";
    // After the end nobody reads a broadcast or needs more time: the server refuses both, the page says why.
    const ended = ex.state === "ended";
    for (const input of $("broadcast-form").querySelectorAll("button, textarea")) input.disabled = ended || input.dataset.busy === "1";
    $("broadcast-closed").hidden = !ended;
    $("end-debrief-line").hidden = !ended; // where the round was ended, the way on to its debrief
    const extendable = ex.state === "live";
    for (const input of $("extend-form").querySelectorAll("button, input[type=number]")) input.disabled = !extendable || input.dataset.busy === "1";
    const extendClosed = $("extend-closed");
    extendClosed.hidden = extendable;
    extendClosed.textContent = ended ? gettext("The round is over: no pair has time left to extend.") : gettext("Time can be given once the negotiations have started.");
    renderSettlement(ex);
    const clock = ex.paused ? f(gettext("%(time)s (paused)"), { time: timeLeft(ex.deadline, true) }) : timeLeft(ex.deadline, false);
    $("class-time").textContent = ex.state === "live" ? clock : ex.state === "ended" ? gettext("ended") : gettext("not started");
  }

  // The post-settlement round: opened once pairs have agreed (live or ended), for those pairs; closed early by hand.
  function renderSettlement(ex) {
    const round = ex.settlement;
    const open = Boolean(round && !round.closed_at && Date.parse(round.deadline) > Date.now());
    const agreed = [...M.pairs.values()].some((pair) => pair.status === "agreed");
    const openable = (ex.state === "live" || ex.state === "ended") && !round && agreed;
    for (const input of $("settlement-form").querySelectorAll("button, input[type=number]")) input.disabled = !openable || input.dataset.busy === "1";
    $("settlement-close").disabled = !open || $("settlement-close").dataset.busy === "1";
    let note = "";
    if (open) note = f(gettext("Open: %(time)s left. Pairs improve on their agreement, or keep it."), { time: timeLeft(round.deadline) });
    else if (round) note = gettext("The post-settlement round is over: the debrief shows each pair's agreement before and after it.");
    else if (ex.state !== "live" && ex.state !== "ended") note = gettext("Once pairs have agreed, they can look for a deal better for both.");
    else if (!agreed) note = gettext("No pair agreed: there is no agreement to improve on.");
    $("settlement-state").textContent = note;
  }

  // ---- The socket ---------------------------------------------------------------------------------

  function onFrame(frame) {
    if (frame.type === "snapshot") {
      M.exercise = frame.exercise;
      M.roles = frame.roles;
      M.idleAfter = frame.idle_after_seconds;
      M.pausedAt = frame.exercise.paused_at ? Date.parse(frame.exercise.paused_at) : null;
      $("idle-minutes").textContent = String(Math.round(M.idleAfter / 60));
      M.pairs = new Map(frame.pairs.map((p) => [p.id, p]));
      M.rows = new Map();
      buildHead();
      $("pair-rows").replaceChildren(...frame.pairs.map(makeRow));
      for (const pair of frame.pairs) fillRow(pair);
      renderCounts();
      renderExercise();
    } else if (frame.type === "pair") {
      const known = M.pairs.get(frame.pair.id);
      if (!known) {
        socket.send({ type: "resync" }); // a pair we have not seen (seated late): take a fresh snapshot
        return;
      }
      Object.assign(known, frame.pair);  // the server counts the offers
      fillRow(known);
      renderCounts();
    } else if (frame.type === "seat") {
      const pair = M.pairs.get(frame.pair);
      if (!pair) {
        socket.send({ type: "resync" }); // a pair we have not seen: take a fresh snapshot
        return;
      }
      const seats = pair.seats || [];
      // A seat changed (its student's readiness, a student in a bot's seat), or one was added (an observer).
      pair.seats = seats.some((seat) => seat.id === frame.seat.id)
        ? seats.map((seat) => (seat.id === frame.seat.id ? frame.seat : seat))
        : [...seats, frame.seat];
      fillRow(pair);
    } else if (frame.type === "exercise") {
      M.exercise = { ...M.exercise, ...frame.exercise };
      M.pausedAt = M.exercise.paused_at ? Date.parse(M.exercise.paused_at) : null;
      renderExercise();
      for (const pair of M.pairs.values()) fillRow(pair);
    } else if (frame.type === "error") {
      $("monitor-connection").textContent = frame.message;
    }
  }

  const socket = new window.ParleyLive.ReconnectingSocket(root.dataset.socket, {
    onFrame,
    onStatus(status, detail) {
      const node = $("monitor-connection");
      node.className = `connection connection-${status}`;
      if (status === "connecting") node.textContent = gettext("Connecting…");
      else if (status === "reconnecting") node.textContent = gettext("Reconnecting… the table shows the last state it knew.");
      else if (status === "online") node.textContent = detail.reconnected ? gettext("Back online: the table is up to date.") : gettext("Live: changes appear as they happen.");
      else node.textContent = detail.message || gettext("Offline.");
    },
  });

  setInterval(() => {
    if (M.exercise) renderExercise();
    for (const pair of M.pairs.values()) fillClock(pair);
  }, 1000);
  setInterval(() => {
    for (const pair of M.pairs.values()) fillRow(pair); // the idle flag, recomputed
  }, 5000);

  // ---- The class controls -------------------------------------------------------------------------

  function csrfToken() {
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function post(url, fields, answer, button) {
    const body = new URLSearchParams(fields);
    answer.className = "answer";
    answer.textContent = gettext("Sending…");
    if (button) {
      button.dataset.busy = "1";
      button.disabled = true;
    }
    let ok = false;
    let text;
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (type.includes("application/json")) {
        const data = await response.json();
        ok = response.ok && !data.error;
        text = data.message || data.error || f(gettext("The server answered %(status)s."), { status: response.status });
      } else if (response.redirected || response.status === 403) {
        text = gettext("Your session has ended: log in again, then reload this page.");
      } else {
        text = f(gettext("The server answered %(status)s."), { status: response.status });
      }
    } catch (error) {
      text = gettext("Could not reach the server: check the connection and try again.");
    }
    answer.className = `answer ${ok ? "ok" : "bad"}`;
    answer.setAttribute("role", ok ? "status" : "alert");
    answer.textContent = text;
    if (button) {
      delete button.dataset.busy;
      button.disabled = false;
      if (M.exercise) renderExercise();
      for (const pair of M.pairs.values()) fillRow(pair);
    }
    return ok;
  }

  for (const form of [$("broadcast-form"), $("extend-form"), $("settlement-form")]) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fields = Object.fromEntries(new FormData(form));
      delete fields.csrfmiddlewaretoken;
      const ok = await post(form.action, fields, $(`${form.dataset.action}-answer`), form.querySelector("button[type=submit]"));
      if (ok && form.dataset.action === "broadcast") form.reset();
    });
  }

  const settlementClose = $("settlement-close");
  settlementClose.addEventListener("click", () => post(settlementClose.dataset.url, {}, $("settlement-answer"), settlementClose));

  const pause = $("pause-button");
  pause.addEventListener("click", () => {
    const url = M.exercise && M.exercise.paused ? pause.dataset.urlResume : pause.dataset.urlPause;
    post(url, {}, $("pause-answer"), pause);
  });

  // Ending the round: a confirmation dialog (static/js/confirm.js) that says, with today's numbers, what it does.
  // The same sentences as the exercise page's (negotiations.rounds.exercise_end_effects), from the live counts.
  const endDialog = $("end-dialog");
  function endEffects() {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const pair of M.pairs.values()) counts[pair.status] += 1;
    const open = counts.waiting + counts.negotiating;
    const lines = [
      M.exercise && M.exercise.state === "released"
        ? f(ngettext("The negotiations have not started: all %(count)s pair end as impasse, unplayed.", "The negotiations have not started: all %(count)s pairs end as impasse, unplayed.", open), { count: open })
        : f(ngettext("Ends %(count)s open pair as impasse, without agreement.", "Ends %(count)s open pairs as impasse, without agreement.", open), { count: open }),
    ];
    if (counts.agreed) lines.push(f(ngettext("%(count)s pair that agreed keeps its agreement.", "%(count)s pairs that agreed keep their agreements.", counts.agreed), { count: counts.agreed }));
    lines.push(gettext("Students see that the round is over; the debrief is computed. This cannot be undone."));
    return lines;
  }
  endDialog.addEventListener("parley:open", () => {
    $("end-dialog-text").replaceChildren(...endEffects().map((line) => el("p", { text: line })));
    endDialog.querySelector("[data-answer]").textContent = "";
  });
  endDialog.querySelector("[data-confirm]").addEventListener("click", async (e) => {
    const ok = await post($("end-open").dataset.url, {}, endDialog.querySelector("[data-answer]"), e.currentTarget);
    if (ok) {
      $("end-answer").textContent = gettext("The round has ended.");
      endDialog.close();
    }
  });

  window.parleyMonitor = { socket, state: M };
  socket.start();
})();
