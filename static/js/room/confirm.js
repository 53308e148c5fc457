// The room's confirmations in one native <dialog>, opened with showModal(): the page behind is inert,
// focus moves into the dialog (to Cancel: what it confirms is binding), Escape or Cancel closes it
// with nothing sent, and focus goes back to where it was. `ask(...)` resolves to true only on the
// confirm button.
export function createConfirm({ dialog, el }) {
  const title = dialog.querySelector(".confirm-title");
  const body = dialog.querySelector(".confirm-body");
  const yes = dialog.querySelector(".confirm-yes");
  const no = dialog.querySelector(".confirm-no");
  let settle = null;
  let opener = null;

  dialog.addEventListener("close", () => {
    const done = settle;
    settle = null;
    if (done) done(dialog.returnValue === "yes");
    if (opener && opener.isConnected && !opener.disabled) opener.focus();
    else {
      const room = document.getElementById("room-heading");
      if (room) room.focus();
    }
  });

  // {heading, content: nodes, warning: text or null, confirm: the button's text}
  function ask({ heading, content, warning, confirm }) {
    if (dialog.open) dialog.close("");
    opener = document.activeElement;
    title.textContent = heading;
    body.replaceChildren(...content, warning ? el("p", { class: "warning below-batna", text: warning }) : "");
    yes.textContent = confirm;
    yes.classList.toggle("danger", Boolean(warning));
    dialog.returnValue = "";
    return new Promise((resolve) => {
      settle = resolve;
      dialog.showModal();
      no.focus();
    });
  }

  // Close without confirming (the offer it was about left the table).
  function dismiss() {
    if (dialog.open) dialog.close("");
  }

  return { ask, dismiss, isOpen: () => dialog.open };
}
