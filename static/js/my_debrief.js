// A student's own debrief (templates/student/_debrief.html): the class's outcomes without names, their
// own pair highlighted, and the same points as a data table. The numbers come from the page's JSON.
(function () {
  "use strict";
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
        title: "Your result among the class",
        desc: `Every pair's points, without names: ${a.name} across, ${b.name} up. Yours is highlighted.`,
        roles: [a, b],
        frontier: data.frontier,
        legend: [
          { label: "Your pair", cls: "point mine" },
          { label: "Other pairs", cls: "point other" },
          { label: "Best possible (frontier)", cls: "frontier", kind: "line" },
          { label: "BATNA", cls: "batna", kind: "line" },
        ],
        series: [
          { cls: "other", points: data.points.filter((p) => !p.mine).map((p) => ({ x: p.a, y: p.b })) },
          { cls: "mine", radius: 8, points: data.points.filter((p) => p.mine).map((p) => ({ x: p.a, y: p.b, title: "Your pair" })) },
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
          el("td", { class: "text", text: `${p.impasse ? "impasse" : "agreement"}${p.mine ? " (yours)" : ""}` }),
        ),
      );
    document.getElementById("my-chart-table").replaceChildren(
      el(
        "table",
        { class: "data-table" },
        el("caption", { text: "Every pair's points, most joint points first" }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: a.name }), el("th", { scope: "col", text: b.name }), el("th", { scope: "col", text: "Result" }))),
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
