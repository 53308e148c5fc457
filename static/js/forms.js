// A form marked data-once is sent once: a second click (or Enter) while the first send is on its way does
// nothing, so a hurried double click on "Create exercise" makes one exercise, not two. For forms that
// navigate: the page that answers replaces this one; a page brought back from history may send again.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target;
    // Only a send that goes ahead counts: one a page's own script stopped (its checks, a fetch) does not.
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !("once" in form.dataset)) return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
  });
  // The room keeps a seat's half-typed message, offer and unanswered chats in sessionStorage under
  // "parley.", and the next person at a shared computer should find none of them. A form marked
  // data-forget-drafts (signing out) takes them with it as it is sent; a page whose <body> is marked so
  // (the first after another student signed in here: a code or a personal link that worked) drops them
  // as it loads, so that a wrong code loses nothing.
  function forgetDrafts() {
    try {
      for (const key of Object.keys(sessionStorage)) if (key.startsWith("parley.")) sessionStorage.removeItem(key);
    } catch (error) {
      // storage refused: nothing was kept
    }
  }
  if ("forgetDrafts" in document.body.dataset) forgetDrafts();
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !("forgetDrafts" in form.dataset)) return;
    forgetDrafts();
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    for (const form of document.querySelectorAll("form[data-once]")) {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
    }
  });
})();
