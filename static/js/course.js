// A course's page: for each scenario version compared, one outcome plane with every pair of every section
// (a colour and a shape per section, named in the legend), drawn from the page's JSON
// (reports/course_pages.py) with the debrief's charts (charts.js). The tables are the page's own HTML.
(function () {
  "use strict";
  const root = document.getElementById("course");
  if (!root || !window.ParleyCharts) return;
  const C = window.ParleyCharts;

  // Every string this page shows, in one place.
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const ngettext = (one, many, n) => (typeof window.ngettext === "function" ? window.ngettext(one, many, n) : n === 1 ? one : many);
  const f = (text, values) => text.replace(/%\((\w+)\)s/g, (m, name) => (name in values ? String(values[name]) : m));
  const MESSAGES = {
    title: gettext("Outcomes by section against the Pareto frontier"),
    desc: (a, b, parts) => f(gettext("Each pair's points: %(a)s across, %(b)s up. %(parts)s."), { a, b, parts }),
    sectionPart: (name, agreed, impasses) =>
      f(gettext("%(name)s: %(agreements)s, %(impasses)s"), {
        name,
        agreements: f(ngettext("%(n)s agreement", "%(n)s agreements", agreed), { n: agreed }),
        impasses: f(ngettext("%(n)s impasse", "%(n)s impasses", impasses), { n: impasses }),
      }),
    legendSection: (name, n) => f(ngettext("%(name)s (%(n)s pair)", "%(name)s (%(n)s pairs)", n), { name, n }),
    impasse: gettext("Impasse (at the BATNAs)"),
    frontier: gettext("Pareto frontier"),
    batna: gettext("BATNA"),
    nash: gettext("Nash point"),
    nashLabel: gettext("Nash"),
    pointTitle: (section, pair, a, aPoints, b, bPoints, impasse) =>
      f(impasse ? gettext("%(section)s, pair %(pair)s: impasse, %(a)s %(ap)s, %(b)s %(bp)s") : gettext("%(section)s, pair %(pair)s: %(a)s %(ap)s, %(b)s %(bp)s"), {
        section, pair, a, ap: aPoints, b, bp: bPoints,
      }),
    downloadPng: gettext("Download PNG"),
    downloadSvg: gettext("Download SVG"),
  };

  const NUDGE = 11; // pixels between the markers of sections whose agreements coincide
  const data = JSON.parse(document.getElementById("course-data").textContent);

  function button(label, kind, onclick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary";
    b.dataset.download = kind;
    b.textContent = label;
    b.addEventListener("click", onclick);
    return b;
  }

  function fileName(comparison) {
    const name = `${data.course.name}-${comparison.version.slug}-v${comparison.version.number}`;
    return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "course";
  }

  function draw(comparison) {
    const panel = document.getElementById(`comparison-${comparison.version.id}`);
    if (!panel) return;
    const chart = panel.querySelector(".chart");
    const [a, b] = comparison.roles;
    const fmt = C.fmt;
    const point = (section) => (p) => ({
      x: p.a,
      y: p.b,
      title: MESSAGES.pointTitle(section.name, p.pair, a.name, fmt(p.a), b.name, fmt(p.b), p.impasse),
    });
    // Where agreements of several sections coincide, each section's marker is nudged sideways, so that none
    // hides another's (the title and the data table keep the exact points).
    const sharing = new Map();
    for (const section of comparison.sections) {
      for (const key of new Set(section.points.filter((p) => !p.impasse).map((p) => `${p.a}|${p.b}`))) {
        sharing.set(key, [...(sharing.get(key) || []), section.mark]);
      }
    }
    const nudged = (section) => (p) => {
      const marks = sharing.get(`${p.a}|${p.b}`);
      const i = marks.indexOf(section.mark);
      return { ...point(section)(p), dx: NUDGE * (i - (marks.length - 1) / 2) };
    };
    const series = comparison.sections.map((section) => ({
      cls: `section-${section.mark % 8}`,
      shape: section.shape,
      points: section.points.filter((p) => !p.impasse).map(nudged(section)),
    }));
    const impasses = comparison.sections.flatMap((section) => section.points.filter((p) => p.impasse).map(point(section)));
    series.push({ cls: "impasse", shape: "cross", points: impasses });
    const legend = comparison.sections.map((section) => ({
      label: MESSAGES.legendSection(section.name, section.points.length),
      cls: `point section-${section.mark % 8}`,
      shape: section.shape,
    }));
    legend.push(
      { label: MESSAGES.impasse, cls: "point impasse", shape: "cross" },
      { label: MESSAGES.frontier, cls: "frontier", kind: "line" },
      { label: MESSAGES.batna, cls: "batna", kind: "line" },
      { label: MESSAGES.nash, cls: "nash", shape: "diamond" },
    );
    const parts = comparison.sections
      .map((s) => MESSAGES.sectionPart(s.name, s.points.filter((p) => !p.impasse).length, s.points.filter((p) => p.impasse).length))
      .join("; ");
    const width = Math.max(340, Math.min(860, Math.round(chart.clientWidth || 640)));
    const svg = C.outcomePlane({
      id: `chart-course-${comparison.version.id}`,
      width,
      title: MESSAGES.title,
      desc: MESSAGES.desc(a.name, b.name, parts),
      roles: [a, b],
      frontier: comparison.frontier,
      batnaLabels: true,
      legend,
      series,
      marks: comparison.nash ? [{ x: comparison.nash[0], y: comparison.nash[1], cls: "nash", label: MESSAGES.nashLabel }] : [],
    });
    chart.replaceChildren(svg);
    const name = fileName(comparison);
    const answer = document.createElement("span");
    answer.className = "answer";
    answer.setAttribute("role", "status");
    panel.querySelector(".chart-tools").replaceChildren(
      button(MESSAGES.downloadPng, "png", () => C.downloadPng(svg, name).catch((e) => (answer.textContent = e.message))),
      button(MESSAGES.downloadSvg, "svg", () => C.downloadSvg(svg, name)),
      answer,
    );
  }

  function drawAll() {
    for (const comparison of data.comparisons) draw(comparison);
  }

  drawAll();
  let width = root.clientWidth;
  window.addEventListener("resize", () => {
    if (root.clientWidth !== width) {
      width = root.clientWidth;
      drawAll();
    }
  });
})();
