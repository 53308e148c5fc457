// Instructor lobby: refresh who is here every few seconds, without touching the ticks.
(function () {
  "use strict";
  const form = document.getElementById("lobby");
  if (!form) return;
  const url = form.dataset.presence;
  async function refresh() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const here = new Set((await response.json()).connected.map(String));
      for (const el of form.querySelectorAll(".presence")) {
        const on = here.has(el.dataset.student);
        el.innerHTML = on ? '<span class="dot on" aria-hidden="true"></span> here' : '<span class="dot" aria-hidden="true"></span> away';
      }
    } catch (error) {
      // Offline for a moment: the next refresh tries again.
    }
  }
  setInterval(refresh, 5000);
})();
