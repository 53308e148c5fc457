// A negotiation's state read from its events, as core/replay.py reads them on the server: the offers
// on the table, the agreement, the status, the last sequence number; and one role's points for a
// package. Pure: no DOM, no socket. tests/js/state.test.mjs holds it to the server's fixtures.

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
    events: [],
  };
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
      break;
    case "extended":
      if (p.deadline) state.deadline = Date.parse(p.deadline);
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
