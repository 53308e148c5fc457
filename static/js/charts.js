// Small SVG charts for the debrief: scatter, histogram and heatmap, each an <svg> with a viewBox (so it
// scales to any width), a <title> and a <desc>. Downloads serialise the same SVG with its own <style>, or
// draw it on a canvas for a PNG. No library, no network. On the page the same rules come from a
// constructed style sheet: the Content-Security-Policy refuses inline <style> and style attributes.
(function (global) {
  "use strict";
  // The page's language: Django's JavaScript catalogue (base.html) defines gettext; without it, English.
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const interpolate = (text, values) => text.replace(/%\((\w+)\)s/g, (m, name) => (name in values ? String(values[name]) : m));

  const NS = "http://www.w3.org/2000/svg";
  const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
  // Colours chosen for contrast on white and for readers who confuse red and green (shape differs too).
  const STYLE = `
    text { font-family: ${FONT}; fill: #1d2430; }
    .title { font-size: 16px; font-weight: 700; }
    .axis-label { font-size: 13px; fill: #3b4454; }
    .tick { font-size: 12px; fill: #566074; }
    .axis { stroke: #8a93a3; stroke-width: 1; }
    .grid { stroke: #e4e8ee; stroke-width: 1; }
    .legend { font-size: 12px; }
    .note { font-size: 12px; fill: #3b4454; }
    .frontier { fill: none; stroke: #6b7280; stroke-width: 1.5; stroke-dasharray: 2 3; }
    .frontier-point { fill: #6b7280; }
    .batna { stroke: #a4161a; stroke-width: 1.5; stroke-dasharray: 6 4; }
    .batna-label { font-size: 12px; fill: #a4161a; }
    .nash { fill: #f2b705; stroke: #1d2430; stroke-width: 1.5; }
    .point { fill: #1f5fbf; fill-opacity: .8; stroke: #fff; stroke-width: 1; }
    .point.pareto { fill: #1b6e3a; }
    .point.impasse { fill: none; stroke: #a4161a; stroke-width: 2.5; }
    .point.role-0 { fill: #1f5fbf; }
    .point.role-1 { fill: #c25400; }
    .point.other { fill: #9aa3b2; fill-opacity: .7; }
    .point.mine { fill: #c25400; stroke: #1d2430; stroke-width: 2; fill-opacity: 1; }
    .point.section-0 { fill: #1f5fbf; }
    .point.section-1 { fill: #b3501a; }
    .point.section-2 { fill: #1b6e3a; }
    .point.section-3 { fill: #8e3b9e; }
    .point.section-4 { fill: #0f7b8a; }
    .point.section-5 { fill: #6b5a00; }
    .point.section-6 { fill: #c2185b; }
    .point.section-7 { fill: #4a5365; }
    .count { font-size: 11px; font-weight: 700; fill: #fff; pointer-events: none; }
    .bar { fill: #1f5fbf; fill-opacity: .85; }
    .bar-count { font-size: 11px; fill: #1d2430; }
    .band { fill: #1b6e3a; fill-opacity: .14; }
    .region { fill: #1f5fbf; fill-opacity: .08; stroke: #8a93a3; stroke-width: 1; }
    .feasible { fill: #1b6e3a; fill-opacity: .2; stroke: #1b6e3a; stroke-width: 1; }
    .band-label { font-size: 12px; fill: #1b6e3a; font-weight: 600; }
    .mark { stroke: #1d2430; stroke-width: 2; }
    .mark-label { font-size: 12px; font-weight: 600; }
    .fit { stroke: #1d2430; stroke-width: 2; }
    .fit.role-0 { stroke: #1f5fbf; stroke-dasharray: 6 3; }
    .fit.role-1 { stroke: #c25400; stroke-dasharray: 6 3; }
    .cell { stroke: #fff; stroke-width: 2; }
    .cell-count { font-size: 14px; font-weight: 700; }
    .cell-label { font-size: 11px; fill: #3b4454; }
    .row-label { font-size: 13px; font-weight: 600; }
    .lose-lose { fill: url(#hatch); stroke: #a4161a; stroke-width: 2; }
    .cell-count.dark { fill: #fff; }
  `;

  // The rules for the charts on this page, each selector scoped to the charts' <svg>.
  if (global.document && "adoptedStyleSheets" in global.document) {
    const sheet = new CSSStyleSheet();
    const scoped = STYLE.replace(/([^{}]+)\{/g, (_, selectors) =>
      `${selectors.split(",").map((s) => `svg.chart-svg ${s.trim()}`).join(", ")} {`);
    sheet.replaceSync(scoped);
    global.document.adoptedStyleSheets = [...global.document.adoptedStyleSheets, sheet];
  }

  function svgEl(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function text(x, y, content, attrs = {}) {
    return svgEl("text", { x: round(x), y: round(y), ...attrs }, String(content));
  }

  function round(v) {
    return Math.round(v * 10) / 10;
  }

  // "12,345.6": thousands separated as the page's language writes them (docs/operations.md, "Numbers
  // and times"), at most `digits` decimals.
  function fmt(value, digits = 1) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    const factor = 10 ** digits;
    const rounded = Math.round(value * factor) / factor;
    return rounded.toLocaleString(document.documentElement.lang || "en", { maximumFractionDigits: digits, useGrouping: "always" });
  }

  function niceStep(span, count) {
    if (!(span > 0)) return 1;
    const raw = span / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    const unit = raw / power;
    return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10) * power;
  }

  function ticks(min, max, count = 6) {
    const step = niceStep(max - min, count);
    const out = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
    return out;
  }

  // A domain that holds every value with a little room, on round numbers.
  function domain(values, pad = 0.05) {
    const finite = values.filter((v) => Number.isFinite(v));
    if (!finite.length) return [0, 1];
    let lo = Math.min(...finite);
    let hi = Math.max(...finite);
    if (lo === hi) {
      // One value only (every first offer at the same price, say): centre it in a range of its size.
      const half = Math.max(1, Math.abs(lo) * 0.05);
      lo -= half;
      hi += half;
    }
    const room = (hi - lo) * pad;
    const step = niceStep(hi - lo, 6);
    return [Math.floor((lo - room) / step) * step, Math.ceil((hi + room) / step) * step];
  }

  function linear(d0, d1, r0, r1) {
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }

  // Rough width of a label in px (the SVG has no layout engine here): enough to place a legend.
  function textWidth(content, size = 12) {
    return String(content).length * size * 0.56;
  }

  function truncate(content, width, size = 11) {
    const s = String(content);
    const fits = Math.floor(width / (size * 0.56));
    return s.length <= fits ? s : `${s.slice(0, Math.max(1, fits - 1))}…`;
  }

  // Break a title into lines that fit the width.
  function wrap(content, width, size) {
    const lines = [];
    let line = "";
    for (const word of String(content).split(/\s+/)) {
      const next = line ? `${line} ${word}` : word;
      if (line && textWidth(next, size) > width) {
        lines.push(line);
        line = word;
      } else {
        line = next;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  // Where the legend's items go: rows that wrap at the chart's width.
  function legendLayout(items, width, y0) {
    const placed = [];
    let x = 12;
    let y = y0;
    for (const item of items || []) {
      const w = 22 + textWidth(item.label) + 16;
      if (x + w > width - 8 && x > 12) {
        x = 12;
        y += 18;
      }
      placed.push({ item, x, y });
      x += w;
    }
    return { placed, bottom: placed.length ? y + 8 : y0 - 14 };
  }

  // The frame every chart shares: the svg, its title, a legend that wraps, then `plotHeight` for
  // the plotting area (a function of where the plot starts, or a number).
  function frame(opts, width, plotHeight) {
    const titleLines = wrap(opts.title, width - 24, 16);
    const legend = legendLayout(opts.legend, width, 22 + 20 * titleLines.length);
    const top = legend.bottom;
    const height = Math.round(top + (typeof plotHeight === "function" ? plotHeight(top) : plotHeight));
    const svg = svgEl("svg", {
      xmlns: NS,
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      class: "chart-svg",
      role: "img",
      "aria-labelledby": `${opts.id}-title ${opts.id}-desc`,
      "data-chart": opts.id,
      preserveAspectRatio: "xMidYMid meet",
    });
    svg.append(
      svgEl("title", { id: `${opts.id}-title` }, opts.title),
      svgEl("desc", { id: `${opts.id}-desc` }, opts.desc || ""),
      svgEl(
        "defs",
        {},
        svgEl(
          "pattern",
          { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
          svgEl("rect", { width: 6, height: 6, fill: "#fde8e8" }),
          svgEl("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#a4161a", "stroke-width": 2 }),
        ),
      ),
      svgEl("rect", { x: 0, y: 0, width, height, fill: "#fff" }),
      ...titleLines.map((line, i) => text(12, 22 + 20 * i, line, { class: "title" })),
    );
    for (const { item, x, y } of legend.placed) {
      svg.append(legendKey(item, x + 8, y - 4), text(x + 20, y, item.label, { class: "legend" }));
    }
    return { svg, top, height };
  }

  function legendKey(item, x, y) {
    if (item.kind === "line") return svgEl("line", { x1: x - 8, y1: y, x2: x + 8, y2: y, class: item.cls });
    if (item.kind === "band") return svgEl("rect", { x: x - 8, y: y - 6, width: 16, height: 12, class: item.cls });
    return shape(item.shape || "circle", x, y, 5, item.cls);
  }

  function shape(kind, x, y, r, cls, attrs = {}) {
    if (kind === "cross") {
      const d = r * 0.9;
      return svgEl("path", { d: `M${round(x - d)},${round(y - d)}L${round(x + d)},${round(y + d)}M${round(x - d)},${round(y + d)}L${round(x + d)},${round(y - d)}`, class: cls, ...attrs });
    }
    if (kind === "diamond") {
      const d = r * 1.4;
      return svgEl("path", { d: `M${round(x)},${round(y - d)}L${round(x + d)},${round(y)}L${round(x)},${round(y + d)}L${round(x - d)},${round(y)}Z`, class: cls, ...attrs });
    }
    if (kind === "triangle" || kind === "triangle-down") {
      const d = r * 1.3;
      const s = kind === "triangle" ? 1 : -1;
      return svgEl("path", { d: `M${round(x)},${round(y - s * d)}L${round(x + d)},${round(y + s * d * 0.75)}L${round(x - d)},${round(y + s * d * 0.75)}Z`, class: cls, ...attrs });
    }
    if (kind === "square") return svgEl("rect", { x: round(x - r), y: round(y - r), width: 2 * r, height: 2 * r, class: cls, ...attrs });
    return svgEl("circle", { cx: round(x), cy: round(y), r, class: cls, ...attrs });
  }

  function axes(svg, area, xs, ys, opts) {
    const { left, right, top, bottom } = area;
    for (const t of ticks(opts.x[0], opts.x[1], opts.xTicks || 6)) {
      const x = xs(t);
      svg.append(
        svgEl("line", { x1: round(x), y1: top, x2: round(x), y2: bottom, class: "grid" }),
        text(x, bottom + 16, opts.xFormat ? opts.xFormat(t) : fmt(t), { class: "tick", "text-anchor": "middle" }),
      );
    }
    for (const t of ticks(opts.y[0], opts.y[1], opts.yTicks || 6)) {
      const y = ys(t);
      svg.append(
        svgEl("line", { x1: left, y1: round(y), x2: right, y2: round(y), class: "grid" }),
        text(left - 6, y + 4, opts.yFormat ? opts.yFormat(t) : fmt(t), { class: "tick", "text-anchor": "end" }),
      );
    }
    svg.append(
      svgEl("line", { x1: left, y1: bottom, x2: right, y2: bottom, class: "axis" }),
      svgEl("line", { x1: left, y1: top, x2: left, y2: bottom, class: "axis" }),
      text((left + right) / 2, bottom + 36, opts.xLabel, { class: "axis-label", "text-anchor": "middle" }),
      text(14, (top + bottom) / 2, opts.yLabel, {
        class: "axis-label",
        "text-anchor": "middle",
        transform: `rotate(-90 14 ${round((top + bottom) / 2)})`,
      }),
    );
  }

  // scatter({id, title, desc, width, xLabel, yLabel, x: [min, max], y: [min, max], legend,
  //   lines: [{points: [[x, y]...], cls, dots}], vlines: [{x, label, cls}], hlines: [{y, label, cls}],
  //   fits: [{slope, intercept, cls}], series: [{cls, shape, points: [{x, y, title}]}], marks: [...],
  //   areas: [{points: [[x, y]...], cls}] (polygons, drawn first)})
  // Points at the same place are drawn once, larger, with their count; a point may carry a nudge (dx, dy).
  function scatter(opts) {
    const width = opts.width || 640;
    const { svg, top, height } = frame(opts, width, Math.max(270, Math.round(width * 0.58)));
    const area = { left: 58, right: width - 28, top: top + 6, bottom: height - 48 };
    const xs = linear(opts.x[0], opts.x[1], area.left, area.right);
    const ys = linear(opts.y[0], opts.y[1], area.bottom, area.top);
    axes(svg, area, xs, ys, opts);
    const clip = `${opts.id}-clip`;
    svg.append(svgEl("clipPath", { id: clip }, svgEl("rect", { x: area.left, y: area.top, width: area.right - area.left, height: area.bottom - area.top })));
    const layer = svgEl("g", { class: "plot", "clip-path": `url(#${clip})` });
    svg.append(layer);
    for (const area of opts.areas || []) {
      if (area.points.length < 2) continue;
      const d = `${area.points.map(([x, y], i) => `${i ? "L" : "M"}${round(xs(x))},${round(ys(y))}`).join("")}${area.points.length > 2 ? "Z" : ""}`;
      layer.append(svgEl("path", { d, class: area.cls }));
    }
    for (const line of opts.lines || []) {
      const d = line.points.map(([x, y], i) => `${i ? "L" : "M"}${round(xs(x))},${round(ys(y))}`).join("");
      layer.append(svgEl("path", { d, class: line.cls }));
      if (line.dots) for (const [x, y] of line.points) layer.append(svgEl("circle", { cx: round(xs(x)), cy: round(ys(y)), r: 2.5, class: line.dots }));
    }
    for (const fit of opts.fits || []) {
      if (fit.slope === null || fit.slope === undefined) continue;
      const [x0, x1] = fit.range || opts.x;
      layer.append(svgEl("line", { x1: round(xs(x0)), y1: round(ys(fit.intercept + fit.slope * x0)), x2: round(xs(x1)), y2: round(ys(fit.intercept + fit.slope * x1)), class: `fit ${fit.cls || ""}` }));
    }
    for (const v of opts.vlines || []) {
      layer.append(svgEl("line", { x1: round(xs(v.x)), y1: area.top, x2: round(xs(v.x)), y2: area.bottom, class: v.cls }));
      if (v.label) {
        const right = xs(v.x) > (area.left + area.right) / 2;
        svg.append(text(xs(v.x) + (right ? -4 : 4), area.top + 12, v.label, { class: `${v.cls}-label`, "text-anchor": right ? "end" : "start" }));
      }
    }
    for (const h of opts.hlines || []) {
      layer.append(svgEl("line", { x1: area.left, y1: round(ys(h.y)), x2: area.right, y2: round(ys(h.y)), class: h.cls }));
      if (h.label) svg.append(text(area.right - 4, ys(h.y) - 5, h.label, { class: `${h.cls}-label`, "text-anchor": "end" }));
    }
    for (const m of opts.marks || []) {
      if (!m) continue;
      layer.append(shape(m.shape || "diamond", xs(m.x), ys(m.y), 6, m.cls));
      if (m.label) svg.append(text(xs(m.x) + 11, ys(m.y) - 8, m.label, { class: "mark-label" }));
    }
    for (const series of opts.series || []) {
      const groups = new Map();
      for (const p of series.points) {
        const key = `${p.x}|${p.y}`;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(p);
      }
      for (const group of groups.values()) {
        const p = group[0];
        const r = (series.radius || 6) + Math.min(6, 2 * Math.sqrt(group.length - 1));
        const x = xs(p.x) + (p.dx || 0);  // dx, dy: a nudge in pixels, apart from another series' point there
        const y = ys(p.y) + (p.dy || 0);
        const titleText = group.map((q) => q.title).filter(Boolean).join("\n");
        const node = shape(series.shape || "circle", x, y, r, `point ${series.cls || ""} ${p.cls || ""}`.trim(), {
          "data-x": p.x,
          "data-y": p.y,
          "data-count": group.length,
        });
        if (titleText) node.append(svgEl("title", {}, titleText));
        layer.append(node);
        if (group.length > 1 && series.shape !== "cross") layer.append(text(x, y + 4, group.length, { class: "count", "text-anchor": "middle" }));
        if (group.length > 1 && series.shape === "cross") layer.append(text(x + r + 2, y + r + 10, `×${group.length}`, { class: "mark-label" }));
      }
    }
    return svg;
  }

  // outcomePlane({id, title, desc, width, roles: [a, b], frontier: [[x, y]...], series, legend, marks,
  //   batnaLabels}): role A's points across, role B's up, with the Pareto frontier and both BATNA lines,
  //   on axes that hold every point. The instructor's outcome chart and a student's own chart.
  function outcomePlane(opts) {
    const [a, b] = opts.roles;
    const all = opts.series.flatMap((s) => s.points);
    const labelled = (v) => (opts.batnaLabels ? `BATNA ${fmt(v)}` : null);
    return scatter({
      ...opts,
      xLabel: interpolate(gettext("%(role)s: points"), { role: a.name }),
      yLabel: interpolate(gettext("%(role)s: points"), { role: b.name }),
      x: domain([...opts.frontier.map((p) => p[0]), ...all.map((p) => p.x), a.batna]),
      y: domain([...opts.frontier.map((p) => p[1]), ...all.map((p) => p.y), b.batna]),
      lines: [{ points: opts.frontier, cls: "frontier", dots: "frontier-point" }],
      vlines: [{ x: a.batna, cls: "batna", label: labelled(a.batna) }],
      hlines: [{ y: b.batna, cls: "batna", label: labelled(b.batna) }],
    });
  }

  // histogram({id, title, desc, width, xLabel, yLabel, bins: [{x0, x1, count}], band: {x0, x1, label},
  //   marks: [{x, label}], x: [min, max]})
  function histogram(opts) {
    const width = opts.width || 640;
    const { svg, top, height } = frame(opts, width, Math.max(200, Math.round(width * 0.45)));
    const area = { left: 52, right: width - 28, top: top + 18, bottom: height - 48 };
    const maxCount = Math.max(1, ...opts.bins.map((b) => b.count));
    const xDomain = opts.x || [Math.min(...opts.bins.map((b) => b.x0)), Math.max(...opts.bins.map((b) => b.x1))];
    const xs = linear(xDomain[0], xDomain[1], area.left, area.right);
    const ys = linear(0, Math.ceil(maxCount * 1.1), area.bottom, area.top);
    if (opts.band) {
      const x0 = xs(Math.max(xDomain[0], opts.band.x0));
      const x1 = xs(Math.min(xDomain[1], opts.band.x1));
      svg.append(svgEl("rect", { x: round(x0), y: area.top, width: round(Math.max(2, x1 - x0)), height: area.bottom - area.top, class: "band", "data-band": `${opts.band.x0}-${opts.band.x1}` }));
      svg.append(text(x0 + 4, area.top - 4, opts.band.label, { class: "band-label" }));
    }
    axes(svg, area, xs, ys, { ...opts, x: xDomain, y: [0, Math.ceil(maxCount * 1.1)], yTicks: Math.min(6, Math.ceil(maxCount * 1.1)) });
    for (const bin of opts.bins) {
      if (!bin.count) continue;
      const x0 = xs(bin.x0) + 1;
      const x1 = xs(bin.x1) - 1;
      const y = ys(bin.count);
      const bar = svgEl("rect", { x: round(x0), y: round(y), width: round(Math.max(1, x1 - x0)), height: round(area.bottom - y), class: "bar", "data-x0": bin.x0, "data-x1": bin.x1, "data-count": bin.count });
      bar.append(svgEl("title", {}, `${bin.label || `${fmt(bin.x0)}–${fmt(bin.x1)}`}: ${bin.count}`));
      svg.append(bar, text((x0 + x1) / 2, y - 4, bin.count, { class: "bar-count", "text-anchor": "middle" }));
    }
    for (const m of opts.marks || []) {
      const x = xs(m.x);
      svg.append(svgEl("line", { x1: round(x), y1: area.top - 6, x2: round(x), y2: area.bottom, class: "mark" }));
      const anchor = x > (area.left + area.right) / 2 ? "end" : "start";
      svg.append(text(anchor === "end" ? x - 4 : x + 4, area.top + 4, m.label, { class: "mark-label", "text-anchor": anchor }));
    }
    return svg;
  }

  // heatmap({id, title, desc, width, rows: [{name, cells: [{label, count, lose_lose}]}], legend})
  // One row per issue, its options left to right; darker means more pairs chose it.
  function heatmap(opts) {
    const width = opts.width || 640;
    const labelWidth = Math.min(150, Math.round(width * 0.24));
    const rowHeight = 62;
    const most = Math.max(1, ...opts.rows.flatMap((r) => r.cells.map((c) => c.count)));
    const { svg, top } = frame(opts, width, 20 + opts.rows.length * rowHeight);
    opts.rows.forEach((row, r) => {
      const y = top + 10 + r * rowHeight;
      svg.append(text(12, y + 24, truncate(row.name, labelWidth - 16, 13), { class: "row-label" }));
      if (row.compatible) svg.append(text(12, y + 40, "compatible", { class: "cell-label" }));
      const cellWidth = (width - labelWidth - 12) / Math.max(1, row.cells.length);
      row.cells.forEach((cell, c) => {
        const x = labelWidth + c * cellWidth;
        const share = cell.count / most;
        const light = Math.round(97 - 55 * share);
        const cls = cell.lose_lose ? "cell lose-lose" : "cell";
        const rect = svgEl("rect", {
          x: round(x),
          y,
          width: round(cellWidth - 3),
          height: 38,
          class: cls,
          fill: cell.lose_lose ? null : `hsl(215, 70%, ${light}%)`,
          "data-count": cell.count,
          "data-issue": row.issue,
        });
        rect.append(svgEl("title", {}, `${row.name}: ${cell.label}: ${cell.count}${cell.lose_lose ? " (lose-lose)" : ""}`));
        svg.append(rect);
        const dark = !cell.lose_lose && light < 62;
        svg.append(text(x + (cellWidth - 3) / 2, y + 24, fmt(cell.count, 0), { class: dark ? "cell-count dark" : "cell-count", "text-anchor": "middle" }));
        svg.append(text(x + 2, y + 52, truncate(cell.label, cellWidth - 14), { class: "cell-label" }));
      });
    });
    return svg;
  }

  // ---- Downloads --------------------------------------------------------------------------------------

  function serialise(svg) {
    const copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", NS);
    copy.insertBefore(svgEl("style", {}, STYLE), copy.querySelector("defs"));  // a copy: never on the page
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
  }

  function save(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function downloadSvg(svg, filename) {
    save(new Blob([serialise(svg)], { type: "image/svg+xml" }), `${filename}.svg`);
  }

  // The SVG drawn on a canvas at twice its size (sharp on a slide), then saved as PNG.
  function downloadPng(svg, filename, scale = 2) {
    return new Promise((resolve, reject) => {
      const box = svg.viewBox.baseVal;
      const image = new Image();
      const url = URL.createObjectURL(new Blob([serialise(svg)], { type: "image/svg+xml" }));
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(box.width * scale);
        canvas.height = Math.round(box.height * scale);
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob((blob) => {
          if (!blob) return reject(new Error(gettext("the browser could not make a PNG")));
          save(blob, `${filename}.png`);
          resolve();
        }, "image/png");
      };
      image.onerror = () => {
        URL.revokeObjectURL(url);
        reject(new Error(gettext("the chart could not be drawn as an image")));
      };
      image.src = url;
    });
  }

  global.ParleyCharts = { scatter, outcomePlane, histogram, heatmap, downloadSvg, downloadPng, serialise, ticks, domain, niceStep, fmt };
})(window);
