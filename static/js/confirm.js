// Confirmation dialogs (templates/includes/confirm.html): a button (or a link) with data-dialog="<id>" opens that <dialog>
// as a modal. Focus goes to its Cancel button, Escape or Cancel closes it, and focus returns to the button
// that opened it. Before it opens, the dialog gets a "parley:open" event, for a page to fill in its numbers.
(function () {
  "use strict";
  function wire(opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (!dialog || typeof dialog.showModal !== "function") return;
    opener.addEventListener("click", (event) => {
      event.preventDefault(); // an opener may be a link to a page that asks the same, for no JavaScript
      dialog.dispatchEvent(new CustomEvent("parley:open"));
      dialog.showModal();
      dialog.querySelector("[data-cancel]").focus();
    });
    if (dialog.dataset.wired) return;
    dialog.dataset.wired = "1";
    dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close("cancel"));
    dialog.addEventListener("close", () => {
      const back = document.querySelector(`[data-dialog="${dialog.id}"]:not([disabled]):not([hidden])`);
      if (back) back.focus();
    });
  }
  for (const opener of document.querySelectorAll("[data-dialog]")) wire(opener);
})();
