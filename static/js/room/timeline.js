// The room's timeline: one list of chat, offers, answers, what the round did and the instructor's
// broadcasts, kept scrolled to the newest entry while the reader is there; and the outbox of
// messages being sent below it. It starts from the snapshot's latest events; earlier ones are
// asked for a page at a time (`onEarlier`) when the reader scrolls to the top or taps "Show earlier
// messages", and go in above, the reader's place kept.
import { offerOutcomes } from "./state.js";
import { clock } from "./view.js";

const upper = (text) => text[0].toUpperCase() + text.slice(1);

const OUTCOMES = {
  replaced: ["replaced", "off-table"],
  rejected: ["rejected", "off-table"],
  withdrawn: ["withdrawn", "off-table"],
};

export function createTimeline(S, view, el, timeline, onEarlier) {
  const { mine, nameOf, whose, partnerOf } = view;
  const outbox = el("ol", { class: "timeline outbox", "aria-label": "Messages being sent" });
  timeline.after(outbox);
  const earlierButton = el("button", {
    type: "button",
    class: "button secondary small earlier",
    id: "earlier-messages",
    hidden: true,
    text: "Show earlier messages",
    onclick: () => onEarlier(),
  });
  timeline.before(earlierButton);
  const broadcastsSeen = new Set();

  const nearBottom = () => timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80;
  let atBottom = true;
  timeline.addEventListener("scroll", () => {
    atBottom = nearBottom();
    if (timeline.scrollTop < 40 && !earlierButton.hidden && timeline.scrollHeight > timeline.clientHeight) onEarlier();
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
              ? `made ${view.offerName(event.seq)}: ${packages.length} packages, any one of which may be accepted.`
              : `made ${view.offerName(event.seq)}.`,
            " ",
            el("span", { class: "offer-tag", hidden: true }),
          ),
          view.packagesTable(packages, upper(`${whose(event.role)} ${view.offerName(event.seq)}`)),
        );
        node.dataset.offer = String(event.seq);
        return node;
      }
      case "accept":
        return systemEntry(event, `${by} accepted package ${p.package + 1} of ${whose(partnerOf(event.role))} ${view.offerName(p.offer_seq)}: ${view.settled(event.seq) ? "it replaces the agreement" : "agreement"}.`);
      case "reject":
        return systemEntry(event, `${by} rejected ${whose(partnerOf(event.role))} ${view.offerName(p.offer_seq)}${p.reason ? `: “${p.reason}”` : "."}`);
      case "withdraw":
        return systemEntry(event, `${by} withdrew ${mine(event.role) ? "your" : "their"} ${view.offerName(p.offer_seq)}.`);
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
      case "settlement_opened":
        return systemEntry(event, `Post-settlement round: your agreement stands, and you may replace it with a package at least as good for both of you${p.deadline ? `, until ${clock(p.deadline)}` : ""}.`);
      case "keep":
        return systemEntry(event, `${by} kept the agreement as it is.`);
      case "settlement_closed":
        return systemEntry(event, `The post-settlement round is over${p.reason === "deadline" ? " (time is up)" : ""}: the agreement stands as it is.`);
      default:
        return systemEntry(event, `${by}: ${event.type}`);
    }
  }

  function markOffer(seq, text, cls) {
    const node = timeline.querySelector(`[data-offer="${seq}"]`);
    if (!node) return;
    const tag = node.querySelector(".offer-tag");
    tag.textContent = text;
    tag.hidden = false;
    node.classList.add(cls);
  }

  // What an event did to earlier offers (state.js's changes): tag them in the timeline.
  function mark(change) {
    if (change.outcome === "accepted") {
      markOffer(change.seq, `package ${change.package + 1} accepted`, "accepted");
      const offer = timeline.querySelector(`[data-offer="${change.seq}"]`);
      if (offer) for (const cell of offer.querySelectorAll(`[data-package="${change.package}"]`)) cell.classList.add("taken");
      return;
    }
    const [text, cls] = OUTCOMES[change.outcome];
    markOffer(change.seq, text, cls);
  }

  // Tag every offer shown with what became of it, read from the events the room holds.
  function retag() {
    for (const change of Object.values(offerOutcomes(S.events))) mark(change);
  }

  return {
    outbox,
    // One stored event, once applied to the state with the changes it made.
    add(event, changes) {
      for (const change of changes) mark(change);
      addEntry(eventEntry(event), { stick: mine(event.role) });
    },
    // The snapshot's events (the room's state holds them already), drawn afresh.
    show(events) {
      for (const event of events) addEntry(eventEntry(event));
      retag();
    },
    // A page of earlier events, above the rest, without moving what the reader is looking at.
    prepend(events) {
      const before = timeline.scrollHeight;
      const top = timeline.scrollTop;
      timeline.prepend(...events.map(eventEntry));
      timeline.scrollTop = top + timeline.scrollHeight - before;
      retag();
    },
    // Whether earlier events can be asked for; `loading` while a page is on its way.
    earlier(more, loading = false) {
      earlierButton.hidden = !more;
      earlierButton.disabled = loading;
      earlierButton.textContent = loading ? "Loading earlier messages…" : "Show earlier messages";
    },
    broadcast(b) {
      const key = `${b.at}|${b.text}`;
      if (broadcastsSeen.has(key)) return;
      broadcastsSeen.add(key);
      addEntry(
        el(
          "li",
          { class: "entry entry-broadcast system" },
          el("p", { class: "entry-head" }, el("strong", { text: "Message from the instructor" }), " ", el("time", { datetime: b.at, text: clock(b.at) })),
          el("p", { class: "entry-text", text: b.text }),
        ),
      );
    },
    clear() {
      broadcastsSeen.clear();
      timeline.replaceChildren();
    },
    scrollToEnd() {
      timeline.scrollTop = timeline.scrollHeight;
    },
  };
}
