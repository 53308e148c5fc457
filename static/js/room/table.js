// What the room shows beside the timeline: the offers on the table, with a button to accept each
// package of the partner's and forms to reject it or withdraw my own; and the outcome once it ends,
// with the trail of offers that led to an agreement.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { clock, pts, upper } from "./view.js";

const f = (text, values) => interpolate(text, values);
const packageTitle = (i) => f(gettext("Package %(number)s"), { number: i + 1 });

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
          packageTitle(i),
          el("button", {
            type: "button",
            class: "button",
            "data-offer-seq": theirs.seq,
            text: f(gettext("Accept package %(number)s"), { number: i + 1 }),
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
        el("div", { class: "field" }, el("label", { for: "reject-reason", text: gettext("Reason for rejecting (optional)") }), reason),
        el("button", { type: "submit", class: "button secondary", text: gettext("Reject") }),
      );
      their.append(
        el(
          "div",
          { class: "standing standing-theirs" },
          el("h4", {
            text: upper(
              several
                ? f(gettext("%(offer)s: %(count)s packages, accept any one"), { offer: view.offerOf(view.partnerRole(), theirs.seq), count: theirs.packages.length })
                : view.offerOf(view.partnerRole(), theirs.seq),
            ),
          }),
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
        text: gettext("Withdraw"),
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
          el("h4", { text: f(gettext("Your %(offer)s, waiting for an answer"), { offer: view.offerName(own.seq) }) }),
          el(
            "div",
            { class: `packages-row${several ? " several" : ""}` },
            own.packages.map((pkg, i) => view.packageBox(pkg, several ? packageTitle(i) : null)),
          ),
          withdraw,
        ),
      );
    }
  }

  // After a post-settlement round (docs/protocol.md): whether it replaced the agreement, and from what.
  // The note on a post-settlement round: none (an empty string, which appends nothing) without one.
  function settlementNote(accept, results) {
    const opened = S.events.find((e) => e.type === "settlement_opened");
    if (!opened) return "";
    const first = S.events.filter((e) => e.type === "accept" && e.seq < opened.seq).pop();
    if (!(accept && accept.seq > opened.seq)) return el("p", { class: "settlement-note", text: gettext("The post-settlement round left the agreement as it was.") });
    const text =
      first && results
        ? f(gettext("The post-settlement round replaced the first agreement with this one, at least as good for both of you (%(before)s points before, %(now)s now)."), {
            before: pts(view.points(first.payload.terms)),
            now: pts(view.points(S.agreement)),
          })
        : gettext("The post-settlement round replaced the first agreement with this one, at least as good for both of you.");
    return el("p", { class: "settlement-note", text });
  }

  // Which offers the trail lists: all of them, or the latest the room holds (earlier ones come in pages).
  function trailSpan(shown) {
    if (!S.earlier) return gettext("every offer");
    if (shown) return f(gettext("the latest %(shown)s of %(count)s offers"), { shown, count: S.offers });
    return f(ngettext("%(count)s offer, in the earlier messages", "%(count)s offers, in the earlier messages", S.offers), { count: S.offers });
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
        `${gettext("Your points, how they compare and your counterpart's role come after a short survey about how the negotiation felt to you (16 questions; you may skip it).")} `,
        el("a", { href: S.surveyFirst, class: "survey-link" }, gettext("Answer the survey")),
      );
    if (S.status === "agreed" && S.agreement) {
      const offers = S.events.filter((e) => e.type === "offer");
      const accept = S.events.filter((e) => e.type === "accept").pop();
      box.append(
        el("h3", { text: gettext("Agreement reached") }),
        el("p", {
          class: "meta",
          text: accept
            ? f(view.mine(accept.role) ? gettext("You accepted %(offer)s at %(time)s.") : gettext("%(name)s accepted %(offer)s at %(time)s."), {
                name: view.nameOf(accept.role),
                offer: view.offerOf(view.partnerOf(accept.role), accept.payload.offer_seq),
                time: clock(accept.at),
              })
            : "",
        }),
        settlementNote(accept, results),
        view.termsList(S.agreement),
        results
          ? el(
              "p",
              { class: "outcome-points" },
              f(gettext("%(label)s: "), { label: view.pointsLabel() }),
              el("strong", { text: pts(view.points(S.agreement)) }),
              el("span", { class: "meta", text: f(gettext(" (the alternative without agreement: %(batna)s)"), { batna: pts(S.me.batna) }) }),
            )
          : surveyNext(),
        el("h4", {
          text: f(
            !results
              ? gettext("How you got there: %(offers)s")
              : view.canAct()
                ? gettext("How you got there: %(offers)s, with your points for it")
                : gettext("How you got there: %(offers)s, with these points for it"),
            { offers: trailSpan(offers.length) },
          ),
        }),
        el(
          "ol",
          { class: "trail" },
          offers.map((offer) => {
            const taken = accept && accept.payload.offer_seq === offer.seq;
            const packages = offer.payload.packages;
            const several = packages.length > 1 ? f(gettext(" (%(count)s packages)"), { count: packages.length }) : "";
            let said = "";
            if (taken) said = several ? f(gettext(": package %(number)s accepted"), { number: accept.payload.package + 1 }) : gettext(": accepted");
            if (results) {
              const points = packages.map((pkg, i) =>
                f(taken && accept.payload.package === i ? gettext("%(points)s points (accepted)") : gettext("%(points)s points"), { points: pts(view.points(pkg)) }),
              );
              said = `: ${points.join(" / ")}`;
            }
            return el(
              "li",
              { class: taken ? "taken" : null },
              el("strong", { text: view.nameOf(offer.role) }),
              f(gettext(" at %(time)s, %(offer)s"), { time: clock(offer.at), offer: view.offerName(offer.seq) }) + several,
              said,
            );
          }),
        ),
        el("p", { class: "meta", text: S.earlier ? gettext("Earlier offers and messages come into the timeline below with “Show earlier messages”.") : gettext("Every message and offer is in the timeline below.") }),
      );
    } else {
      const e = S.ending;
      let reason = gettext("The negotiation ended without agreement.");
      if (e && e.type === "walk_away") {
        const said = e.payload.reason ? f(gettext(": “%(reason)s”"), { reason: e.payload.reason }) : ".";
        reason = f(view.mine(e.role) ? gettext("You walked away") : gettext("%(name)s walked away"), { name: view.nameOf(e.role) }) + said;
      } else if (e && e.type === "deadline") reason = gettext("Time ran out before an agreement.");
      else if (e && e.type === "ended") reason = gettext("The instructor ended the round before an agreement.");
      box.append(
        el("h3", { text: gettext("No agreement") }),
        el("p", { text: reason }),
        results
          ? el(
              "p",
              { class: "outcome-points" },
              view.canAct() ? gettext("Your result is your alternative (BATNA): ") : f(gettext("%(role)s gets the alternative (BATNA): "), { role: view.roleName(S.me.role) }),
              el("strong", { text: f(gettext("%(points)s points"), { points: pts(S.me.batna) }) }),
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
