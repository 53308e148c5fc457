// What the room shows beside the timeline: the offers on the table, with a button to accept each
// package of the partner's and forms to reject it or withdraw my own; and the outcome once it ends,
// with the trail of offers that led to an agreement.
import { clock, pts } from "./view.js";

// `act(type, fields, button)` sends an action from a button, which stays busy until it is answered.
// `accept(offer, index, button)` confirms, then accepts, one package of the partner's offer.
export function createTable({ S, view, el, $, act, accept }) {
  let tableKey = "";
  function table() {
    const theirs = S.standing[view.partnerRole()];
    const own = view.canAct() ? S.standing[S.me.role] : null;
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
        view.packageBox(
          pkg,
          `Package ${i + 1}`,
          el("button", {
            type: "button",
            class: "button",
            "data-offer-seq": theirs.seq,
            text: `Accept package ${i + 1}`,
            onclick: (e) => accept(theirs, i, e.currentTarget),
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
            act("reject", fields, button);
          },
        },
        el("div", { class: "field" }, el("label", { for: "reject-reason", text: "Reason for rejecting (optional)" }), reason),
        el("button", { type: "submit", class: "button secondary", text: "Reject" }),
      );
      their.append(
        el(
          "div",
          { class: "standing standing-theirs" },
          el("h4", { text: `${view.nameOf(view.partnerRole())}’s ${view.offerName(theirs.seq)}${several ? `: ${theirs.packages.length} packages, accept any one` : ""}` }),
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
              act("withdraw", { offer_seq: own.seq }, withdraw);
            },
          },
          el("h4", { text: `Your ${view.offerName(own.seq)}, waiting for an answer` }),
          el(
            "div",
            { class: `packages-row${several ? " several" : ""}` },
            own.packages.map((pkg, i) => view.packageBox(pkg, several ? `Package ${i + 1}` : null)),
          ),
          withdraw,
        ),
      );
    }
  }

  // After a post-settlement round (docs/protocol.md): whether it replaced the agreement, and from what.
  function settlementNote(accept, results) {
    const opened = S.events.find((e) => e.type === "settlement_opened");
    if (!opened) return null;
    const first = S.events.filter((e) => e.type === "accept" && e.seq < opened.seq).pop();
    if (!(accept && accept.seq > opened.seq)) return el("p", { class: "settlement-note", text: "The post-settlement round left the agreement as it was." });
    const before = first && results ? ` (${pts(view.points(first.payload.terms))} points before, ${pts(view.points(S.agreement))} now)` : "";
    return el("p", { class: "settlement-note", text: `The post-settlement round replaced the first agreement with this one, at least as good for both of you${before}.` });
  }

  // Which offers the trail lists: all of them, or the latest the room holds (earlier ones come in pages).
  function trailSpan(shown) {
    if (!S.earlier) return "every offer";
    return shown ? `the latest ${shown} of ${S.offers} offers` : `${S.offers} offer${S.offers === 1 ? "" : "s"}, in the earlier messages`;
  }

  function outcome() {
    const box = $("room-outcome");
    if (S.status !== "agreed" && S.status !== "impasse") {
      box.hidden = true;
      return;
    }
    const wasHidden = box.hidden;
    box.replaceChildren();
    box.className = `outcome outcome-${S.status}`;
    // The survey comes before the results (the page names it in data-survey): until it is answered or
    // skipped, the outcome says how the negotiation ended, with no points, and leads to the survey.
    const results = !(S.surveyFirst && view.canAct());
    const surveyNext = () =>
      el(
        "p",
        { class: "survey-next" },
        "Your points, how they compare and your counterpart's role come after a short survey about how the negotiation felt to you (16 questions; you may skip it). ",
        el("a", { href: S.surveyFirst, class: "survey-link" }, "Answer the survey"),
      );
    if (S.status === "agreed" && S.agreement) {
      const offers = S.events.filter((e) => e.type === "offer");
      const accept = S.events.filter((e) => e.type === "accept").pop();
      box.append(
        el("h3", { text: "Agreement reached" }),
        el("p", { class: "meta", text: accept ? `${view.nameOf(accept.role)} accepted ${view.whose(view.partnerOf(accept.role))} ${view.offerName(accept.payload.offer_seq)} at ${clock(accept.at)}.` : "" }),
        settlementNote(accept, results),
        view.termsList(S.agreement),
        results
          ? el(
              "p",
              { class: "outcome-points" },
              `${view.pointsLabel()}: `,
              el("strong", { text: pts(view.points(S.agreement)) }),
              el("span", { class: "meta", text: ` (the alternative without agreement: ${pts(S.me.batna)})` }),
            )
          : surveyNext(),
        el("h4", { text: `How you got there: ${trailSpan(offers.length)}${results ? `, with ${view.canAct() ? "your" : "these"} points for it` : ""}` }),
        el(
          "ol",
          { class: "trail" },
          offers.map((offer) => {
            const taken = accept && accept.payload.offer_seq === offer.seq;
            const packages = offer.payload.packages;
            const several = packages.length > 1 ? ` (${packages.length} packages)` : "";
            let said = taken ? `: ${several ? `package ${accept.payload.package + 1} ` : ""}accepted` : "";
            if (results) {
              const points = packages.map((pkg, i) => {
                const mark = taken && accept.payload.package === i ? " (accepted)" : "";
                return `${pts(view.points(pkg))} points${mark}`;
              });
              said = `: ${points.join(" / ")}`;
            }
            return el(
              "li",
              { class: taken ? "taken" : null },
              el("strong", { text: view.nameOf(offer.role) }),
              ` at ${clock(offer.at)}, ${view.offerName(offer.seq)}${several}`,
              said,
            );
          }),
        ),
        el("p", { class: "meta", text: S.earlier ? "Earlier offers and messages come into the timeline below with “Show earlier messages”." : "Every message and offer is in the timeline below." }),
      );
    } else {
      const e = S.ending;
      let reason = "The negotiation ended without agreement.";
      if (e && e.type === "walk_away") {
        reason = `${view.nameOf(e.role)} walked away${e.payload.reason ? `: “${e.payload.reason}”` : "."}`;
      } else if (e && e.type === "deadline") reason = "Time ran out before an agreement.";
      else if (e && e.type === "ended") reason = "The instructor ended the round before an agreement.";
      box.append(
        el("h3", { text: "No agreement" }),
        el("p", { text: reason }),
        results
          ? el(
              "p",
              { class: "outcome-points" },
              `${view.canAct() ? "Your result is your alternative (BATNA)" : `${view.roleName(S.me.role)} gets the alternative (BATNA)`}: `,
              el("strong", { text: `${pts(S.me.batna)} points` }),
            )
          : surveyNext(),
      );
    }
    box.hidden = false;
    if (!wasHidden || !S.live) return;
    // The controls are gone with the negotiation: a focus that was on one of them goes to the outcome,
    // so that the keyboard (and a screen reader) carries on from there, not from the top of the page.
    const focused = document.activeElement;
    if (!focused || focused === document.body || $("room-actions").contains(focused)) {
      box.focus({ preventScroll: true });
    }
    box.scrollIntoView({ block: "nearest" });
  }
  return { table, outcome };
}
