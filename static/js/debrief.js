// The instructor's class debrief: draws every chart, table and figure from the page's JSON
// (negotiations/debrief_pages.py). It listens on the monitor socket and, when the server announces
// that the debrief is ready (a `debrief` frame), or after a reconnect, fetches the JSON and redraws.
(function () {
  "use strict";
  // The page's language: Django's JavaScript catalogue (base.html) defines these; without it, English.
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const ngettext = (one, many, n) => (typeof window.ngettext === "function" ? window.ngettext(one, many, n) : n === 1 ? one : many);
  const pgettext = (context, text) => (typeof window.pgettext === "function" ? window.pgettext(context, text) : text);
  const f = (text, values) => text.replace(/%\((\w+)\)s/g, (m, name) => (name in values ? String(values[name]) : m));
  const AGREED = pgettext("the value or term agreed", "Agreed");
  const root = document.getElementById("debrief");
  if (!root || !window.ParleyLive || !window.ParleyCharts) return;

  const { el } = window.ParleyLive;
  const C = window.ParleyCharts;
  const $ = (id) => document.getElementById(id);
  const initial = JSON.parse($("debrief-data").textContent);
  const state = { data: initial, fetching: null, again: false, poller: null, open: new Map(), gaveGotOpen: new Set(), ended: initial.exercise.state === "ended" };

  // ---- Formatting ---------------------------------------------------------------------------------

  const fmt = C.fmt;
  // 0.5 -> "50%" (en), "50 %" (de, es), as the page's language writes a percentage.
  const percent = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", maximumFractionDigits: 0 });
  const pct = (v) => (v === null || v === undefined ? "—" : percent.format(v));
  const yesNo = (v) => (v === null || v === undefined ? "—" : v ? gettext("yes") : gettext("no"));
  // A name inside a sentence: lower case, but for German, which writes its nouns with a capital.
  const lower = (text) => ((document.documentElement.lang || "en").startsWith("de") ? text : text.toLowerCase());
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.round(seconds);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function chartWidth(panel, most = 720) {
    const w = panel.querySelector(".chart").clientWidth || 640;
    return Math.max(340, Math.min(most, Math.round(w)));
  }

  // A real table for screen readers and for copying numbers: caption, column heads, rows.
  function dataTable(caption, heads, rows) {
    return el(
      "table",
      { class: "data-table" },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell, i) => (i === 0 ? el("th", { scope: "row", text: String(cell) }) : el("td", { text: String(cell) })))))),
    );
  }

  function fileName(slug) {
    const title = (state.data.exercise.title || "debrief").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    return `${title || "debrief"}-${slug}`;
  }

  // Put a chart, its download buttons and its data table into a panel (or hide the panel).
  function fill(panelId, svg, table, slug) {
    const panel = $(panelId);
    if (!svg) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    panel.querySelector(".chart").replaceChildren(svg);
    const answer = el("span", { class: "answer", role: "status" });
    const name = fileName(slug);
    panel.querySelector(".chart-tools").replaceChildren(
      el("button", { type: "button", class: "button secondary", "data-download": "png", onclick: () => C.downloadPng(svg, name).catch((e) => (answer.textContent = e.message)) }, gettext("Download PNG")),
      el("button", { type: "button", class: "button secondary", "data-download": "svg", onclick: () => C.downloadSvg(svg, name) }, gettext("Download SVG")),
      answer,
    );
    panel.querySelector(".chart-table").replaceChildren(table);
  }

  // ---- The charts ---------------------------------------------------------------------------------

  function roles() {
    return state.data.scenario.roles;
  }

  function pairTitle(pair) {
    const [a, b] = roles();
    const pts = `${a.name} ${fmt(pair.outcome.points[a.key])}, ${b.name} ${fmt(pair.outcome.points[b.key])}`;
    const who = peopleText(pair);
    const name = pairName(pair.number, who);
    return pair.outcome.impasse ? f(gettext("%(pair)s: impasse, %(points)s"), { pair: name, points: pts }) : `${name}: ${pts}`;
  }

  // "Pair 3", or "Pair 3 (Ana and Ben)" where names are shown.
  function pairName(number, who = "") {
    return who ? f(gettext("Pair %(number)s (%(people)s)"), { number, people: who }) : f(gettext("Pair %(number)s"), { number });
  }

  const rolePoints = (role) => f(gettext("%(role)s points"), { role: role.name });
  const askedFirst = (name) => f(gettext("%(role)s asked first"), { role: name });

  function peopleText(pair) {
    if (state.data.projector || !pair.people) return "";
    return roles().map((r) => (pair.people[r.key] || []).join(", ")).filter(Boolean).join(gettext(" and "));
  }

  function outcomeChart(panel) {
    const d = state.data.debrief;
    const [a, b] = roles();
    const figures = d.scenario;
    const pairs = d.pairs;
    const point = (p) => ({ x: p.outcome.points[a.key], y: p.outcome.points[b.key], title: pairTitle(p) });
    const agreed = pairs.filter((p) => !p.outcome.impasse);
    const svg = C.outcomePlane({
      id: "chart-outcomes",
      width: chartWidth(panel),
      title: gettext("Outcomes against the Pareto frontier"),
      desc: f(gettext("Each pair's points: %(a)s across, %(b)s up. %(parts)s."), {
        a: a.name,
        b: b.name,
        parts: `${f(ngettext("%(n)s agreement", "%(n)s agreements", agreed.length), { n: agreed.length })}, ${f(ngettext("%(n)s impasse", "%(n)s impasses", pairs.length - agreed.length), { n: pairs.length - agreed.length })}`,
      }),
      roles: [a, b],
      frontier: figures.frontier,
      batnaLabels: true,
      legend: [
        { label: gettext("Pareto-optimal agreement"), cls: "point pareto" },
        { label: gettext("Other agreement"), cls: "point" },
        { label: gettext("Impasse (at the BATNAs)"), cls: "point impasse", shape: "cross" },
        { label: gettext("Pareto frontier"), cls: "frontier", kind: "line" },
        { label: gettext("BATNA"), cls: "batna", kind: "line" },
        { label: gettext("Nash point"), cls: "nash", shape: "diamond" },
      ],
      series: [
        { cls: "pareto", points: agreed.filter((p) => p.outcome.pareto_optimal).map(point) },
        { cls: "", points: agreed.filter((p) => !p.outcome.pareto_optimal).map(point) },
        { cls: "impasse", shape: "cross", points: pairs.filter((p) => p.outcome.impasse).map(point) },
      ],
      marks: figures.nash ? [{ x: figures.nash[0], y: figures.nash[1], cls: "nash", label: gettext("Nash") }] : [],
    });
    const rows = pairs.map((p) => [
      pairName(p.number),
      fmt(p.outcome.points[a.key]),
      fmt(p.outcome.points[b.key]),
      p.outcome.impasse ? gettext("impasse") : gettext("agreed"),
      yesNo(p.outcome.pareto_optimal),
    ]);
    if (figures.nash) rows.push([gettext("Nash point"), fmt(figures.nash[0]), fmt(figures.nash[1]), "", gettext("yes")]);
    rows.push([gettext("BATNAs"), fmt(a.batna), fmt(b.batna), "", ""]);
    const table = dataTable(gettext("Outcome of each pair"), [gettext("Pair"), rolePoints(a), rolePoints(b), gettext("Result"), gettext("Pareto-optimal")], rows);
    fill("panel-outcomes", svg, table, "outcomes");
  }

  // Bins over [lo, hi] of a width that is a multiple of `unit` (a price step, a point), about ten.
  // From the top down (`fromTop`) the last bin ends exactly at hi: (hi - w, hi], (hi - 2w, hi - w], ...
  function bins(values, lo, hi, unit, fromTop = false) {
    const span = Math.max(unit, hi - lo);
    let width = Math.max(unit, C.niceStep(span, 10));
    width = Math.ceil(width / unit) * unit;
    const out = [];
    if (fromTop) {
      for (let x1 = hi; ; x1 -= width) {
        out.unshift({ x0: x1 - width, x1, count: 0 });
        if (x1 - width < lo) break;
      }
      for (const v of values) {
        const fromHi = Math.min(out.length - 1, Math.max(0, Math.floor((hi - v) / width)));
        out[out.length - 1 - fromHi].count += 1;
      }
      return out;
    }
    const start = Math.floor(lo / width) * width;
    for (let x = start; x <= hi; x += width) out.push({ x0: x, x1: x + width, count: 0 });
    for (const v of values) {
      const i = Math.min(out.length - 1, Math.max(0, Math.floor((v - start) / width)));
      out[i].count += 1;
    }
    return out;
  }

  function jointChart(panel) {
    const d = state.data.debrief;
    const joints = d.pairs.map((p) => p.outcome.joint);
    const max = d.scenario.max_joint;
    const [a, b] = roles();
    const lo = Math.min(...joints, a.batna + b.batna);
    const binsOut = bins(joints, lo, max, 1, true);
    const svg = C.histogram({
      id: "chart-joint",
      width: chartWidth(panel),
      title: gettext("Joint gain (value created)"),
      desc: f(gettext("How many pairs reached each joint gain. The most any agreement can create is %(max)s."), { max: fmt(max) }),
      xLabel: gettext("Joint gain: both sides' points added"),
      yLabel: gettext("Pairs"),
      bins: binsOut,
      x: [binsOut[0].x0, max],
      marks: [{ x: max, label: f(gettext("Maximum %(max)s"), { max: fmt(max) }) }],
    });
    const table = dataTable(
      f(gettext("Joint gain by pair (maximum %(max)s)"), { max: fmt(max) }),
      [gettext("Pair"), gettext("Joint gain"), gettext("Efficiency"), gettext("Value left on the table")],
      d.pairs.map((p) => [pairName(p.number), fmt(p.outcome.joint), pct(p.outcome.efficiency), fmt(p.outcome.value_left)]),
    );
    fill("panel-joint", svg, table, "joint-gain");
  }

  function zoneText(price) {
    const unit = price.unit ? ` ${price.unit}` : "";
    const z = price.zone;
    const any = price.zone_any_terms;
    const first = z
      ? f(gettext("With the other terms as in the Nash package, both sides are at or above their BATNA from %(low)s to %(high)s (shaded)."), { low: fmt(z[0]), high: `${fmt(z[1])}${unit}` })
      : gettext("No value leaves both sides at or above their BATNA with the Nash package's other terms.");
    const second = any ? ` ${f(gettext("With other terms chosen freely, any value from %(low)s to %(high)s can be part of such a deal."), { low: fmt(any[0]), high: `${fmt(any[1])}${unit}` })}` : "";
    return first + second;
  }

  function priceChart(panel) {
    const price = state.data.scenario.price;
    const d = state.data.debrief;
    if (!price) return fill("panel-price", null);
    const agreed = d.pairs.filter((p) => p.price && p.price.agreed !== null && p.price.agreed !== undefined);
    const values = agreed.map((p) => p.price.agreed);
    const binsOut = bins(values, price.min, price.max, price.step);
    const zone = price.zone;
    const unit = price.unit ? ` ${price.unit}` : "";
    const svg = C.histogram({
      id: "chart-price",
      width: chartWidth(panel),
      title: f(gettext("%(name)s: agreed values"), { name: price.name }),
      desc: `${f(ngettext("Agreed %(name)s of %(n)s pair.", "Agreed %(name)s of %(n)s pairs.", values.length), { name: lower(price.name), n: values.length })} ${zoneText(price)}`,
      xLabel: `${price.name}${unit ? ` (${price.unit})` : ""}`,
      yLabel: gettext("Pairs"),
      bins: binsOut,
      x: [Math.min(binsOut[0].x0, price.min), Math.max(binsOut[binsOut.length - 1].x1, price.max)],
      band: zone ? { x0: zone[0], x1: zone[1], label: `ZOPA ${fmt(zone[0])}–${fmt(zone[1])}` } : null,
      legend: zone ? [{ label: gettext("Zone of agreement (ZOPA), other terms as in the Nash package"), cls: "band", kind: "band" }] : null,
    });
    $("price-note").textContent = zoneText(price);
    const range = (z) => (z ? `${fmt(z[0])}–${fmt(z[1])}` : gettext("none"));
    const rows = agreed.map((p) => [pairName(p.number), fmt(p.price.agreed), range(p.price.zone)]);
    rows.push([gettext("Zone with the Nash package's other terms"), "", range(zone)]);
    rows.push([gettext("Zone with any other terms"), "", range(price.zone_any_terms)]);
    const caption = f(gettext("Agreed %(name)s by pair"), { name: lower(price.name) });
    fill("panel-price", svg, dataTable(caption, [gettext("Pair"), `${price.name}${unit}`, gettext("Zone given the pair's other terms")], rows), "price");
  }

  function anchoringChart(panel) {
    const d = state.data.debrief;
    const cls = d.class;
    const price = state.data.scenario.price;
    if (!price || !cls.anchoring) return fill("panel-anchoring", null);
    const rs = roles();
    const points = d.pairs.filter((p) => p.price && p.price.agreed !== null && p.price.first_offer !== null && p.price.agreed !== undefined);
    if (!points.length) return fill("panel-anchoring", null); // no agreement with a first offer: nothing to draw
    const roleIndex = (key) => rs.findIndex((r) => r.key === key);
    const xs = points.map((p) => p.price.first_offer);
    const ys = points.map((p) => p.price.agreed);
    const x = C.domain(xs.length ? xs : [price.min, price.max]);
    const y = C.domain(ys.length ? ys : [price.min, price.max]);
    const range = xs.length ? [Math.min(...xs), Math.max(...xs)] : x;
    const fits = [{ ...cls.anchoring, range, cls: "" }];
    const legend = [{ label: gettext("Class regression line"), cls: "fit", kind: "line" }];
    rs.forEach((r, i) => {
      legend.unshift({ label: f(gettext("%(role)s opened"), { role: r.name }), cls: `point role-${i}` });
      const by = (cls.anchoring_by_opener || {})[r.key];
      const own = points.filter((p) => p.price.opener === r.key).map((p) => p.price.first_offer);
      if (by && by.slope !== null && own.length) {
        fits.push({ ...by, range: [Math.min(...own), Math.max(...own)], cls: `role-${i}` });
        legend.push({ label: f(gettext("Line when %(role)s opened"), { role: r.name }), cls: `fit role-${i}`, kind: "line" });
      }
    });
    const r = cls.anchoring.correlation;
    const svg = C.scatter({
      id: "chart-anchoring",
      width: chartWidth(panel),
      title: gettext("Anchoring: first offer against final value"),
      desc: `${f(gettext("Each agreement's first offer (across) and agreed %(name)s (up), coloured by who opened."), { name: lower(price.name) })} ${r === null ? gettext("Too few points for a line.") : f(gettext("Correlation %(r)s, slope %(slope)s."), { r: fmt(r, 2), slope: fmt(cls.anchoring.slope, 2) })}`,
      xLabel: f(gettext("First offer (%(name)s)"), { name: `${lower(price.name)}${price.unit ? `, ${price.unit}` : ""}` }),
      yLabel: f(gettext("Agreed %(name)s"), { name: lower(price.name) }),
      x,
      y,
      legend,
      fits,
      series: rs.map((role, i) => ({
        cls: `role-${i}`,
        points: points.filter((p) => p.price.opener === role.key).map((p) => ({ x: p.price.first_offer, y: p.price.agreed, title: f(gettext("Pair %(number)s: first offer %(first)s, agreed %(agreed)s"), { number: p.number, first: fmt(p.price.first_offer), agreed: fmt(p.price.agreed) }) })),
      })),
    });
    const name = (key) => (rs[roleIndex(key)] || { name: key }).name;
    const rows = points.map((p) => [pairName(p.number), name(p.price.opener), fmt(p.price.first_offer), fmt(p.price.agreed)]);
    const stats = [[gettext("Everyone"), cls.anchoring], ...rs.map((role) => [f(gettext("%(role)s opened"), { role: role.name }), (cls.anchoring_by_opener || {})[role.key]])];
    const table = el(
      "div",
      {},
      dataTable(gettext("First offer and agreed value by pair"), [gettext("Pair"), gettext("Opened by"), gettext("First offer"), AGREED], rows),
      dataTable(
        gettext("Regression of the agreed value on the first offer"),
        [gettext("Agreements"), gettext("Pairs"), gettext("Slope"), gettext("Intercept"), gettext("Correlation r")],
        stats.map(([label, s]) => [label, s ? s.n : 0, s ? fmt(s.slope, 3) : "—", s ? fmt(s.intercept, 1) : "—", s ? fmt(s.correlation, 3) : "—"]),
      ),
    );
    fill("panel-anchoring", svg, table, "anchoring");
  }

  function heatmapChart(panel) {
    const rows = state.data.heatmap || [];
    if (!rows.length) return fill("panel-heatmap", null);
    const svg = C.heatmap({
      id: "chart-heatmap",
      width: chartWidth(panel, 1000),
      title: gettext("Agreements per issue and option"),
      desc: gettext("How many agreements chose each option of each issue. Hatched cells are lose-lose: on a compatible issue, an option worse for both sides than the one both prefer."),
      legend: [{ label: gettext("Lose-lose option (compatible issue)"), cls: "lose-lose", kind: "band" }],
      rows: rows.map((r) => ({ ...r })),
    });
    const table = dataTable(
      gettext("Agreements per option"),
      [gettext("Issue"), gettext("Option"), gettext("Agreements"), gettext("Lose-lose")],
      rows.flatMap((r) => r.cells.map((c) => [r.name, c.label, c.count, yesNo(c.lose_lose)])),
    );
    fill("panel-heatmap", svg, table, "options");
  }

  // ---- Summary figures and the table of pairs ------------------------------------------------------

  function summary() {
    const cls = state.data.debrief.class;
    const fig = state.data.debrief.scenario;
    const items = [
      [gettext("Pairs"), fmt(cls.pairs)],
      [gettext("Agreements"), fmt(cls.agreements)],
      [gettext("Impasse rate"), pct(cls.impasse_rate)],
      [gettext("Pareto-optimal agreements"), pct(cls.pareto_share)],
      [gettext("Mean joint gain"), f(gettext("%(mean)s of %(max)s"), { mean: fmt(cls.joint.mean), max: fmt(fig.max_joint) })],
      [gettext("Lose-lose agreements"), pct(cls.lose_lose_share)],
      [gettext("Logrolling agreements"), pct(cls.logrolling_share)],
    ];
    const meso = cls.meso || {};
    const side = (d) => (d ? f(ngettext("%(mean)s (%(n)s pair)", "%(mean)s (%(n)s pairs)", d.n), { mean: fmt(d.mean), n: d.n }) : gettext("no pair"));
    items.push([gettext("Mean joint gain, pairs that offered several packages at once"), side(meso.with)]);
    items.push([gettext("Mean joint gain, the other pairs"), side(meso.without)]);
    for (const r of roles()) items.push([f(gettext("Median points, %(role)s"), { role: r.name }), fmt(cls.points[r.key].median)]);
    $("summary").replaceChildren(...items.map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: String(v) }))));
  }

  const sort = { key: "number", dir: 1 };

  function columns() {
    const [a, b] = roles();
    const cols = [{ key: "number", label: gettext("Pair"), value: (p) => p.number, show: (p) => pairName(p.number) }];
    if (!state.data.projector) {
      for (const r of [a, b]) cols.push({ key: `people-${r.key}`, label: r.name, value: (p) => ((p.people || {})[r.key] || []).join(", "), text: true });
    }
    cols.push(
      { key: `pts-${a.key}`, label: rolePoints(a), value: (p) => p.outcome.points[a.key] },
      { key: `pts-${b.key}`, label: rolePoints(b), value: (p) => p.outcome.points[b.key] },
      { key: "joint", label: gettext("Joint gain"), value: (p) => p.outcome.joint },
      { key: "efficiency", label: gettext("Efficiency"), value: (p) => p.outcome.efficiency, show: (p) => pct(p.outcome.efficiency) },
      { key: "pareto", label: gettext("Pareto-optimal"), value: (p) => (p.outcome.pareto_optimal ? 1 : 0), show: (p) => yesNo(p.outcome.pareto_optimal) },
      { key: "impasse", label: gettext("Impasse"), value: (p) => (p.outcome.impasse ? 1 : 0), show: (p) => yesNo(p.outcome.impasse) },
      { key: "left", label: gettext("Value left"), value: (p) => p.outcome.value_left },
      { key: "offers", label: gettext("Offers"), value: (p) => p.process.offers, show: (p) => fmt(p.process.offers) },
      { key: "time", label: gettext("Time"), value: (p) => p.process.duration, show: (p) => duration(p.process.duration) },
    );
    return cols;
  }

  function pairsTable() {
    const cols = columns();
    const col = cols.find((c) => c.key === sort.key) || cols[0];
    const rows = state.data.debrief.pairs.slice().sort((p, q) => {
      const x = col.value(p);
      const y = col.value(q);
      if (x === y) return p.number - q.number;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (col.text ? String(x).localeCompare(String(y)) : x - y) * sort.dir;
    });
    const transcript = root.dataset.transcript;
    $("pairs-head").replaceChildren(
      ...cols.map((c) =>
        el(
          "th",
          { scope: "col", "aria-sort": c.key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none" },
          el("button", {
            type: "button",
            class: "sort",
            "data-sort": c.key,
            onclick: () => {
              sort.dir = sort.key === c.key ? -sort.dir : 1;
              sort.key = c.key;
              pairsTable();
              document.querySelector(`#pairs-head [data-sort="${c.key}"]`).focus();
            },
          }, c.label, el("span", { "aria-hidden": "true", class: "sort-mark", text: c.key === sort.key ? (sort.dir > 0 ? " ▲" : " ▼") : "" })),
        ),
      ),
      el("th", { scope: "col", text: gettext("Transcript") }),
    );
    $("pairs-body").replaceChildren(
      ...rows.map((p) =>
        el(
          "tr",
          { class: p.outcome.impasse ? "row-impasse" : "", "data-pair": p.number },
          cols.map((c, i) => {
            const value = c.show ? c.show(p) : typeof c.value(p) === "number" ? fmt(c.value(p)) : c.value(p) || "—";
            return i === 0 ? el("th", { scope: "row", text: value }) : el("td", { class: c.text ? "text" : "", "data-label": c.label, text: value });
          }),
          el("td", { class: "text" }, el("a", { href: transcript.replace(/\/0\/$/, `/${p.number}/`), text: gettext("Read") })),
        ),
      ),
    );
  }

  // ---- What each side gave and got ----------------------------------------------------------------

  function gaveGot() {
    const agreed = state.data.debrief.pairs.filter((p) => p.gave_got).sort((p, q) => p.number - q.number);
    if (!agreed.length) {
      $("gave-got-body").replaceChildren(el("p", { text: gettext("No agreement yet.") }));
      return;
    }
    const names = roles().map((r) => r.name);
    const asked = (side) => (side.asked === null ? gettext("no offer") : `${side.asked} (${side.change > 0 ? "+" : ""}${fmt(side.change)})`);
    $("gave-got-body").replaceChildren(
      ...agreed.map((p) =>
        el(
          "details",
          {
            class: "gave-got",
            "data-pair": p.number,
            open: state.gaveGotOpen.has(p.number),  // a redraw (live data) keeps what the instructor opened
            ontoggle: (e) => (e.target.open ? state.gaveGotOpen.add(p.number) : state.gaveGotOpen.delete(p.number)),
          },
          el("summary", { text: pairTitle(p) }),
          el(
            "div",
            { class: "table-wrap" },
            el(
              "table",
              { class: "data-table gave-got-table" },
              el("caption", { text: f(gettext("%(pair)s: the agreement against each side's first offer"), { pair: pairTitle(p) }) }),
              el("thead", {}, el("tr", {}, el("th", { scope: "col", text: gettext("Issue") }), el("th", { scope: "col", text: AGREED }), ...names.map((n) => el("th", { scope: "col", text: askedFirst(n) })))),
              el(
                "tbody",
                {},
                ...p.gave_got.map((row) =>
                  el("tr", {}, el("th", { scope: "row", text: row.issue }), el("td", { "data-label": AGREED, text: row.agreed }), ...row.sides.map((side, i) => el("td", { "data-label": askedFirst(names[i]), text: asked(side) }))),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // ---- How the pairs opened -----------------------------------------------------------------------

  function openings() {
    const pairs = [...state.data.debrief.pairs].sort((p, q) => p.number - q.number);
    const name = Object.fromEntries(roles().map((r) => [r.key, r.name]));
    const price = state.data.scenario.price;
    const heads = [gettext("Pair"), gettext("Opened by"), gettext("First offer"), ...(price ? [f(gettext("%(name)s settled first"), { name: price.name })] : []), gettext("Joint points")];
    const rows = pairs.map((p) => {
      const o = p.opening || {};
      const offer = o.packages === null || o.packages === undefined ? "—" : o.packages > 1 ? f(gettext("%(n)s packages (MESO)"), { n: o.packages }) : gettext("1 package");
      const who = peopleText(p);
      return [pairName(p.number, who), o.opener ? name[o.opener] || o.opener : gettext("no offer"), offer, ...(price ? [yesNo(o.price_first)] : []), fmt(p.outcome.joint)];
    });
    $("openings-body").replaceChildren(pairs.length ? dataTable(gettext("How each pair opened"), heads, rows) : el("p", { text: gettext("No pair has finished yet.") }));
  }

  // ---- The post-settlement round (Raiffa): each pair's agreement before and after it --------------

  function settlementSection() {
    const summary = state.data.debrief.class.settlement;
    const panel = $("panel-settlement");
    panel.hidden = !summary;
    if (!summary) return;
    const [a, b] = roles();
    const inRound = state.data.debrief.pairs.filter((p) => p.settlement).sort((p, q) => p.number - q.number);
    const ENDED = { accept: gettext("improved"), keep: gettext("kept"), settlement_closed: gettext("round closed, kept") }; // its time ran out, or the instructor closed it
    const both = (points) => `${fmt(points[a.key])} / ${fmt(points[b.key])}`;
    const gain = (v) => (v > 0 ? `+${fmt(v)}` : fmt(v));
    $("settlement-summary").textContent =
      `${f(ngettext("%(improved)s of %(n)s agreed pair found a deal at least as good for both.", "%(improved)s of %(n)s agreed pairs found a deal at least as good for both.", summary.pairs), { improved: fmt(summary.improved), n: fmt(summary.pairs) })} ` +
      f(gettext("Joint points of these agreements: %(before)s before the round, %(after)s after (%(gain)s for the class)."), { before: fmt(summary.joint_before), after: fmt(summary.joint_after), gain: gain(summary.joint_gain) });
    const both2 = `${a.name} / ${b.name}`;
    const heads = [gettext("Pair"), f(gettext("Before (%(roles)s)"), { roles: both2 }), gettext("Joint before"), f(gettext("After (%(roles)s)"), { roles: both2 }), gettext("Joint after"), gettext("Joint gain"), gettext("Terms changed"), gettext("How it ended")];
    // Each term the round changed, as it was and as it is; the pair's row says so when it changed none.
    const changes = (p) =>
      (p.settlement_changes || []).length ? p.settlement_changes.map((c) => f(gettext("%(issue)s: %(before)s → %(after)s"), c)).join("; ") : pgettext("no term changed", "none");
    $("settlement-body").replaceChildren(
      el(
        "table",
        { class: "data-table settlement-table" },
        el("caption", { text: gettext("Each pair's agreement before and after the post-settlement round") }),
        el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { scope: "col", text: h })))),
        el(
          "tbody",
          {},
          ...inRound.map((p) => {
            const r = p.settlement;
            const who = peopleText(p);
            const cells = [both(r.points_before), fmt(r.joint_before), both(r.points_after), fmt(r.joint_after), gain(r.joint_gain), changes(p), r.ending ? ENDED[r.ending] : gettext("still looking")];
            return el("tr", { class: r.improved ? "improved" : null }, el("th", { scope: "row", text: pairName(p.number, who) }), ...cells.map((text, i) => el("td", { "data-label": heads[i + 1], class: i === 5 ? "text" : null, text })));
          }),
        ),
      ),
    );
  }

  // ---- Survey -------------------------------------------------------------------------------------

  // The instrument's subscales (the JSON names them in English, as the API does), and the global score.
  const SUBSCALES = { instrumental: gettext("Instrumental outcome"), self: gettext("Self"), process: gettext("Process"), relationship: gettext("Relationship") };
  function subscales(survey) {
    return [...survey.subscales.map((s) => ({ key: s.key, label: SUBSCALES[s.key] || s.label })), { key: "global", label: gettext("Global") }];
  }

  function surveySection() {
    const survey = state.data.survey;
    const panel = $("panel-survey");
    if (!survey) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    $("survey-credit").textContent = survey.credit || "";
    const body = $("survey-body");
    if (!survey.responses) {
      body.replaceChildren(el("p", { id: "survey-empty", text: gettext("No survey answers yet.") }));
      $("survey-chart-area").hidden = true;
      return;
    }
    const subs = subscales(survey);
    body.replaceChildren(
      el("p", { text: f(ngettext("%(n)s answer. Means on a scale of 1 to 7.", "%(n)s answers. Means on a scale of 1 to 7.", survey.responses), { n: fmt(survey.responses) }) }),
      el("div", { class: "table-wrap" }, dataTable(gettext("Subjective value by role"), [gettext("Role"), gettext("Answers"), ...subs.map((s) => s.label)], survey.by_role.map((r) => [r.role_name, r.n, ...subs.map((s) => fmt(r.means[s.key], 2))]))),
    );
    $("survey-chart-area").hidden = false;
    const select = $("survey-subscale");
    const chosen = select.value || "global";
    select.replaceChildren(...subs.map((s) => el("option", { value: s.key, selected: s.key === chosen, text: s.label })));
    surveyChart();
  }

  function surveyChart() {
    const survey = state.data.survey;
    if (!survey || !survey.responses) return;
    const key = $("survey-subscale").value || "global";
    const label = subscales(survey).find((s) => s.key === key).label;
    const rs = roles();
    const points = survey.points.filter((p) => p.points !== null && p.points !== undefined && p.scores[key] !== null && p.scores[key] !== undefined);
    const panel = $("panel-survey");
    const svg = C.scatter({
      id: "chart-survey",
      width: chartWidth(panel),
      title: f(gettext("Subjective value (%(subscale)s) against points"), { subscale: lower(label) }),
      desc: f(gettext("Each answer: the student's points across and their %(subscale)s score (1 to 7) up, coloured by role."), { subscale: lower(label) }),
      xLabel: gettext("Points"),
      yLabel: `${label} (1–7)`,
      x: C.domain(points.map((p) => p.points)),
      y: [1, 7],
      legend: rs.map((r, i) => ({ label: r.name, cls: `point role-${i}` })),
      series: rs.map((r, i) => ({ cls: `role-${i}`, points: points.filter((p) => p.role === r.key).map((p) => ({ x: p.points, y: p.scores[key], title: pairName(p.number) })) })),
    });
    const name = (key2) => (rs.find((r) => r.key === key2) || { name: key2 }).name;
    const table = dataTable(f(gettext("%(subscale)s and points of each answer"), { subscale: label }), [gettext("Pair"), gettext("Role"), gettext("Points"), label], points.map((p) => [pairName(p.number), name(p.role), fmt(p.points), fmt(p.scores[key], 2)]));
    const box = $("survey-chart");
    box.querySelector(".chart").replaceChildren(svg);
    box.querySelector(".chart-table").replaceChildren(table);
    const file = fileName(`survey-${key}`);
    box.querySelector(".chart-tools").replaceChildren(
      el("button", { type: "button", class: "button secondary", "data-download": "png", onclick: () => C.downloadPng(svg, file) }, gettext("Download PNG")),
      el("button", { type: "button", class: "button secondary", "data-download": "svg", onclick: () => C.downloadSvg(svg, file) }, gettext("Download SVG")),
    );
  }

  // ---- The partner's priorities, guessed (docs/debrief.md, 4a) ------------------------------------

  function spread(dist) {
    if (!dist) return gettext("no figure: every such ranking is constant");
    return f(gettext("middle half %(q1)s to %(q3)s; all %(min)s to %(max)s"), { q1: fmt(dist.q1, 2), q3: fmt(dist.q3, 2), min: fmt(dist.min, 2), max: fmt(dist.max, 2) });
  }

  function order(items) {
    return items.map((item) => `${fmt(item.rank)}. ${item.issue}`).join(", ");
  }

  function perceptionSection() {
    const data = state.data.perception;
    const body = $("perception-body");
    if (!data || !data.guesses) {
      body.replaceChildren(el("p", { id: "perception-empty", text: gettext("No student has ranked the partner's priorities yet.") }));
      return;
    }
    const figures = [
      [gettext("Ranked the partner's priorities"), fmt(data.guesses), f(ngettext("of %(n)s negotiator", "of %(n)s negotiators", data.negotiators), { n: fmt(data.negotiators) })],
      [gettext("Accuracy, median"), fmt(data.accuracy && data.accuracy.median, 2), spread(data.accuracy)],
      [gettext("Fixed-pie perception, median"), fmt(data.fixed_pie && data.fixed_pie.median, 2), spread(data.fixed_pie)],
    ];
    // Text columns read left-aligned, the two figures right-aligned; the pair is the row's heading. On a
    // phone each row is a card, each cell labelled by its column (data-label).
    const named = !state.data.projector;
    const GUESS = gettext("Their guess of the partner's order");
    const TRUTH = gettext("The partner's true order");
    const ACCURACY = gettext("Accuracy");
    const FIXED_PIE = gettext("Fixed-pie perception");
    const heads = [gettext("Pair"), ...(named ? [gettext("Student")] : []), gettext("Role"), GUESS, TRUTH, ACCURACY, FIXED_PIE];
    const text = (label, value) => el("td", { class: "text", "data-label": label, text: value });
    const rows = data.students.map((s) =>
      el(
        "tr",
        {},
        el("th", { scope: "row", text: pairName(s.pair) }),
        ...(named ? [text(gettext("Student"), s.name || "—")] : []),
        text(gettext("Role"), s.role_name),
        text(GUESS, order(s.guess)),
        text(TRUTH, order(s.truth)),
        el("td", { "data-label": ACCURACY, text: fmt(s.accuracy, 2) }),
        el("td", { "data-label": FIXED_PIE, text: fmt(s.fixed_pie, 2) }),
      ),
    );
    body.replaceChildren(
      el("dl", { class: "summary perception-summary", id: "perception-summary", "aria-label": gettext("Guesses of the partner's priorities") }, ...figures.map(([k, v, note]) => el("div", {}, el("dt", { text: k }), el("dd", { text: v }), el("dd", { class: "spread", text: note })))),
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          { class: "data-table perception-table" },
          el("caption", { text: gettext("Each student's guess of the partner's priorities against the partner's true order") }),
          el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, rows),
        ),
      ),
    );
  }

  // ---- Rendering the whole page -------------------------------------------------------------------

  function openCount() {
    if (state.open.size) return [...state.open.values()].filter((s) => s !== "agreed" && s !== "impasse").length;
    return state.data.open_pairs;
  }

  function waiting() {
    const box = $("debrief-waiting");
    if (state.data.ready) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const open = openCount();
    const total = state.data.pairs_total;
    const count = total ? ` ${f(ngettext("%(open)s of %(total)s pairs is still open.", "%(open)s of %(total)s pairs are still open.", open), { open: fmt(open), total: fmt(total) })}` : "";
    box.textContent = state.ended
      ? gettext("The round has ended. The debrief is being computed and will appear here in a moment.")
      : `${gettext("The debrief will appear here when the round ends.")}${count}`;
  }

  function render() {
    waiting();
    const ready = state.data.ready && state.data.debrief;
    $("debrief-body").hidden = !ready;
    if (ready) {
      summary();
      outcomeChart($("panel-outcomes"));
      jointChart($("panel-joint"));
      priceChart($("panel-price"));
      anchoringChart($("panel-anchoring"));
      heatmapChart($("panel-heatmap"));
      pairsTable();
      gaveGot();
      openings();
      settlementSection();
      const when = state.data.computed_at ? new Date(state.data.computed_at) : null;
      $("debrief-computed").textContent = when ? `· ${f(gettext("computed at %(time)s"), { time: when.toLocaleTimeString(document.documentElement.lang || "en", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }) })}` : "";
    }
    surveySection();
    perceptionSection();
    root.dataset.ready = ready ? "1" : "0";
  }

  async function refresh() {
    if (state.fetching) {
      state.again = true;
      return state.fetching;
    }
    state.fetching = (async () => {
      try {
        const response = await fetch(root.dataset.json, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(f(gettext("The server answered %(status)s."), { status: response.status }));
        const data = await response.json();
        const same = data.ready && state.data.ready && data.computed_at === state.data.computed_at && JSON.stringify(data.survey) === JSON.stringify(state.data.survey) && JSON.stringify(data.perception) === JSON.stringify(state.data.perception);
        state.data = data;
        state.ended = data.exercise.state === "ended";
        if (!same) render(); // the same debrief again: leave the page as the reader has it
        else waiting();
        setPolling();
      } catch (error) {
        $("debrief-connection").textContent = f(gettext("Could not load the debrief: %(problem)s It will be tried again."), { problem: error.message });
      } finally {
        state.fetching = null;
        if (state.again) {
          state.again = false;
          refresh();
        }
      }
    })();
    return state.fetching;
  }

  // The socket's frames can be dropped (the channel layer is only a doorbell): once the round has
  // ended and the debrief is not there yet, ask now and then as well.
  function setPolling() {
    const wanted = state.ended && !state.data.ready;
    if (wanted && !state.poller) state.poller = setInterval(refresh, 5000);
    if (!wanted && state.poller) {
      clearInterval(state.poller);
      state.poller = null;
    }
  }

  const STATUS_TEXT = {
    connecting: gettext("Connecting for live updates…"),
    online: gettext("Live: the page updates by itself."),
    reconnecting: gettext("Reconnecting… the page will catch up."),
  };

  // The round's state beside the heading, kept as the monitor socket reports it.
  const STATE_LABEL = { draft: gettext("Draft"), released: gettext("Roles released"), live: gettext("Live"), ended: gettext("Ended") };
  function showState(value) {
    const badge = $("exercise-state");
    if (!badge || !STATE_LABEL[value]) return;
    badge.className = `status status-${value}`;
    badge.textContent = STATE_LABEL[value];
  }

  const socket = new window.ParleyLive.ReconnectingSocket(root.dataset.socket, {
    onStatus(status, detail) {
      const line = $("debrief-connection");
      line.className = `connection connection-${status}`;
      line.textContent = detail && detail.message ? detail.message : STATUS_TEXT[status] || "";
      if (status === "online" && detail && detail.reconnected) refresh();
    },
    onFrame(frame) {
      if (frame.type === "debrief") {
        refresh();
      } else if (frame.type === "snapshot") {
        state.open = new Map(frame.pairs.map((p) => [p.id, p.status]));
        if (frame.exercise) {
          state.ended = frame.exercise.state === "ended";
          showState(frame.exercise.state);
        }
        waiting();
        setPolling();
      } else if (frame.type === "pair" && frame.pair) {
        state.open.set(frame.pair.id, frame.pair.status);
        waiting();
      } else if (frame.type === "exercise" && frame.exercise) {
        const ended = frame.exercise.state === "ended";
        showState(frame.exercise.state);
        if (ended !== state.ended) {
          state.ended = ended;
          waiting();
          setPolling();
        }
      }
    },
  });

  // The export: "everything" exists only as JSON.
  const exportForm = $("export-form");
  if (exportForm) {
    const sync = () => {
      const json = exportForm.querySelector("input[name=format]:checked").value === "json";
      const all = $("export-all");
      all.disabled = !json;
      if (!json && all.selected) $("export-table").value = "pairs";
    };
    exportForm.addEventListener("change", sync);
    sync();
  }

  $("survey-subscale").addEventListener("change", surveyChart);
  let resizeTimer = null;
  let lastWidth = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - lastWidth) < 40) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 200);
  });

  render();
  setPolling();
  window.parleyDebrief = { socket, state, refresh };
  socket.start();
})();
