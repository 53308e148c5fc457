// How the room names people and shows packages, for the participant whose page it is: names, the
// terms of a package and that participant's own points for it (the snapshot carries no one else's).
// Every text from the server or the other side goes in with textContent, never as HTML.
import { formatNumber, formatTime } from "../format.js";
import { gettext, interpolate } from "../i18n.js";
import { offerNumber, packagePoints } from "./state.js";

export { formatNumber };
export const pts = (p) => formatNumber(p);

// The plain warning for a package worth less to me than my BATNA; null when it is not.
export function batnaWarning(points, batna) {
  if (points === null || batna === null || batna === undefined || !(points < batna)) return null;
  return interpolate(gettext("Below your BATNA: this package gives you %(points)s points, %(fewer)s fewer than the %(batna)s you get with no agreement."), {
    points: pts(points),
    fewer: pts(batna - points),
    batna: pts(batna),
  });
}

// In a post-settlement round: the warning for a package worth less to me than my current agreement.
export function floorWarning(points, floor) {
  if (points === null || floor === null || !(points < floor)) return null;
  return interpolate(
    gettext("Below your current agreement: this package gives you %(points)s points, %(fewer)s fewer than the %(floor)s your agreement gives you. The server refuses it."),
    { points: pts(points), fewer: pts(floor - points), floor: pts(floor) },
  );
}

export function sentence(text) {
  const t = String(text || "").trim();
  if (!t) return "";
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

export const clock = (iso) => formatTime(iso);

// A phrase that begins a line, with its first letter in upper case ("la oferta 1 de Ada" -> "La oferta ...").
export const upper = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

export function show(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

// The helpers that depend on who is looking (S.me, S.roles, S.seats, S.issues of the room's state).
export function createView(S, el) {
  const canAct = () => Boolean(S.me && S.me.can_act);
  const partnerOf = (role) => {
    const other = S.roles.find((r) => r.key !== role);
    return other ? other.key : null;
  };
  const partnerRole = () => {
    const other = S.roles.find((r) => S.me && r.key !== S.me.role);
    return other ? other.key : null;
  };
  const roleName = (key) => (S.roles.find((r) => r.key === key) || { name: key }).name;
  // A seat's name: its student's, or (a bot, the instructor) what sits there, in the page's language.
  const SEAT_KINDS = { bot: () => gettext("Bot"), instructor: () => gettext("Instructor") };
  const seatOf = (role) => {
    const seat = S.seats.find((s) => s.role === role && s.kind !== "observer");
    return seat && SEAT_KINDS[seat.kind] ? { ...seat, name: SEAT_KINDS[seat.kind]() } : seat;
  };
  const mine = (role) => canAct() && role === S.me.role;
  function nameOf(role) {
    if (!role) return "Parley";
    if (mine(role)) return gettext("You");
    const seat = seatOf(role);
    return seat ? seat.name : roleName(role);
  }
  const pointsLabel = () => (canAct() ? gettext("Your points") : interpolate(gettext("Points for %(role)s"), { role: roleName(S.me.role) }));
  const points = (pkg) => packagePoints(S.issues, pkg);
  // "offer 3" (numbered as offers, not by event), or "earlier offer" for one further back than the
  // events read.
  const offerName = (seq) => {
    const n = offerNumber(S, seq);
    return n === null ? gettext("earlier offer") : interpolate(gettext("offer %(number)s"), { number: n });
  };
  // Whose offer, as one phrase a language can order its own way: "your offer 3", "Ben’s offer 3",
  // "Ben’s earlier offer".
  const offerOf = (role, seq) =>
    mine(role)
      ? interpolate(gettext("your %(offer)s"), { offer: offerName(seq) })
      : interpolate(gettext("%(name)s’s %(offer)s"), { name: nameOf(role), offer: offerName(seq) });

  // Whether the event numbered `seq` came in a post-settlement round (after its opening, among the events read).
  const settled = (seq) => S.events.some((e) => e.type === "settlement_opened" && e.seq < seq);

  function termLabel(issue, value) {
    if (issue.kind === "numeric") return `${formatNumber(value)}${issue.unit ? ` ${issue.unit}` : ""}`;
    const option = issue.options.find((o) => o.key === String(value));
    return option ? option.label : String(value);
  }

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
          ? el("thead", {}, el("tr", {}, el("td"), packages.map((_, i) => el("th", { scope: "col", "data-package": i, text: interpolate(gettext("Package %(number)s"), { number: i + 1 }) }))))
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
            packages.map((p, i) => el("td", { "data-package": i }, el("strong", { text: pts(points(p)) }))),
          ),
        ),
      ),
    );
  }

  // My floor: the points of my current agreement in a post-settlement round (what I keep without a better
  // one; the server refuses less), else my BATNA; null when it is not known.
  const floorPoints = () => (S.status === "settling" ? (S.agreement ? points(S.agreement) : null) : S.me ? S.me.batna : null);
  // The plain warning for a package worth less to me than my floor; null when it is not.
  const belowFloor = (packagePoints) => (S.status === "settling" ? floorWarning(packagePoints, floorPoints()) : batnaWarning(packagePoints, floorPoints()));

  function packageBox(pkg, title, extra) {
    // Said on the card itself, before any button: a package worth less to me than my floor.
    const warning = canAct() ? belowFloor(points(pkg)) : null;
    return el(
      "div",
      { class: "package-box" },
      title ? el("h4", { text: title }) : null,
      termsList(pkg),
      el("p", { class: "package-points" }, interpolate(gettext("%(label)s: "), { label: pointsLabel() }), el("strong", { text: pts(points(pkg)) })),
      warning ? el("p", { class: "warning package-warning", text: warning }) : null,
      extra || null,
    );
  }

  return { canAct, partnerOf, partnerRole, roleName, seatOf, mine, nameOf, offerOf, pointsLabel, points, floorPoints, belowFloor, offerName, settled, termLabel, termsList, packagesTable, packageBox };
}
