// The offer builder: one to three packages, each a term for every issue, with my own points for each
// term and for the package as I build it. `send(packages, button)` sends the offer. The packages being
// built are kept in this tab under `draftKey` (sessionStorage, gone with the tab; the key names the
// seat), as the chat's draft is, so that a reload on a phone loses none of them; a
// stored draft that does not fit the scenario's issues is dropped for the usual first package.
import { gettext, interpolate } from "../i18n.js";
import { issuePoints, packagePoints } from "./state.js";
import { formatNumber, pts, show } from "./view.js";

const MAX_PACKAGES = 3;

function decimals(step) {
  const s = String(step);
  return s.includes(".") ? s.length - s.indexOf(".") - 1 : 0;
}

function onGrid(issue, value) {
  let v = Number(value);
  if (!Number.isFinite(v)) return null;
  v = Math.min(issue.max, Math.max(issue.min, v));
  const k = Math.round((v - issue.min) / issue.step);
  return Number((issue.min + k * issue.step).toFixed(decimals(issue.step)));
}

// A stored package as the builder holds it (every issue's term, as a string), or null when it does not fit.
function fitting(issues, stored) {
  if (stored === null || typeof stored !== "object" || Array.isArray(stored)) return null;
  const pkg = {};
  for (const issue of issues) {
    const value = stored[issue.key];
    if (typeof value !== "string") return null;
    if (issue.kind === "numeric" ? value === "" || String(onGrid(issue, value)) !== value : !issue.options.some((o) => o.key === value)) return null;
    pkg[issue.key] = value;
  }
  return pkg;
}

export function createOfferBuilder({ S, view, el, form, holder, addButton, sendButton, errorNode, send, draftKey }) {
  let packages = [];

  const draft = {
    read() {
      if (!draftKey) return [];
      try {
        const stored = JSON.parse(sessionStorage.getItem(draftKey));
        if (!Array.isArray(stored) || !stored.length || stored.length > MAX_PACKAGES) return [];
        const fit = stored.map((pkg) => fitting(S.issues, pkg));
        return fit.includes(null) ? [] : fit;
      } catch (error) {
        return []; // not JSON, or storage refused
      }
    },
    write() {
      if (!draftKey) return;
      try {
        sessionStorage.setItem(draftKey, JSON.stringify(packages));
      } catch (error) {
        // storage refused (private browsing, full): the packages live in the form only
      }
    },
  };

  function defaultPackage() {
    const pkg = {};
    for (const issue of S.issues) {
      if (issue.kind === "numeric") pkg[issue.key] = String(onGrid(issue, (issue.min + issue.max) / 2));
      else pkg[issue.key] = issue.options[0].key;
    }
    return pkg;
  }

  function build() {
    if (!packages.length) packages = draft.read();
    if (!packages.length) packages = [defaultPackage()];
    holder.replaceChildren(...packages.map((pkg, i) => packageFieldset(pkg, i)));
    draft.write();
    addButton.hidden = packages.length >= MAX_PACKAGES;
    sendButton.textContent = packages.length > 1 ? interpolate(gettext("Send offer (%(count)s packages)"), { count: packages.length }) : gettext("Send offer");
  }

  function numericField(issue, pkg, index, id, issuePts, update) {
    const box = el("input", { type: "number", id, min: issue.min, max: issue.max, step: issue.step, inputmode: "decimal", value: pkg[issue.key] });
    const slider = el("input", {
      type: "range",
      min: issue.min,
      max: issue.max,
      step: issue.step,
      value: pkg[issue.key],
      "aria-label": interpolate(gettext("%(issue)s, package %(number)s (slider)"), { issue: issue.name, number: index + 1 }),
    });
    const set = (value, from) => {
      const v = onGrid(issue, value);
      if (v === null) return;
      pkg[issue.key] = String(v);
      if (from !== box) box.value = String(v);
      if (from !== slider) slider.value = String(v);
      update();
    };
    slider.addEventListener("input", () => set(slider.value, slider));
    box.addEventListener("input", () => {
      const v = Number(box.value);
      if (box.value !== "" && Number.isFinite(v) && v >= issue.min && v <= issue.max) set(v, box);
    });
    box.addEventListener("change", () => set(box.value === "" ? pkg[issue.key] : box.value, null));
    return el(
      "div",
      { class: "field issue-field numeric" },
      el("div", { class: "issue-label" }, el("label", { for: id, text: `${issue.name}${issue.unit ? ` (${issue.unit})` : ""}` }), issuePts),
      box,
      slider,
      el("span", { class: "meta range-ends", "aria-hidden": "true" }, el("span", { text: formatNumber(issue.min) }), el("span", { text: formatNumber(issue.max) })),
    );
  }

  function optionField(issue, pkg, id, issuePts, update) {
    const select = el(
      "select",
      { id },
      issue.options.map((o) => {
        const p = issuePoints(issue, o.key);
        return el("option", { value: o.key, selected: o.key === pkg[issue.key], text: p === null ? o.label : interpolate(gettext("%(label)s (%(points)s pts)"), { label: o.label, points: pts(p) }) });
      }),
    );
    select.addEventListener("change", () => {
      pkg[issue.key] = select.value;
      update();
    });
    return el("div", { class: "field issue-field" }, el("div", { class: "issue-label" }, el("label", { for: id, text: issue.name }), issuePts), select);
  }

  function packageFieldset(pkg, index) {
    const total = el("output", { class: "package-total-value", "aria-live": "polite" });
    const warning = el("p", { class: "warning below-batna", hidden: true });
    const compare = el("span", { class: "meta" });
    const issuePts = {};
    const update = () => {
      draft.write();
      for (const issue of S.issues) issuePts[issue.key].textContent = interpolate(gettext("%(points)s pts"), { points: pts(issuePoints(issue, pkg[issue.key])) });
      const points = packagePoints(S.issues, pkg);
      total.textContent = interpolate(gettext("%(label)s for package %(number)s: %(points)s"), { label: view.pointsLabel(), number: index + 1, points: pts(points) });
      // In a post-settlement round the floor is the agreement, not the BATNA (view.belowFloor).
      const floor = S.status === "settling" ? view.floorPoints() : null;
      show(warning, view.belowFloor(points));
      // The dot holds to what follows it (a no-break space), so that a narrow screen breaks the line before it.
      compare.textContent = ` ·\u00a0${floor === null ? interpolate(gettext("your BATNA: %(points)s"), { points: pts(S.me.batna) }) : interpolate(gettext("your current agreement: %(points)s"), { points: pts(floor) })}`;
    };
    const fields = S.issues.map((issue) => {
      const id = `p${index}-${issue.key}`;
      issuePts[issue.key] = el("span", { class: "issue-points", "aria-hidden": "true" });
      return issue.kind === "numeric"
        ? numericField(issue, pkg, index, id, issuePts[issue.key], update)
        : optionField(issue, pkg, id, issuePts[issue.key], update);
    });
    const remove =
      packages.length > 1
        ? el("button", {
            type: "button",
            class: "button secondary small",
            text: interpolate(gettext("Remove package %(number)s"), { number: index + 1 }),
            onclick: () => {
              packages.splice(index, 1);
              build();
              addButton.focus();
            },
          })
        : null;
    update();
    return el(
      "fieldset",
      { class: "package-fieldset" },
      el("legend", { text: interpolate(gettext("Package %(number)s"), { number: index + 1 }) }),
      ...fields,
      el("p", { class: "package-total" }, total, compare),
      warning,
      remove,
    );
  }

  addButton.addEventListener("click", () => {
    if (packages.length >= MAX_PACKAGES) return;
    packages.push({ ...packages[packages.length - 1] });
    build();
    const fieldsets = holder.querySelectorAll("fieldset");
    const first = fieldsets[fieldsets.length - 1].querySelector("input, select");
    if (first) first.focus();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const seen = new Map();
    for (const [i, pkg] of packages.entries()) {
      const key = JSON.stringify(S.issues.map((issue) => String(pkg[issue.key])));
      if (seen.has(key)) {
        show(errorNode, interpolate(gettext("Packages %(first)s and %(second)s are the same: change one of them, or remove it."), { first: seen.get(key) + 1, second: i + 1 }));
        return;
      }
      seen.set(key, i);
    }
    const frame = packages.map((pkg) => {
      const out = {};
      for (const issue of S.issues) out[issue.key] = issue.kind === "numeric" ? Number(pkg[issue.key]) : pkg[issue.key];
      return out;
    });
    send(frame, sendButton);
  });

  return { build };
}
