// After a form is sent, the page's answer to it (a confirmation or the errors, marked data-focus) takes
// the focus and comes into view, so that a screen reader reads it and nobody has to look for it.
(function () {
  "use strict";
  const target = document.querySelector("[data-focus]");
  if (!target) return;
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "center" });
})();
