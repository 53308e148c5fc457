// A student's open page tells the server every 20 s that they are here (the instructor's lobby).
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script.dataset.ping;
  const csrf = script.dataset.csrf;
  function ping() {
    if (document.visibilityState === "hidden") return;
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } }).catch(() => {});
  }
  ping();
  setInterval(ping, 20000);
  document.addEventListener("visibilitychange", ping);
})();
