// Every student page: the round's changes and the debrief, heard on the student's notice socket
// (live.js NoticeSocket, docs/protocol.md "The student's notices"), update the page in place. The page
// is read again and each element with an id and `data-live` is replaced by its fresh copy: no reload,
// and nothing typed is lost (a live part holds no form). While the socket is down, the page says so.
(function () {
  "use strict";
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const script = document.currentScript;
  const live = window.ParleyLive;
  if (!script || !live) return;
  const status = document.getElementById("live-status");
  const stateNode = document.getElementById("live-state");
  let seen = stateNode ? JSON.stringify(JSON.parse(stateNode.textContent)) : null;
  let reading = false;
  let readAgain = false;

  async function refresh() {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      const response = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const node of document.querySelectorAll("[data-live][id]")) {
        const copy = fresh.getElementById(node.id);
        if (copy && copy.innerHTML !== node.innerHTML) node.replaceWith(document.importNode(copy, true));
      }
      const state = fresh.getElementById("live-state");
      if (state) seen = JSON.stringify(JSON.parse(state.textContent));
      document.dispatchEvent(new CustomEvent("parley:refreshed"));
    } catch (error) {
      // Offline for a moment: the next snapshot reads the page again.
    } finally {
      reading = false;
      if (readAgain) {
        readAgain = false;
        refresh();
      }
    }
  }

  function showStatus(state, detail) {
    if (!status) return;
    status.hidden = state === "online" || state === "connecting";
    status.className = `connection live-status connection-${state}`;
    if (state === "reconnecting") status.textContent = gettext("Reconnecting… This page updates by itself once the connection is back.");
    else if (state === "offline") status.textContent = detail.message || gettext("Offline.");
  }

  // A results link on a page that shows the results already just scrolls to them.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-results]");
    const target = link && document.getElementById(link.dataset.results);
    if (target) {
      event.preventDefault();
      target.scrollIntoView();
      target.focus({ preventScroll: true });
    }
  });

  // Another script of the page (the room) may ask for a fresh reading: its negotiation ended.
  document.addEventListener("parley:changed", () => refresh());

  const socket = new live.NoticeSocket(script.dataset.socket, {
    onSnapshot(snapshot) {
      // Something changed while the page loaded or the socket was down: read the page again.
      if (JSON.stringify(snapshot.exercises) !== seen) refresh();
    },
    onNotice() {
      refresh();
    },
    onStatus: showStatus,
  });
  window.parleyNotices = socket;
  socket.start();
})();
