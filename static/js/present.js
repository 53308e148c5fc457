// The presentation of a class debrief (templates/reports/presentation.html): one slide at a time.
// Arrow keys, Page Up/Down and the space bar step; Home and End go to the first and the last slide;
// the buttons, a click on the slide, and a swipe do the same. The address keeps the slide (#3), so a
// reload stays on it. Each slide downloads as SVG (the server's file) or PNG (drawn on a canvas).
// Opened before the debrief is ready, the page asks every few seconds and reloads itself when a pair
// finishes or the debrief is there, so that nobody needs to touch the projector's keyboard.
(function () {
  "use strict";
  // The page's language: Django's JavaScript catalogue (presentation.html) defines gettext; without it, English.
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const f = (text, values) => text.replace(/%\((\w+)\)s/g, (m, name) => (name in values ? String(values[name]) : m));
  const deck = document.getElementById("deck");
  if (!deck) return;
  // Waiting for the debrief: a small status every few seconds (debrief/status.json), one request at a
  // time; a reload when the count of open pairs moves or the debrief is there. A session that ended
  // (the answer is the login page) or an exercise no longer this instructor's reloads once, to the page
  // that says so; any other failure is said on the slide and asked again.
  const WAIT_MS = 5000;
  if (deck.dataset.waiting) {
    const shown = [Number(deck.dataset.open), Number(deck.dataset.total)];
    const problem = document.getElementById("deck-waiting");
    const ask = async () => {
      try {
        const response = await fetch(deck.dataset.waiting, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.redirected || response.status === 403 || response.status === 404) {
          location.reload();
          return;
        }
        if (!response.ok) throw new Error(f(gettext("The server answered %(status)s."), { status: response.status }));
        const status = await response.json();
        if (status.ready || status.open_pairs !== shown[0] || status.pairs_total !== shown[1]) {
          location.reload();
          return;
        }
        if (problem) problem.textContent = "";
      } catch (error) {
        if (problem) problem.textContent = f(gettext("Could not load the debrief: %(problem)s It will be tried again."), { problem: error.message });
      }
      setTimeout(ask, WAIT_MS);
    };
    setTimeout(ask, WAIT_MS);
  }
  const slides = [...deck.querySelectorAll(".slide")];
  const counter = document.getElementById("deck-counter");
  const svgLink = document.getElementById("deck-svg");
  const answer = document.getElementById("deck-answer");
  let current = 0;

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach((slide, i) => (slide.hidden = i !== current));
    const slide = slides[current];
    counter.textContent = `${current + 1} / ${slides.length}`;
    counter.setAttribute("aria-label", f(gettext("Slide %(number)s of %(total)s: %(title)s"), { number: current + 1, total: slides.length, title: slide.getAttribute("aria-label") }));
    // At either end its step does nothing, and says so (still in the keyboard's reach, unlike a disabled button).
    for (const [id, end] of [["deck-prev", current === 0], ["deck-next", current === slides.length - 1]]) {
      if (end) document.getElementById(id).setAttribute("aria-disabled", "true");
      else document.getElementById(id).removeAttribute("aria-disabled");
    }
    if (svgLink && slide.dataset.svg) svgLink.href = slide.dataset.svg;
    if (answer) answer.textContent = "";
    deck.dataset.current = String(current + 1);
    history.replaceState(null, "", `#${current + 1}`);
  }

  const step = (by) => show(current + by);
  function fromAddress() {
    const wanted = Number.parseInt(location.hash.slice(1), 10);
    show(Number.isFinite(wanted) ? wanted - 1 : 0);
  }
  fromAddress();
  window.addEventListener("hashchange", fromAddress);

  const FORWARD = new Set(["ArrowRight", "ArrowDown", "PageDown", " "]);
  const BACK = new Set(["ArrowLeft", "ArrowUp", "PageUp"]);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const onControl = event.target.closest && event.target.closest("button, a, input, select, textarea");
    if (onControl && (event.key === " " || event.key === "Enter")) return; // the control's own action
    let to = null;
    if (event.key === " " && event.shiftKey) to = current - 1;
    else if (FORWARD.has(event.key)) to = current + 1;
    else if (BACK.has(event.key)) to = current - 1;
    else if (event.key === "Home") to = 0;
    else if (event.key === "End") to = slides.length - 1;
    if (to === null) return;
    event.preventDefault();
    show(to);
  });

  document.getElementById("deck-prev").addEventListener("click", () => step(-1));
  document.getElementById("deck-next").addEventListener("click", () => step(1));
  document.getElementById("deck-slides").addEventListener("click", () => step(1));

  let touchX = null;
  deck.addEventListener("touchstart", (e) => (touchX = e.changedTouches[0].clientX), { passive: true });
  deck.addEventListener("touchend", (e) => {
    if (touchX === null) return;
    const dx = e.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 50) step(dx < 0 ? 1 : -1);
  });

  const png = document.getElementById("deck-png");
  if (png && window.ParleyCharts) {
    png.addEventListener("click", () => {
      const slide = slides[current];
      window.ParleyCharts.downloadPng(slide.querySelector("svg"), `${deck.dataset.file}-${slide.dataset.key}`).catch((e) => (answer.textContent = e.message));
    });
  }
  const print = document.getElementById("deck-print");
  if (print) print.addEventListener("click", () => window.print());
})();
