// Instructor lobby: refresh who is here every few seconds, without touching the ticks; once the roles are
// out, who has opened their role sheet and saved a planning sheet (the exercise page's readiness).
(function () {
  "use strict";
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  async function fetchJSON(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null; // offline for a moment: the next refresh tries again
    }
  }

  const form = document.getElementById("lobby");
  if (form) {
    setInterval(async () => {
      const data = await fetchJSON(form.dataset.presence);
      if (!data) return;
      const here = new Set(data.connected.map(String));
      for (const el of form.querySelectorAll(".presence")) {
        const on = here.has(el.dataset.student);
        const dot = document.createElement("span");
        dot.className = on ? "dot on" : "dot";
        dot.setAttribute("aria-hidden", "true");
        el.replaceChildren(dot, ` ${on ? gettext("here") : gettext("away")}`);
      }
    }, 5000);
  }

  const LABELS = {
    sheet: [gettext("sheet not opened"), gettext("sheet opened")],
    planning: [gettext("no plan yet"), gettext("plan saved")],
  };
  const summary = document.getElementById("readiness");
  if (summary) {
    setInterval(async () => {
      const data = await fetchJSON(summary.dataset.url);
      if (!data) return;
      for (const [id, seat] of Object.entries(data.seats)) {
        const holder = document.querySelector(`.readiness[data-seat="${id}"]`);
        if (!holder) continue;
        for (const [key, on] of [["sheet", seat.sheet_opened], ["planning", seat.planning_saved]]) {
          const tag = holder.querySelector(`[data-ready="${key}"]`);
          tag.classList.toggle("on", on);
          tag.textContent = LABELS[key][on ? 1 : 0];
        }
      }
      for (const key of ["sheet", "planning"]) {
        const count = summary.querySelector(`[data-count="${key}"]`);
        if (count.textContent !== String(data.counts[key])) count.textContent = String(data.counts[key]);
      }
    }, 5000);
  }
})();
