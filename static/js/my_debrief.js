// A student's own debrief (templates/student/_debrief.html): the class's outcomes without names, their
// own pair highlighted, and the same points as a data table. The numbers come from the page's JSON.
(function () {
  "use strict";
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const interpolate = (text, values) => text.replace(/%\((\w+)\)s/g, (m, name) => (name in values ? String(values[name]) : m));
  const box = document.getElementById("my-chart");
  const source = document.getElementById("my-debrief-data");
  if (!box || !source || !window.ParleyCharts || !window.ParleyLive) return;
  const C = window.ParleyCharts;
  const { el } = window.ParleyLive;
  const data = JSON.parse(source.textContent);
  const [a, b] = data.roles;

  function draw() {
    const width = Math.max(340, Math.min(720, Math.round(box.clientWidth || 640)));
    box.replaceChildren(
      C.outcomePlane({
        id: "chart-mine",
        width,
        title: gettext("Your result among the class"),
        desc: interpolate(gettext("Every pair's points, without names: %(across)s across, %(up)s up. Yours is highlighted."), { across: a.name, up: b.name }),
        roles: [a, b],
        frontier: data.frontier,
        legend: [
          { label: gettext("Your pair"), cls: "point mine" },
          { label: gettext("Other pairs"), cls: "point other" },
          { label: gettext("Best possible (frontier)"), cls: "frontier", kind: "line" },
          { label: "BATNA", cls: "batna", kind: "line" },
        ],
        series: [
          { cls: "other", points: data.points.filter((p) => !p.mine).map((p) => ({ x: p.a, y: p.b })) },
          { cls: "mine", radius: 8, points: data.points.filter((p) => p.mine).map((p) => ({ x: p.a, y: p.b, title: gettext("Your pair") })) },
        ],
      }),
    );
  }

  function table() {
    const rows = data.points
      .slice()
      .sort((p, q) => q.a + q.b - (p.a + p.b))
      .map((p) =>
        el(
          "tr",
          {},
          el("td", { text: C.fmt(p.a) }),
          el("td", { text: C.fmt(p.b) }),
          el("td", { class: "text", text: p.mine ? (p.impasse ? gettext("impasse (yours)") : gettext("agreement (yours)")) : p.impasse ? gettext("impasse") : gettext("agreement") }),
        ),
      );
    document.getElementById("my-chart-table").replaceChildren(
      el(
        "table",
        { class: "data-table" },
        el("caption", { text: gettext("Every pair's points, most joint points first") }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: a.name }), el("th", { scope: "col", text: b.name }), el("th", { scope: "col", text: gettext("Result") }))),
        el("tbody", {}, rows),
      ),
    );
  }

  draw();
  table();
  let last = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - last) > 40) {
      last = window.innerWidth;
      draw();
    }
  });
})();
