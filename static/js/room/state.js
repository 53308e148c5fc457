// A negotiation's state: taken from a snapshot (which carries the state and only the latest events),
// then read from each later event as core/replay.py reads them on the server: the offers on the
// table, the agreement, the status, the last sequence number; what became of each offer, for the
// timeline; and one role's points for a package. Pure: no DOM, no socket. tests/js/state.test.mjs
// holds it to the server's fixtures.

export const ENDINGS = ["accept", "walk_away", "deadline", "ended"]; // the events that end a negotiation
// The events that take an agreed pair out of a post-settlement round (an `accept` too).
export const SETTLED = ["keep", "settlement_closed"];

export function emptyState() {
  return {
    status: "waiting",
    deadline: null, // ms, server clock
    paused: false,
    pausedAt: null,
    standing: {}, // role -> {seq, packages}: each side's offer on the table
    agreement: null,
    ending: null, // the event that ended the negotiation
    lastSeq: 0,
    offers: 0, // offers made, on the table or not
    events: [], // the events read so far, in order: the snapshot's latest ones, then each new one
  };
}

// The state a snapshot gives: its `negotiation` is the server's word, whatever the events it carries
// (the latest ones only; earlier ones come in pages, see offerOutcomes).
export function stateFromSnapshot(snapshot) {
  const n = snapshot.negotiation;
  const events = snapshot.events.slice();
  const state = emptyState();
  state.status = n.status;
  state.deadline = n.deadline ? Date.parse(n.deadline) : null;
  state.paused = Boolean(n.paused);
  const pause = events.filter((e) => e.type === "paused").pop();
  state.pausedAt = state.paused && pause ? Date.parse(pause.at) : null;
  state.standing = JSON.parse(JSON.stringify(n.standing || {}));
  state.agreement = n.agreement ? { ...n.agreement } : null;
  state.ending = state.status === "agreed" || state.status === "impasse" ? events.filter((e) => ENDINGS.includes(e.type) || SETTLED.includes(e.type)).pop() || null : null;
  state.lastSeq = snapshot.last_seq;
  state.offers = n.offers;
  state.events = events;
  return state;
}

// What became of each offer among `events` (a run of consecutive events, the earliest first), read
// by the same rules: {offer seq: change}. The changes an event makes to offers before the run show
// too, and once the earlier pages are read, their offers' outcomes.
export function offerOutcomes(events) {
  const scratch = emptyState();
  const outcomes = {};
  for (const event of events) for (const change of applyEvent(scratch, event)) outcomes[change.seq] = change;
  return outcomes;
}

// Apply one stored event to `state` (in place). Returns what happened to earlier offers, for the
// timeline: [{seq, outcome: "replaced" | "rejected" | "withdrawn" | "accepted", package}].
export function applyEvent(state, event) {
  const p = event.payload || {};
  const changes = [];
  state.events.push(event);
  state.lastSeq = event.seq;
  switch (event.type) {
    case "started":
      state.status = "negotiating";
      if (p.deadline) state.deadline = Date.parse(p.deadline);
      break;
    case "offer": {
      const before = state.standing[event.role];
      if (before) changes.push({ seq: before.seq, outcome: "replaced" });
      state.standing[event.role] = { seq: event.seq, packages: p.packages };
      state.offers += 1;
      break;
    }
    case "accept":
      changes.push({ seq: p.offer_seq, outcome: "accepted", package: p.package });
      state.status = "agreed";
      state.agreement = p.terms;
      state.standing = {};
      state.ending = event;
      break;
    case "reject":
    case "withdraw":
      changes.push({ seq: p.offer_seq, outcome: event.type === "reject" ? "rejected" : "withdrawn" });
      for (const [role, offer] of Object.entries(state.standing)) if (offer.seq === p.offer_seq) delete state.standing[role];
      break;
    case "walk_away":
    case "deadline":
    case "ended":
      state.status = "impasse";
      state.standing = {};
      state.ending = event;
      if (event.type === "ended") {
        // an ended round is not paused, as the server's snapshot says
        state.paused = false;
        state.pausedAt = null;
      }
      break;
    case "extended":
      if (p.deadline) state.deadline = Date.parse(p.deadline);
      break;
    case "settlement_opened": // the agreement stands; the pair may replace it with one at least as good for both
      state.status = "settling";
      state.standing = {};
      state.ending = null;
      if (p.deadline) state.deadline = Date.parse(p.deadline);
      break;
    case "keep":
    case "settlement_closed":
      state.status = "agreed";
      state.standing = {};
      state.ending = event;
      break;
    case "paused":
      state.paused = true;
      state.pausedAt = Date.parse(event.at);
      if (p.deadline) state.deadline = Date.parse(p.deadline);
      break;
    case "resumed":
      state.paused = false;
      state.pausedAt = null;
      if (p.deadline) state.deadline = Date.parse(p.deadline);
      break;
    default:
      break;
  }
  return changes;
}

// One role's points for an issue's term, from the issues of its snapshot (which carry that role's
// points only); null when the snapshot has no points for it.
export function issuePoints(issue, value) {
  if (issue.kind === "numeric") {
    if (!issue.points) return null;
    const v = Number(value);
    if (issue.max === issue.min) return issue.points.at_min;
    return issue.points.at_min + ((issue.points.at_max - issue.points.at_min) * (v - issue.min)) / (issue.max - issue.min);
  }
  const option = issue.options.find((o) => o.key === String(value));
  return option && typeof option.points === "number" ? option.points : null;
}

export function packagePoints(issues, pkg) {
  let total = 0;
  for (const issue of issues) {
    const p = issuePoints(issue, pkg[issue.key]);
    if (p === null) return null;
    total += p;
  }
  return total;
}

// An offer's number among the pair's offers (1, 2, 3 in the order made), from the offers counted so
// far and the events the room holds (the latest ones; earlier ones come in pages); null for an offer
// further back than the events read, while which of the unread offers it is cannot be told.
export function offerNumber(state, seq) {
  const read = state.events.filter((e) => e.type === "offer");
  const first = state.events.length ? state.events[0].seq : state.lastSeq + 1;
  if (seq >= first) return state.offers - read.filter((e) => e.seq > seq).length;
  return state.offers - read.length === 1 ? 1 : null;
}
