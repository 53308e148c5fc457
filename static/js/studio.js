// The scenario studio's editor (templates/scenarios/studio.html, docs/studio.md): the whole document on one
// page, kept in this browser as it is typed (localStorage), saved to the draft after a pause (PUT with the
// revision; a stale save keeps the local copy and asks), retried with backoff when the connection drops,
// and analysed after each edit: every problem beside its field by its path, the outcome plane, the figures
// and the check's warnings beside the form. Every text is set as text; only the server's sanitised Markdown
// preview is HTML.
import { api, say } from "./studio_api.js";
import { gettext, ngettext, interpolate } from "./i18n.js";
import { formatNumber, formatPercent } from "./format.js";
import {
  feasibleRegion,
  parseNumber,
  pathAndParents,
  renameEventKey,
  renameOutcomeKey,
  renameRoleKey,
  roundsSummary,
  withEvents,
} from "./studio_doc.js";

const data = JSON.parse(document.getElementById("studio-data").textContent);
const form = document.getElementById("studio-form");
const saveStatus = document.getElementById("save-status");
const STORE = `parley-studio-draft-${data.id}`;
const SAVE_DELAY = 800;
const ANALYSE_DELAY = 250;

let doc = data.document;
let revision = data.revision;
let slug = data.scenario;
let rounds = null; // the last tournament's rounds, until the document changes
let figures = null;

// ---- small helpers ---------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const list = (value) => (Array.isArray(value) ? value : []);
const obj = (value) => (value && typeof value === "object" && !Array.isArray(value) ? value : {});
const str = (value) => (value === null || value === undefined ? "" : String(value));
const idFor = (path) => `f-${path.replace(/[^A-Za-z0-9_-]+/g, "-")}`;

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function roleKeys() {
  return list(doc.roles).map((r) => str(obj(r).key));
}

function roleName(index) {
  const role = obj(list(doc.roles)[index]);
  return str(role.name).trim() || str(role.key) || interpolate(gettext("Role %(n)s"), { n: index + 1 });
}

// ---- the form ----------------------------------------------------------------------------------------

// A labelled input bound to `get`/`set` on the document; `path` is the validator's path of the value.
function field({ path, label, get, set, kind = "text", hint = null, markdown = false, onInput = null, onChange = null }) {
  const id = idFor(path);
  const wrap = el("div", { className: "field", "data-path": path });
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  wrap.append(el("label", { for: id, text: label }));
  if (hint) wrap.append(el("p", { className: "hint", id: hintId, text: hint }));
  const input =
    kind === "textarea" || markdown
      ? el("textarea", { id, rows: markdown ? 8 : 3 })
      : el("input", { id, type: "text", inputmode: kind === "number" ? "decimal" : null, autocomplete: "off" });
  input.value = kind === "number" ? str(get()) : str(get());
  input.dataset.path = path;
  input.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  input.addEventListener("input", () => {
    set(kind === "number" ? parseNumber(input.value) : input.value);
    changed();
    if (onInput) onInput(input.value);
  });
  // After the focus has moved on, so that the redraw can keep it where the person put it.
  if (onChange) input.addEventListener("change", () => setTimeout(onChange, 0));
  wrap.append(input, el("p", { className: "field-error", id: errorId, hidden: true }));
  if (markdown) wrap.append(preview(input, id));
  return wrap;
}

// A Markdown field's preview: the server's own rendering (sanitised), shown on request and kept up to date.
function preview(input, id) {
  const box = el("div", { className: "preview prose", id: `${id}-preview`, hidden: true, "aria-live": "polite" });
  const button = el("button", { type: "button", className: "button secondary small", "aria-expanded": "false", "aria-controls": box.id, text: gettext("Show preview") });
  const refresh = debounce(async () => {
    const body = new URLSearchParams({ text: input.value });
    try {
      const answer = await fetch("/scenarios/drafts/preview/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "" },
        body,
      });
      const result = await answer.json();
      if (answer.ok) box.innerHTML = result.html; // sanitised by the server (scenarios/templatetags/parley.py)
      else box.textContent = result.detail;
    } catch {
      box.textContent = gettext("The preview could not be fetched; it will be tried again as you type.");
    }
  }, 300);
  button.addEventListener("click", () => {
    const open = box.hidden;
    box.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? gettext("Hide preview") : gettext("Show preview");
    if (open) refresh();
  });
  input.addEventListener("input", () => {
    if (!box.hidden) refresh();
  });
  return el("div", { className: "preview-wrap" }, button, box);
}

function button(text, onClick, attrs = {}) {
  const node = el("button", { type: "button", className: "button secondary small", text, ...attrs });
  node.addEventListener("click", onClick);
  return node;
}

// Move item `index` of `items` by `by` (-1 up, +1 down), then draw again with focus on the same control.
function mover(items, index, what, focusId) {
  const up = button(gettext("Move up"), () => move(-1), { "aria-label": interpolate(gettext("Move up: %(what)s"), { what }), disabled: index === 0 });
  const down = button(gettext("Move down"), () => move(1), { "aria-label": interpolate(gettext("Move down: %(what)s"), { what }), disabled: index === items.length - 1 });
  function move(by) {
    const [item] = items.splice(index, 1);
    const to = index + by;
    items.splice(to, 0, item);
    changed();
    // Focus stays on the button pressed, or on the other one once the item reaches the end it moved to.
    const ends = (by < 0 && to === 0) || (by > 0 && to === items.length - 1);
    render(focusId(to, (by < 0) !== ends ? "up" : "down"));
  }
  return [up, down];
}

function section(title, path, ...children) {
  const id = idFor(path || "top");
  return el("fieldset", { className: "panel group", "data-path": path || null, id },
    el("legend", { text: title }),
    el("p", { className: "field-error", id: `${id}-error`, hidden: true }),
    ...children);
}

function renderTop() {
  const text = (key, label, extra = {}) =>
    field({ path: key, label, get: () => doc[key], set: (v) => (doc[key] = v), ...extra });
  return section(gettext("The scenario"), null,
    text("title", gettext("Title"), { hint: gettext("Shown in lists; at most 200 characters.") }),
    text("slug", gettext("Slug"), { hint: gettext("The scenario's identity across versions: lower-case letters, digits, - and _.") }),
    text("summary", gettext("Summary"), { kind: "textarea", hint: gettext("One or two sentences for the scenario list.") }),
    text("situation", gettext("Public situation"), { markdown: true, hint: gettext("Markdown. Both roles and the instructor read it.") }),
    text("author", gettext("Author"), { hint: gettext("Optional: who wrote it, as they wish to be credited.") }),
    text("licence", gettext("Licence"), { hint: gettext("Optional: the terms others may use it on, e.g. CC BY 4.0.") }),
  );
}

// A scenario has exactly two roles; a document imported with another number (or none) can be given two.
function twoRoles(roles) {
  if (roles.length === 2) return null;
  return button(roles.length < 2 ? gettext("Add the missing roles") : gettext("Keep only the first two roles"), () => {
    const kept = roles.slice(0, 2).map(obj);
    while (kept.length < 2) kept.push({ key: kept.length ? "second" : "first", name: "", batna: 0, alternative: "", sheet: "" });
    doc.roles = kept;
    changed();
    render("f-roles-0-name");
  }, { id: "two-roles" });
}

function renderRoles() {
  const roles = list(doc.roles);
  return section(gettext("Roles"), "roles", twoRoles(roles), ...roles.map((raw, i) => {
    const role = obj(raw);
    roles[i] = role;
    const p = `roles[${i}]`;
    const title = () => interpolate(gettext("Role %(n)s: %(name)s"), { n: i + 1, name: roleName(i) });
    const legend = el("legend", { text: title() });
    const named = () => (legend.textContent = title());
    const key = field({ path: `${p}.key`, label: gettext("Key"), get: () => role.key, set: (v) => renameRole(i, v), hint: gettext("Used in the points tables."), onInput: named, onChange: redrawIssues });
    return el("fieldset", { className: "subgroup", "data-path": p },
      legend,
      el("div", { className: "row" },
        key,
        field({ path: `${p}.name`, label: gettext("Name"), get: () => role.name, set: (v) => (role.name = v), onInput: named, onChange: redrawIssues }),
        field({ path: `${p}.batna`, label: gettext("BATNA (points)"), kind: "number", get: () => role.batna, set: (v) => (role.batna = v) }),
      ),
      field({ path: `${p}.alternative`, label: gettext("Alternative (the BATNA in words)"), kind: "textarea", get: () => role.alternative, set: (v) => (role.alternative = v) }),
      field({ path: `${p}.sheet`, label: gettext("Confidential sheet"), markdown: true, hint: gettext("Markdown. Only this role reads it."), get: () => role.sheet, set: (v) => (role.sheet = v) }),
      ...(list(doc.events).length ? renderForecasts(role, i) : []),
    );
  }));
}

// With events, each role's own chances of every outcome (confidential) and its caution.
function renderForecasts(role, i) {
  const p = `roles[${i}]`;
  if (!role.forecasts || typeof role.forecasts !== "object") role.forecasts = {};
  const parts = list(doc.events).map(obj).map((event) => {
    const key = str(event.key);
    const chances = obj(role.forecasts[key]);
    role.forecasts[key] = chances;
    return el("div", { className: "row", "data-path": `${p}.forecasts.${key}` },
      ...list(event.outcomes).map(obj).map((outcome) => field({
        path: `${p}.forecasts.${key}.${str(outcome.key)}`,
        label: interpolate(gettext("%(role)s's chance: %(event)s, %(outcome)s"), { role: roleName(i), event: str(event.question) || key, outcome: str(outcome.label) || str(outcome.key) }),
        kind: "number", get: () => chances[outcome.key], set: (v) => (chances[outcome.key] = v),
      })));
  });
  return [
    el("fieldset", { className: "subgroup", "data-path": `${p}.forecasts` },
      el("legend", { text: interpolate(gettext("%(role)s's forecasts (confidential; each event's chances add up to 1)"), { role: roleName(i) }) }),
      el("p", { className: "field-error", id: `${idFor(`${p}.forecasts`)}-error`, hidden: true }),
      ...parts),
    field({ path: `${p}.caution`, label: gettext("Caution (optional, 0 to 1)"), kind: "number", hint: gettext("0 counts the expected points; 1 only the worst outcome."),
      get: () => role.caution, set: (v) => (v === "" ? delete role.caution : (role.caution = v)) }),
  ];
}

// Uncertain events (optional): a question, its outcomes and their stated chances; contingent issues pay
// by them, and each role has its own forecast of them.
function renderEvents() {
  const events = list(doc.events);
  const parts = events.map((raw, e) => {
    const event = obj(raw);
    events[e] = event;
    event.outcomes = list(event.outcomes);
    if (!event.distribution || typeof event.distribution !== "object") event.distribution = {};
    const p = `events[${e}]`;
    const outcomes = event.outcomes.map((rawOutcome, o) => {
      const outcome = obj(rawOutcome);
      event.outcomes[o] = outcome;
      const q = `${p}.outcomes[${o}]`;
      const remove = button(gettext("Remove outcome"), () => {
        event.outcomes.splice(o, 1);
        delete event.distribution[outcome.key];
        changed();
        render(`${idFor(p)}-add-outcome`);
      }, { "aria-label": interpolate(gettext("Remove outcome %(outcome)s of event %(event)s"), { outcome: o + 1, event: e + 1 }) });
      return el("li", { className: "option", "data-path": q },
        el("div", { className: "row" },
          field({ path: `${q}.key`, label: interpolate(gettext("Outcome %(n)s key"), { n: o + 1 }), get: () => outcome.key, set: (v) => {
            renameOutcomeKey(doc, str(event.key), str(outcome.key), v);
            outcome.key = v;
          }, onChange: () => render() }),
          field({ path: `${q}.label`, label: interpolate(gettext("Outcome %(n)s label"), { n: o + 1 }), get: () => outcome.label, set: (v) => (outcome.label = v), onChange: () => render() }),
          field({ path: `${p}.distribution.${str(outcome.key)}`, label: interpolate(gettext("Outcome %(n)s stated chance"), { n: o + 1 }), kind: "number", get: () => event.distribution[outcome.key], set: (v) => (event.distribution[outcome.key] = v) }),
        ),
        el("div", { className: "actions" }, remove));
    });
    const addOutcome = button(gettext("Add an outcome"), () => {
      const key = `outcome-${event.outcomes.length + 1}`;
      event.outcomes.push({ key, label: "" });
      event.distribution[key] = 0;
      for (const role of list(doc.roles).map(obj)) if (role.forecasts && role.forecasts[event.key]) role.forecasts[event.key][key] = 0;
      changed();
      render(idFor(`${p}.outcomes[${event.outcomes.length - 1}].label`));
    }, { id: `${idFor(p)}-add-outcome`, "aria-label": interpolate(gettext("Add an outcome to event %(n)s"), { n: e + 1 }) });
    const remove = button(gettext("Remove event"), () => {
      events.splice(e, 1);
      if (!events.length) dropEvents();
      else for (const role of list(doc.roles).map(obj)) if (role.forecasts) delete role.forecasts[event.key];
      changed();
      render("add-event");
    }, { "aria-label": interpolate(gettext("Remove event %(n)s"), { n: e + 1 }) });
    return el("fieldset", { className: "subgroup", "data-path": p, id: idFor(p) },
      el("legend", { text: interpolate(gettext("Event %(n)s: %(question)s"), { n: e + 1, question: str(event.question) || str(event.key) }) }),
      el("p", { className: "field-error", id: `${idFor(p)}-error`, hidden: true }),
      field({ path: `${p}.key`, label: gettext("Key"), get: () => event.key, set: (v) => {
        renameEventKey(doc, str(event.key), v);
        event.key = v;
      }, onChange: () => render() }),
      field({ path: `${p}.question`, label: gettext("Question (both sides read it)"), get: () => event.question, set: (v) => (event.question = v), onChange: () => render() }),
      el("ol", { className: "options", "data-path": `${p}.outcomes` }, ...outcomes),
      el("p", { className: "field-error", id: `${idFor(`${p}.outcomes`)}-error`, hidden: true }),
      el("p", { className: "field-error", id: `${idFor(`${p}.distribution`)}-error`, "data-path": `${p}.distribution`, hidden: true }),
      el("div", { className: "actions" }, addOutcome, remove));
  });
  const add = button(gettext("Add an event"), () => {
    const n = events.length + 1;
    const key = `event-${n}`;
    const outcomes = [{ key: "yes", label: gettext("Yes") }, { key: "no", label: gettext("No") }];
    doc = withEvents(doc, [...events, { key, question: "", outcomes, distribution: { yes: 0.5, no: 0.5 } }]);
    for (const role of list(doc.roles).map(obj)) {
      role.forecasts = { ...obj(role.forecasts), [key]: { yes: 0.5, no: 0.5 } };
    }
    changed();
    render(idFor(`events[${n - 1}].question`));
  }, { id: "add-event", className: "button small" });
  return section(gettext("Uncertain events (optional)"), "events",
    el("p", { className: "hint", text: gettext("For contingent issues: a term that pays by what happens. Each role gets its own forecast of every event.") }),
    ...parts, el("div", { className: "actions" }, add));
}

// No event left: no forecast either, and no `events` key (a document without events has none).
function dropEvents() {
  delete doc.events;
  for (const role of list(doc.roles).map(obj)) delete role.forecasts;
}

// A role's key is the key of every points table: renaming it renames them all.
function renameRole(index, key) {
  const role = obj(list(doc.roles)[index]);
  const old = str(role.key);
  role.key = key;
  renameRoleKey(doc, old, key);
}

function pointsRow(table, path, what) {
  return el("div", { className: "row" }, ...roleKeys().map((key, r) =>
    field({ path: `${path}.${key}`, label: interpolate(what, { role: roleName(r) }), kind: "number", get: () => table[key], set: (v) => (table[key] = v) })));
}

function renderOption(issue, i, o) {
  const options = issue.options;
  const option = obj(options[o]);
  options[o] = option;
  if (!option.points || typeof option.points !== "object") option.points = {};
  const p = `issues[${i}].options[${o}]`;
  const what = interpolate(gettext("option %(option)s of issue %(issue)s"), { option: o + 1, issue: i + 1 });
  const focus = (to, which) => `${idFor(`issues[${i}].options[${to}]`)}-${which}`;
  const [up, down] = mover(options, o, what, focus);
  up.id = `${idFor(p)}-up`;
  down.id = `${idFor(p)}-down`;
  const remove = button(gettext("Remove"), () => {
    options.splice(o, 1);
    changed();
    render(`${idFor(`issues[${i}]`)}-add-option`);
  }, { "aria-label": interpolate(gettext("Remove %(what)s"), { what }) });
  return el("li", { className: "option", "data-path": p },
    el("div", { className: "row" },
      field({ path: `${p}.key`, label: interpolate(gettext("Option %(n)s key"), { n: o + 1 }), get: () => option.key, set: (v) => (option.key = v) }),
      field({ path: `${p}.label`, label: interpolate(gettext("Option %(n)s label"), { n: o + 1 }), get: () => option.label, set: (v) => (option.label = v) }),
    ),
    issue.type === "contingent" ? contingentPoints(issue, option.points, `${p}.points`, o) : pointsRow(option.points, `${p}.points`, interpolate(gettext("Option %(n)s points: %(role)s"), { n: o + 1, role: "%(role)s" })),
    el("p", { className: "field-error", id: `${idFor(`${p}.points`)}-error`, "data-path": `${p}.points`, hidden: true }),
    el("div", { className: "actions" }, up, down, remove),
  );
}

// A contingent option's points for each role: one number whatever happens, or a number for every outcome.
function contingentPoints(issue, table, path, o) {
  const event = list(doc.events).map(obj).find((e) => e.key === issue.event);
  const outcomes = event ? list(event.outcomes).map(obj) : [];
  return el("div", {}, ...roleKeys().map((key, r) => {
    const byOutcome = table[key] !== null && typeof table[key] === "object";
    const choice = el("select", { id: `${idFor(`${path}.${key}`)}-pays` },
      el("option", { value: "same", text: gettext("The same whatever happens"), selected: !byOutcome }),
      el("option", { value: "by", text: gettext("By outcome"), selected: byOutcome }));
    choice.addEventListener("change", () => {
      const first = byOutcome ? Object.values(table[key])[0] ?? 0 : table[key];
      table[key] = choice.value === "by" ? Object.fromEntries(outcomes.map((x) => [x.key, first])) : first;
      changed();
      render(choice.id);
    });
    const what = interpolate(gettext("Option %(n)s, %(role)s"), { n: o + 1, role: roleName(r) });
    const inputs = byOutcome
      ? outcomes.map((x) => field({ path: `${path}.${key}.${str(x.key)}`, label: interpolate(gettext("%(what)s: if %(outcome)s"), { what, outcome: str(x.label) || str(x.key) }), kind: "number", get: () => table[key][x.key], set: (v) => (table[key][x.key] = v) }))
      : [field({ path: `${path}.${key}`, label: interpolate(gettext("%(what)s: points"), { what }), kind: "number", get: () => table[key], set: (v) => (table[key] = v) })];
    return el("div", { className: "row", "data-path": byOutcome ? `${path}.${key}` : null },
      el("div", { className: "field" }, el("label", { for: choice.id, text: interpolate(gettext("%(what)s pays"), { what }) }), choice), ...inputs);
  }));
}

function blankPoints(value = 0) {
  return Object.fromEntries(roleKeys().map((k) => [k, value]));
}

function renderIssue(raw, i, issues) {
  const issue = obj(raw);
  issues[i] = issue;
  const p = `issues[${i}]`;
  const numeric = issue.type === "numeric";
  const name = () => str(issue.name).trim() || str(issue.key) || gettext("new issue");
  const kind = el("select", { id: `${idFor(p)}-type`, "data-path": `${p}.type` },
    el("option", { value: "options", text: gettext("Options"), selected: !numeric }),
    el("option", { value: "numeric", text: gettext("Numeric (a range in steps)"), selected: numeric }),
    el("option", { value: "contingent", text: gettext("Contingent (pays by an event's outcome)"), selected: issue.type === "contingent" }));
  kind.addEventListener("change", () => {
    setKind(issue, kind.value);
    changed();
    render(kind.id);
  });
  const body = [];
  if (numeric) {
    if (!issue.points || typeof issue.points !== "object") issue.points = {};
    body.push(el("div", { className: "row" },
      ...["min", "max", "step"].map((k) => field({ path: `${p}.${k}`, label: { min: gettext("Lowest value"), max: gettext("Highest value"), step: gettext("Step") }[k], kind: "number", get: () => issue[k], set: (v) => (issue[k] = v) })),
      field({ path: `${p}.unit`, label: gettext("Unit (optional)"), get: () => issue.unit, set: (v) => (v ? (issue.unit = v) : delete issue.unit) }),
    ));
    body.push(el("p", { className: "hint", text: gettext("Each role's points run in a straight line from the lowest value to the highest.") }));
    roleKeys().forEach((key, r) => {
      const ends = obj(issue.points[key]);
      issue.points[key] = ends;
      body.push(el("div", { className: "row", "data-path": `${p}.points.${key}` },
        field({ path: `${p}.points.${key}.at_min`, label: interpolate(gettext("%(role)s: points at the lowest"), { role: roleName(r) }), kind: "number", get: () => ends.at_min, set: (v) => (ends.at_min = v) }),
        field({ path: `${p}.points.${key}.at_max`, label: interpolate(gettext("%(role)s: points at the highest"), { role: roleName(r) }), kind: "number", get: () => ends.at_max, set: (v) => (ends.at_max = v) })));
    });
  } else {
    issue.options = list(issue.options);
    if (issue.type === "contingent") {
      const chooser = el("select", { id: idFor(`${p}.event`), "data-path": `${p}.event` },
        el("option", { value: "", text: gettext("Choose an event") }),
        ...list(doc.events).map(obj).map((e) => el("option", { value: str(e.key), text: str(e.question) || str(e.key), selected: e.key === issue.event })));
      chooser.addEventListener("change", () => {
        issue.event = chooser.value;
        changed();
        render(chooser.id);
      });
      body.push(el("div", { className: "field" }, el("label", { for: chooser.id, text: gettext("Pays by the event") }), chooser,
        el("p", { className: "field-error", id: `${chooser.id}-error`, hidden: true })));
    }
    body.push(el("ol", { className: "options", "data-path": `${p}.options` },
      ...issue.options.map((_, o) => renderOption(issue, i, o))));
    body.push(el("p", { className: "field-error", id: `${idFor(`${p}.options`)}-error`, hidden: true }));
    body.push(button(gettext("Add an option"), () => {
      const n = issue.options.length + 1;
      issue.options.push({ key: `option-${n}`, label: "", points: blankPoints() });
      changed();
      render(idFor(`issues[${i}].options[${n - 1}].label`));
    }, { id: `${idFor(p)}-add-option`, "aria-label": interpolate(gettext("Add an option to issue %(n)s"), { n: i + 1 }) }));
  }
  const [up, down] = mover(issues, i, interpolate(gettext("issue %(n)s"), { n: i + 1 }), (to, which) => `${idFor(`issues[${to}]`)}-${which}`);
  up.id = `${idFor(p)}-up`;
  down.id = `${idFor(p)}-down`;
  const remove = button(gettext("Remove issue"), () => {
    issues.splice(i, 1);
    changed();
    render("add-options-issue");
  }, { "aria-label": interpolate(gettext("Remove issue %(n)s"), { n: i + 1 }) });
  const title = () => interpolate(gettext("Issue %(n)s: %(name)s"), { n: i + 1, name: name() });
  const legend = el("legend", { text: title() });
  const named = () => (legend.textContent = title());
  return el("fieldset", { className: "subgroup issue", "data-path": p, id: idFor(p) },
    legend,
    el("p", { className: "field-error", id: `${idFor(p)}-error`, hidden: true }),
    el("div", { className: "row" },
      field({ path: `${p}.key`, label: gettext("Key"), get: () => issue.key, set: (v) => (issue.key = v), onInput: named }),
      field({ path: `${p}.name`, label: gettext("Name"), get: () => issue.name, set: (v) => (issue.name = v), onInput: named }),
      el("div", { className: "field" }, el("label", { for: kind.id, text: gettext("Kind") }), kind),
    ),
    field({ path: `${p}.description`, label: gettext("Description (optional, public)"), get: () => issue.description, set: (v) => (v ? (issue.description = v) : delete issue.description) }),
    ...body,
    el("div", { className: "actions" }, up, down, remove),
  );
}

// Turn an issue into the other kind, keeping its key, name and description.
function setKind(issue, kind) {
  const keep = { key: issue.key, name: issue.name };
  if (issue.description !== undefined) keep.description = issue.description;
  for (const k of Object.keys(issue)) delete issue[k];
  Object.assign(issue, keep);
  if (kind === "contingent") {
    const first = obj(list(doc.events)[0]);
    Object.assign(issue, { type: "contingent", event: str(first.key) });
    issue.options = [1, 2].map((n) => ({ key: `option-${n}`, label: "", points: blankPoints() }));
  } else if (kind === "numeric") {
    const [a, b] = roleKeys();
    Object.assign(issue, { type: "numeric", min: 0, max: 100, step: 10, points: { [a]: { at_min: 0, at_max: 10 }, [b]: { at_min: 10, at_max: 0 } } });
  } else {
    issue.options = [1, 2].map((n) => ({ key: `option-${n}`, label: "", points: blankPoints() }));
  }
}

function renderIssues() {
  doc.issues = list(doc.issues);
  const issues = doc.issues;
  const add = (kind, text, id) => button(text, () => {
    const n = issues.length + 1;
    const issue = { key: `issue-${n}`, name: "" };
    setKind(issue, kind);
    issues.push(issue);
    changed();
    render(idFor(`issues[${n - 1}].name`));
  }, { id, className: "button small" });
  return section(gettext("Issues"), "issues",
    ...issues.map((issue, i) => renderIssue(issue, i, issues)),
    el("div", { className: "actions" },
      add("options", gettext("Add an issue with options"), "add-options-issue"),
      add("numeric", gettext("Add a numeric issue"), "add-numeric-issue")),
  );
}

function renderNotes() {
  return section(gettext("For the instructor"), null,
    field({ path: "teaching_notes", label: gettext("Teaching notes"), markdown: true, hint: gettext("Markdown. Only instructors read them."), get: () => doc.teaching_notes, set: (v) => (doc.teaching_notes = v) }),
    renderQuestions(),
  );
}

// Debrief questions (optional): each asked beside the debrief figure that answers it, or under the notes.
function renderQuestions() {
  const questions = list(doc.debrief_questions);
  const items = questions.map((raw, q) => {
    const item = obj(raw);
    questions[q] = item;
    const p = `debrief_questions[${q}]`;
    const figure = el("select", { id: idFor(`${p}.figure`), "data-path": `${p}.figure`, "aria-describedby": `${idFor(`${p}.figure`)}-error` },
      el("option", { value: "", text: gettext("None: listed under the teaching notes"), selected: !item.figure }),
      ...data.figures.map((f) => el("option", { value: f, text: f, selected: item.figure === f })));
    figure.addEventListener("change", () => {
      if (figure.value) item.figure = figure.value;
      else delete item.figure;
      changed();
    });
    const [up, down] = mover(questions, q, interpolate(gettext("question %(n)s"), { n: q + 1 }), (to, which) => `${idFor(`debrief_questions[${to}]`)}-${which}`);
    up.id = `${idFor(p)}-up`;
    down.id = `${idFor(p)}-down`;
    const remove = button(gettext("Remove question"), () => {
      questions.splice(q, 1);
      if (!questions.length) delete doc.debrief_questions;
      changed();
      render("add-question");
    }, { "aria-label": interpolate(gettext("Remove question %(n)s"), { n: q + 1 }) });
    return el("li", { className: "option", "data-path": p },
      field({ path: `${p}.question`, label: interpolate(gettext("Question %(n)s"), { n: q + 1 }), kind: "textarea", get: () => item.question, set: (v) => (item.question = v) }),
      el("div", { className: "field" }, el("label", { for: figure.id, text: interpolate(gettext("Question %(n)s: the debrief figure beside it"), { n: q + 1 }) }), figure,
        el("p", { className: "field-error", id: `${figure.id}-error`, hidden: true })),
      el("div", { className: "actions" }, up, down, remove));
  });
  const add = button(gettext("Add a debrief question"), () => {
    doc.debrief_questions = [...questions, { question: "" }];
    changed();
    render(idFor(`debrief_questions[${questions.length}].question`));
  }, { id: "add-question", className: "button small" });
  return el("fieldset", { className: "subgroup", "data-path": "debrief_questions" },
    el("legend", { text: gettext("Debrief questions (optional)") }),
    el("p", { className: "hint", text: gettext("For the class discussion; the instructor's debrief asks each beside the figure that answers it.") }),
    el("p", { className: "field-error", id: "f-debrief_questions-error", hidden: true }),
    el("ol", { className: "options" }, ...items),
    el("div", { className: "actions" }, add));
}

// The issues again, after a role's key or name changed (their points fields name the roles).
function redrawIssues() {
  render(null, true);
}

// Draw the form again (after a structural change; only the issues with `issuesOnly`), keeping focus on
// `focusId` or where it was.
function render(focusId = null, issuesOnly = false) {
  const active = document.activeElement;
  const wanted = focusId || (active && form.contains(active) ? active.id : null);
  const caret = active && "selectionStart" in active && active.id === wanted ? [active.selectionStart, active.selectionEnd] : null;
  const open = [...form.querySelectorAll(".preview:not([hidden])")].map((p) => p.id);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) doc = {};
  const issues = form.querySelector('fieldset[data-path="issues"]');
  if (issuesOnly && issues) issues.replaceWith(renderIssues());
  else form.replaceChildren(renderTop(), renderEvents(), renderRoles(), renderIssues(), renderNotes());
  for (const id of open) {
    const box = document.getElementById(id);
    if (box && box.hidden) box.parentElement.querySelector("button").click();
  }
  if (wanted) {
    const target = document.getElementById(wanted);
    if (target) {
      target.focus();
      if (caret && "setSelectionRange" in target) {
        try {
          target.setSelectionRange(...caret);
        } catch {
          // not a text field
        }
      }
    }
  }
  document.getElementById("studio-title").textContent = str(doc.title).trim() || gettext("Untitled draft");
  showProblems(lastProblems);
}

// ---- keeping the draft: locally at once, on the server after a pause --------------------------------

let dirty = false;
let saving = false;
let retryTimer = null;
let backoff = 1000;
let conflicted = false;
let editCount = 0;

function setStatus(text, state) {
  saveStatus.textContent = text;
  saveStatus.dataset.state = state;
}

// Only what is not saved yet stays in the browser: a sheet saved to the server is not left on the device.
function keepLocal() {
  try {
    if (dirty) localStorage.setItem(STORE, JSON.stringify({ base: revision, document: doc, dirty }));
    else localStorage.removeItem(STORE);
  } catch {
    // storage full or refused: the server copy is still saved as typed
  }
}

function changed() {
  editCount += 1;
  dirty = true;
  rounds = null;
  keepLocal();
  document.getElementById("studio-title").textContent = str(doc.title).trim() || gettext("Untitled draft");
  if (!conflicted) setStatus(gettext("Not saved yet"), "pending");
  scheduleSave();
  scheduleAnalysis();
}

const scheduleSave = debounce(() => save(), SAVE_DELAY);

async function save() {
  if (saving || conflicted || !dirty) return;
  clearTimeout(retryTimer);
  saving = true;
  const sent = editCount;
  setStatus(gettext("Saving…"), "saving");
  try {
    const answer = await api("PUT", `/api/scenario-drafts/${data.id}`, { document: doc, revision });
    revision = answer.revision;
    backoff = 1000;
    if (editCount === sent) dirty = false;
    keepLocal();
    setStatus(dirty ? gettext("Not saved yet") : gettext("Saved"), dirty ? "pending" : "saved");
  } catch (error) {
    if (error.status === 400 && error.field === "revision") {
      conflict(interpolate(gettext("%(reason)s Your version is kept in this browser."), { reason: error.message }));
    } else if (error.status === 0 || error.status >= 500 || error.status === 429) {
      const wait = Math.max(backoff, (error.retryAfter || 0) * 1000);
      backoff = Math.min(backoff * 2, 30000);
      const seconds = formatNumber(Math.round(wait / 1000));
      setStatus(interpolate(error.status === 0
        ? gettext("Not saved yet: no connection; trying again in %(seconds)s s (kept in this browser)")
        : gettext("Not saved yet: the server is busy; trying again in %(seconds)s s (kept in this browser)"), { seconds }), "offline");
      retryTimer = setTimeout(save, wait);
    } else {
      setStatus(interpolate(gettext("Not saved: %(reason)s (kept in this browser)"), { reason: error.message }), "error");
    }
  } finally {
    saving = false;
  }
  if (dirty && !conflicted && !retryTimer) scheduleSave();
}

window.addEventListener("online", () => {
  backoff = 1000;
  save();
});

function conflict(text) {
  conflicted = true;
  document.getElementById("conflict-text").textContent = text;
  document.getElementById("conflict").hidden = false;
  setStatus(gettext("Not saved: saved elsewhere since"), "error");
}

function resolved() {
  conflicted = false;
  document.getElementById("conflict").hidden = true;
}

document.getElementById("conflict-keep").addEventListener("click", async () => {
  try {
    revision = (await api("GET", `/api/scenario-drafts/${data.id}`)).revision;
  } catch (error) {
    document.getElementById("conflict-text").textContent = interpolate(gettext("The saved draft could not be read: %(reason)s"), { reason: error.message });
    return;
  }
  resolved();
  dirty = true;
  keepLocal();
  save();
});

document.getElementById("conflict-load").addEventListener("click", async () => {
  let answer;
  try {
    answer = await api("GET", `/api/scenario-drafts/${data.id}`);
  } catch (error) {
    document.getElementById("conflict-text").textContent = interpolate(gettext("The saved draft could not be read: %(reason)s"), { reason: error.message });
    return;
  }
  resolved();
  doc = answer.document;
  revision = answer.revision;
  dirty = false;
  keepLocal();
  setStatus(gettext("Saved"), "saved");
  render();
  scheduleAnalysis();
});

// ---- the analysis -----------------------------------------------------------------------------------

let analysing = false;
let again = false;
let lastProblems = [];

const scheduleAnalysis = debounce(() => analyse(), ANALYSE_DELAY);

// One analysis at a time, of the latest document; past the throttle (429) or without a connection, the next
// waits for the time the server names (or a second or two) instead of asking again at every keystroke.
let waitUntil = 0;
let waitTimer = null;

async function analyse() {
  if (analysing) {
    again = true;
    return;
  }
  const wait = waitUntil - Date.now();
  if (wait > 0) {
    clearTimeout(waitTimer);
    waitTimer = setTimeout(analyse, wait);
    return;
  }
  analysing = true;
  again = false;
  const sent = editCount;
  const state = document.getElementById("analysis-state");
  try {
    const answer = await api("POST", "/api/scenario-analysis", { document: doc });
    lastProblems = answer.problems;
    showProblems(answer.problems);
    showWarnings(answer.warning_details || []);
    figures = answer.figures;
    drawAnalysis();
    const count = answer.problems.length;
    if (editCount !== sent) {
      again = true;
      state.textContent = gettext("Analysing…");
    } else {
      state.textContent = answer.valid
        ? gettext("Up to date.")
        : interpolate(ngettext("Up to date: %(count)s problem to fix before the figures can be drawn.", "Up to date: %(count)s problems to fix before the figures can be drawn.", count), { count: formatNumber(count) });
    }
  } catch (error) {
    if (error.status === 429 || error.status === 0 || error.status >= 500) {
      const seconds = error.retryAfter || (error.status === 429 ? 1 : 2);
      waitUntil = Date.now() + seconds * 1000;
      again = true;
      state.textContent = error.status === 429
        ? interpolate(gettext("Not up to date: %(reason)s"), { reason: error.message })
        : gettext("Not up to date: the server could not be reached; trying again.");
    } else {
      state.textContent = interpolate(gettext("The analysis failed: %(reason)s"), { reason: error.message });
    }
  } finally {
    analysing = false;
  }
  if (again) analyse();
}

// The element that shows a problem at `path`: the field itself, or the nearest enclosing part.
function holder(path) {
  for (const p of pathAndParents(path)) {
    const found = form.querySelector(`[data-path="${CSS.escape(p)}"]`);
    if (found) return found;
  }
  return null;
}

function showProblems(problems) {
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const items = [];
  for (const problem of problems) {
    const where = holder(problem.path);
    let target = null;
    if (where) {
      const control = where.matches("input, textarea, select") ? where : where.querySelector(":scope > input, :scope > textarea, :scope > select");
      let slot = where.matches(".field-error") ? where : where.querySelector(":scope > .field-error") || where.querySelector(".field-error");
      if (control) slot = document.getElementById(`${control.id}-error`) || slot;
      if (slot) {
        slot.hidden = false;
        slot.append(el("span", { className: "problem", text: `${problem.path}: ${say(problem, problem.message)}` }));
      }
      if (control) control.setAttribute("aria-invalid", "true");
      target = control || where.querySelector("input, textarea, select") || where;
    }
    const link = el("a", { href: target && target.id ? `#${target.id}` : "#studio-form", text: problem.path });
    link.addEventListener("click", (event) => {
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus();
    });
    items.push(el("li", {}, link, `: ${say(problem, problem.message)}`));
  }
  const box = document.getElementById("problems");
  box.hidden = items.length === 0;
  document.getElementById("problems-title").textContent = interpolate(
    ngettext("%(count)s problem to fix before publishing", "%(count)s problems to fix before publishing", items.length),
    { count: formatNumber(items.length) },
  );
  document.getElementById("problems-list").replaceChildren(...items);
}

// Each warning names the part at fault by its path (its `path` parameter): a link to it where the form has it.
function showWarnings(warnings) {
  document.getElementById("warnings-box").hidden = warnings.length === 0;
  document.getElementById("warnings").replaceChildren(...warnings.map((w) => {
    const text = say(w, w.message);
    const path = str(obj(w.params).path);
    const where = path && holder(path);
    const target = where && (where.matches("input, textarea, select") ? where : where.querySelector("input, textarea, select"));
    const at = path ? text.indexOf(path) : -1;
    if (!target || at < 0) return el("li", { text });
    const link = el("a", { href: `#${target.id}`, text: path });
    link.addEventListener("click", (event) => {
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus();
    });
    return el("li", {}, text.slice(0, at), link, text.slice(at + path.length));
  }));
}

function drawAnalysis() {
  const plane = document.getElementById("plane");
  const dl = document.getElementById("figures");
  if (!figures) {
    plane.replaceChildren(el("p", { className: "meta", text: gettext("The outcome plane is drawn once the document has no problems.") }));
    dl.replaceChildren();
    drawSummary();
    return;
  }
  const f = figures;
  const [a, b] = f.role_names;
  const [da, db] = f.batna;
  const feasible = feasibleRegion(f.region, f.batna);
  const series = [];
  if (rounds) {
    series.push({ cls: "role-0", points: rounds.filter((r) => r.ending === "agreed").map((r) => ({ x: r.points[0], y: r.points[1], title: interpolate(gettext("%(first)s vs %(second)s: agreed"), { first: r.first, second: r.second }) })) });
    series.push({ cls: "impasse", shape: "cross", points: rounds.filter((r) => r.ending !== "agreed").map((r) => ({ x: r.points[0], y: r.points[1], title: interpolate(r.ending === "walked" ? gettext("%(first)s vs %(second)s: walked away") : gettext("%(first)s vs %(second)s: time ran out"), { first: r.first, second: r.second }) })) });
  }
  const xs = [...f.region.map((p) => p[0]), da];
  const ys = [...f.region.map((p) => p[1]), db];
  const legend = [
    { label: gettext("Every outcome"), kind: "band", cls: "region" },
    { label: gettext("Above both BATNAs"), kind: "band", cls: "feasible" },
    { label: gettext("Pareto frontier"), kind: "line", cls: "frontier" },
    { label: gettext("BATNA"), kind: "line", cls: "batna" },
    { label: gettext("Nash point"), shape: "diamond", cls: "nash" },
  ];
  if (rounds) legend.push({ label: gettext("Bots agreed"), cls: "point role-0" }, { label: gettext("Bots' impasse"), shape: "cross", cls: "point impasse" });
  const svg = window.ParleyCharts.scatter({
    id: "studio-plane",
    title: gettext("The outcome plane"),
    desc: interpolate(rounds
      ? gettext("%(a)s's points across, %(b)s's up: every outcome's region, the part above both BATNAs, the Pareto frontier of %(frontier)s points, the Nash point and the bots' %(rounds)s rounds.")
      : gettext("%(a)s's points across, %(b)s's up: every outcome's region, the part above both BATNAs, the Pareto frontier of %(frontier)s points and the Nash point."),
    { a, b, frontier: formatNumber(f.frontier.length), rounds: rounds ? formatNumber(rounds.length) : "" }),
    width: 520,
    xLabel: interpolate(gettext("%(role)s: points"), { role: a }),
    yLabel: interpolate(gettext("%(role)s: points"), { role: b }),
    x: window.ParleyCharts.domain(xs),
    y: window.ParleyCharts.domain(ys),
    legend,
    areas: [{ points: f.region, cls: "region" }, { points: feasible, cls: "feasible" }],
    lines: [{ points: f.frontier, cls: "frontier", dots: "frontier-point" }],
    vlines: [{ x: da, cls: "batna", label: interpolate(gettext("BATNA %(points)s"), { points: formatNumber(da) }) }],
    hlines: [{ y: db, cls: "batna", label: interpolate(gettext("BATNA %(points)s"), { points: formatNumber(db) }) }],
    marks: f.nash ? [{ x: f.nash[0], y: f.nash[1], cls: "nash", label: gettext("Nash") }] : [],
    series,
  });
  plane.replaceChildren(svg);
  const rows = [
    [gettext("Outcomes"), formatNumber(f.outcomes)],
    [gettext("Maximum joint gain"), formatNumber(f.max_joint)],
    [gettext("Feasible share (both above their BATNA)"), interpolate(ngettext("%(percent)s (%(count)s outcome)", "%(percent)s (%(count)s outcomes)", f.feasible_outcomes), { percent: formatPercent(f.feasible_fraction), count: formatNumber(f.feasible_outcomes) })],
    [gettext("Integrative potential"), interpolate(gettext("%(points)s points"), { points: formatNumber(f.integrative_potential) })],
    [gettext("Pareto frontier"), interpolate(gettext("%(points)s points"), { points: formatNumber(f.frontier.length) })],
    [gettext("Nash point"), f.nash ? interpolate(gettext("%(a)s %(a_points)s, %(b)s %(b_points)s"), { a, b, a_points: formatNumber(f.nash[0]), b_points: formatNumber(f.nash[1]) }) : gettext("none: no outcome beats both BATNAs")],
  ];
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  drawSummary();
}

// ---- the bots' tournament ---------------------------------------------------------------------------

function drawSummary() {
  const out = document.getElementById("tournament-summary");
  if (!rounds) {
    out.textContent = "";
    return;
  }
  const sum = roundsSummary(rounds);
  const values = {
    rounds: formatNumber(sum.rounds),
    agreed: formatNumber(sum.agreed),
    impasses: formatNumber(sum.walked + sum.time),
    walked: formatNumber(sum.walked),
    time: formatNumber(sum.time),
    mean: formatNumber(sum.meanJoint),
    best: figures ? formatNumber(figures.max_joint) : "",
  };
  const counts = interpolate(gettext("%(rounds)s rounds: %(agreed)s agreements, %(impasses)s impasses (%(walked)s walked away, %(time)s ran out of time)."), values);
  const mean = figures
    ? gettext("Mean joint gain %(mean)s (the most possible: %(best)s), impasses counted at the BATNAs.")
    : gettext("Mean joint gain %(mean)s, impasses counted at the BATNAs.");
  out.textContent = `${counts} ${interpolate(mean, values)}`;
}

document.getElementById("run-tournament").addEventListener("click", async (event) => {
  const run = event.currentTarget;
  const out = document.getElementById("tournament-summary");
  run.disabled = true;
  out.textContent = gettext("The bots are playing 50 rounds…");
  try {
    rounds = await api("POST", "/api/scenario-tournaments", { document: doc, rounds: 50, seed: 1 });
    drawAnalysis();
  } catch (error) {
    out.textContent = interpolate(gettext("The tournament could not run: %(reason)s"), { reason: error.message });
  } finally {
    run.disabled = false;
  }
});

// ---- publishing -------------------------------------------------------------------------------------

async function flush() {
  for (let i = 0; i < 50 && (dirty || saving) && !conflicted; i += 1) {
    if (!saving) await save();
    else await new Promise((resolve) => setTimeout(resolve, 100));
    if (retryTimer && dirty) return false;
  }
  return !dirty && !conflicted;
}

document.getElementById("publish").addEventListener("click", async (event) => {
  const publish = event.currentTarget;
  const out = document.getElementById("publish-result");
  publish.disabled = true;
  out.replaceChildren(el("p", { text: gettext("Publishing…") }));
  try {
    if (!(await flush())) throw new Error(gettext("the draft is not saved yet; publish again once it says Saved."));
    const version = await api("POST", `/api/scenario-drafts/${data.id}/publish`, {});
    slug = version.scenario;
    const links = el("ul", { className: "plain" });
    out.replaceChildren(
      el("p", { className: "ok", text: interpolate(gettext("Published: %(title)s, version %(version)s of %(scenario)s."), { title: version.title, version: version.version, scenario: version.scenario }) }),
      el("p", {}, el("a", { href: `/scenarios/${encodeURIComponent(slug)}/?version=${version.version}`, text: gettext("Read it as instructors see it") })),
      el("p", { text: gettext("Create an exercise with it:") }),
      links,
    );
    const classes = await api("GET", "/api/classes").catch(() => []);
    const query = new URLSearchParams({ scenario: slug, version: version.version });
    for (const c of classes) links.append(el("li", {}, el("a", { href: `/classes/${c.id}/exercises/new/?${query}`, text: interpolate(gettext("in %(class)s"), { class: c.name }) })));
    if (!classes.length) links.append(el("li", {}, el("a", { href: "/dashboard/", text: gettext("Create a class first (dashboard)") })));
  } catch (error) {
    out.replaceChildren(el("p", { className: "error", text: interpolate(gettext("Not published: %(reason)s"), { reason: error.message }) }));
  } finally {
    publish.disabled = false;
  }
});

// ---- start: a copy of this browser's unsaved edits wins over the server's, unless the server moved on --

(function start() {
  let local = null;
  try {
    local = JSON.parse(localStorage.getItem(STORE) || "null");
  } catch {
    local = null;
  }
  if (local && local.dirty && local.document) {
    doc = local.document;
    dirty = true;
    if (local.base === revision) {
      setStatus(gettext("Not saved yet: restored from this browser"), "pending");
      scheduleSave();
    } else {
      conflict(interpolate(gettext("This browser holds changes made on revision %(base)s that were never saved, and the draft was saved elsewhere since (revision %(revision)s). They are shown here."), { base: local.base, revision }));
    }
  }
  render();
  analyse();
})();
