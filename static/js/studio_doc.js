// The studio's pure parts (no page): numbers as typed, a role's key renamed in every points table, a
// problem's path and the parts that hold it, the feasible part of the outcomes' region, the bots'
// rounds summed up, and a message of the scenario check said in the page's language. Tested with node
// (tests/js/studio.test.mjs).

import { formatNumber, pageLang } from "./format.js";

// A message the API gives with its English `template` and `params` (docs/api.md), said with `catalogue`
// (English template -> its translation, from the page): each parameter that is itself a message is said
// the same way, a number (a count or a limit) as `lang` writes numbers, the others (keys, paths, values as
// typed) as they are. Without a template, `fallback`.
export function localise(message, catalogue, fallback = "", lang = pageLang()) {
  if (!message || typeof message.template !== "string") return fallback;
  const params = {};
  for (const [name, value] of Object.entries(message.params || {})) {
    if (typeof value === "number") params[name] = formatNumber(value, lang);
    else params[name] = value && typeof value === "object" ? localise(value, catalogue, "", lang) : String(value);
  }
  const said = (template) =>
    template.replace(/%\((\w+)\)s|%%/g, (match, name) => (name === undefined ? "%" : name in params ? params[name] : match));
  const translated = Object.hasOwn(catalogue, message.template) ? catalogue[message.template] : message.template;
  // A translation that lacks a parameter the English has is not used: the English text says it all.
  const names = (template) => [...template.matchAll(/%\((\w+)\)s/g)].map((m) => m[1]).sort().join();
  return said(names(translated) === names(message.template) ? translated : message.template);
}

// A number as typed: a number when it reads as one, else the text itself, so that the validator names it.
export function parseNumber(text) {
  const t = String(text).trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

const isMap = (value) => Boolean(value) && typeof value === "object" && !Array.isArray(value);
const mapsOf = (value) => (Array.isArray(value) ? value.filter(isMap) : []);

// Rename a map's key in place, keeping its order; a map that already has `key` is left as it is.
function renameIn(map, old, key) {
  if (!isMap(map) || !(old in map) || key in map) return;
  const entries = Object.entries(map).map(([k, v]) => [k === old ? key : k, v]);
  for (const k of Object.keys(map)) delete map[k];
  Object.assign(map, Object.fromEntries(entries));
}

// Rename role key `old` to `key` in every points table of the document's issues, keeping each table's order;
// a table that already has `key` is left as it is (the validator names the clash).
export function renameRoleKey(doc, old, key) {
  if (old === key) return;
  for (const issue of mapsOf(doc.issues)) {
    const tables = issue.type === "numeric" ? [issue.points] : mapsOf(issue.options).map((o) => o.points);
    for (const table of tables) renameIn(table, old, key);
  }
}

// `issues[1].options[0].points.seller` and every part above it, nearest first.
export function pathAndParents(path) {
  const out = [];
  let p = path;
  while (p) {
    out.push(p);
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    p = cut > 0 ? p.slice(0, cut) : "";
  }
  return out;
}

// The part of a convex polygon on the inside of one half-plane (Sutherland-Hodgman).
function clip(polygon, inside, cross) {
  const out = [];
  polygon.forEach((point, i) => {
    const prev = polygon[(i + polygon.length - 1) % polygon.length];
    if (inside(point)) {
      if (!inside(prev)) out.push(cross(prev, point));
      out.push(point);
    } else if (inside(prev)) out.push(cross(prev, point));
  });
  return out;
}

// The part of the outcomes' region (a convex polygon) at or above both BATNAs.
export function feasibleRegion(region, [da, db]) {
  const at = (a, b, t) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  const right = clip(region, (p) => p[0] >= da, (a, b) => at(a, b, (da - a[0]) / (b[0] - a[0])));
  return clip(right, (p) => p[1] >= db, (a, b) => at(a, b, (db - a[1]) / (b[1] - a[1])));
}

// The bots' rounds in a few numbers: the joint gain's mean counts every round, an impasse at the BATNAs.
export function roundsSummary(rounds) {
  const agreed = rounds.filter((r) => r.ending === "agreed").length;
  const walked = rounds.filter((r) => r.ending === "walked").length;
  const joint = rounds.reduce((sum, r) => sum + r.points[0] + r.points[1], 0);
  return { rounds: rounds.length, agreed, walked, time: rounds.length - agreed - walked, meanJoint: rounds.length ? joint / rounds.length : null };
}

// An event's key is named by each role's forecasts and by the contingent issues that pay by it.
export function renameEventKey(doc, old, key) {
  if (old === key) return;
  for (const role of mapsOf(doc.roles)) renameIn(role.forecasts, old, key);
  for (const issue of mapsOf(doc.issues)) if (issue.type === "contingent" && issue.event === old) issue.event = key;
}

// An outcome's key is named by its event's chances, each role's forecast of it, and every option of the
// issues that pay by the event.
export function renameOutcomeKey(doc, eventKey, old, key) {
  if (old === key) return;
  const event = mapsOf(doc.events).find((e) => e.key === eventKey);
  if (event) renameIn(event.distribution, old, key);
  for (const role of mapsOf(doc.roles)) if (isMap(role.forecasts)) renameIn(role.forecasts[eventKey], old, key);
  for (const issue of mapsOf(doc.issues)) {
    if (issue.type !== "contingent" || issue.event !== eventKey) continue;
    for (const option of mapsOf(issue.options)) {
      if (isMap(option.points)) for (const paid of Object.values(option.points)) renameIn(paid, old, key);
    }
  }
}

// A document's keys in the order of docs/scenarios.md, with `events` after the public situation.
export function withEvents(doc, events) {
  const out = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === "events") continue;
    out[k] = v;
    if (k === "situation" && events) out.events = events;
  }
  if (events && !("events" in out)) out.events = events;
  return out;
}
