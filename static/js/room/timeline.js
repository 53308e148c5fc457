// The room's timeline: one list of chat, offers, answers, what the round did and the instructor's
// broadcasts, kept scrolled to the newest entry while the reader is there; and the outbox of
// messages being sent below it. It starts from the snapshot's latest events; earlier ones are
// asked for a page at a time (`onEarlier`) when the reader scrolls to the top or taps "Show earlier
// messages", and go in above, the reader's place kept.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { offerOutcomes } from "./state.js";
import { clock, upper } from "./view.js";

const OUTCOMES = {
  replaced: [() => gettext("replaced"), "off-table"],
  rejected: [() => gettext("rejected"), "off-table"],
  withdrawn: [() => gettext("withdrawn"), "off-table"],
};
const f = (text, values) => interpolate(text, values);
const quoted = (reason) => (reason ? interpolate(gettext(": “%(reason)s”"), { reason }) : ".");

export function createTimeline(S, view, el, timeline, onEarlier) {
  const { mine, nameOf, offerOf, partnerOf } = view;
  const outbox = el("ol", { class: "timeline outbox", "aria-label": gettext("Messages being sent") });
  timeline.after(outbox);
  const earlierButton = el("button", {
    type: "button",
    class: "button secondary small earlier",
    id: "earlier-messages",
    hidden: true,
    text: gettext("Show earlier messages"),
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
    // What a participant did, in a sentence of its own for "You" (a language conjugates it differently).
    const did = (mineText, otherText, values = {}) => f(mine(event.role) ? mineText : otherText, { name: by, ...values });
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
              ? f(gettext("made %(offer)s: %(count)s packages, any one of which may be accepted."), { offer: view.offerName(event.seq), count: packages.length })
              : f(gettext("made %(offer)s."), { offer: view.offerName(event.seq) }),
            " ",
            el("span", { class: "offer-tag", hidden: true }),
          ),
          view.packagesTable(packages, upper(offerOf(event.role, event.seq))),
        );
        node.dataset.offer = String(event.seq);
        return node;
      }
      case "accept":
        return systemEntry(
          event,
          view.settled(event.seq)
            ? did(gettext("You accepted package %(number)s of %(offer)s: it replaces the agreement."), gettext("%(name)s accepted package %(number)s of %(offer)s: it replaces the agreement."), {
                number: p.package + 1,
                offer: offerOf(partnerOf(event.role), p.offer_seq),
              })
            : did(gettext("You accepted package %(number)s of %(offer)s: agreement."), gettext("%(name)s accepted package %(number)s of %(offer)s: agreement."), {
                number: p.package + 1,
                offer: offerOf(partnerOf(event.role), p.offer_seq),
              }),
        );
      case "reject":
        return systemEntry(event, did(gettext("You rejected %(offer)s"), gettext("%(name)s rejected %(offer)s"), { offer: offerOf(partnerOf(event.role), p.offer_seq) }) + quoted(p.reason));
      case "withdraw":
        return systemEntry(event, did(gettext("You withdrew your %(offer)s."), gettext("%(name)s withdrew their %(offer)s."), { offer: view.offerName(p.offer_seq) }));
      case "walk_away":
        return systemEntry(event, `${did(gettext("You walked away"), gettext("%(name)s walked away"))}${quoted(p.reason)} ${gettext("No agreement.")}`);
      case "started":
        return systemEntry(event, p.deadline ? f(gettext("The negotiation has started; time runs until %(time)s."), { time: clock(p.deadline) }) : gettext("The negotiation has started."));
      case "extended":
        return systemEntry(
          event,
          p.deadline
            ? f(ngettext("The instructor gave %(minutes)s more minute: time now runs until %(time)s.", "The instructor gave %(minutes)s more minutes: time now runs until %(time)s.", p.minutes), { minutes: p.minutes, time: clock(p.deadline) })
            : f(ngettext("The instructor gave %(minutes)s more minute.", "The instructor gave %(minutes)s more minutes.", p.minutes), { minutes: p.minutes }),
        );
      case "paused":
        return systemEntry(event, gettext("The instructor paused the round: no one can act until it resumes."));
      case "resumed":
        return systemEntry(event, gettext("The round has resumed; the paused time was given back."));
      case "deadline":
        return systemEntry(event, gettext("Time is up: the negotiation ended without agreement."));
      case "ended":
        return systemEntry(event, gettext("The instructor ended the round: the negotiation ended without agreement."));
      case "settlement_opened":
        return systemEntry(
          event,
          p.deadline
            ? f(gettext("Post-settlement round: your agreement stands, and you may replace it with a package at least as good for both of you, until %(time)s."), { time: clock(p.deadline) })
            : gettext("Post-settlement round: your agreement stands, and you may replace it with a package at least as good for both of you."),
        );
      case "keep":
        return systemEntry(event, did(gettext("You kept the agreement as it is."), gettext("%(name)s kept the agreement as it is.")));
      case "settlement_closed":
        return systemEntry(event, p.reason === "deadline" ? gettext("The post-settlement round is over (time is up): the agreement stands as it is.") : gettext("The post-settlement round is over: the agreement stands as it is."));
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
      markOffer(change.seq, f(gettext("package %(number)s accepted"), { number: change.package + 1 }), "accepted");
      const offer = timeline.querySelector(`[data-offer="${change.seq}"]`);
      if (offer) for (const cell of offer.querySelectorAll(`[data-package="${change.package}"]`)) cell.classList.add("taken");
      return;
    }
    const [text, cls] = OUTCOMES[change.outcome];
    markOffer(change.seq, text(), cls);
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
      earlierButton.textContent = loading ? gettext("Loading earlier messages…") : gettext("Show earlier messages");
    },
    broadcast(b) {
      const key = `${b.at}|${b.text}`;
      if (broadcastsSeen.has(key)) return;
      broadcastsSeen.add(key);
      addEntry(
        el(
          "li",
          { class: "entry entry-broadcast system" },
          el("p", { class: "entry-head" }, el("strong", { text: gettext("Message from the instructor") }), " ", el("time", { datetime: b.at, text: clock(b.at) })),
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
