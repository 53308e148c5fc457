// The scenario list's studio actions (templates/scenarios/list.html): a new draft, a scenario adapted into a
// draft, a YAML file imported into one (each then opened in the editor), sharing one's own scenario or not,
// and the differences between two of its versions, drawn line by line.
import { gettext, interpolate } from "./i18n.js";
import { formatNumber } from "./format.js";
import { api, draftUrl } from "./studio_api.js";

const status = document.getElementById("studio-status");
const MAX_YAML = 500_000; // characters of an imported document (docs/api.md, "POST /api/scenario-drafts")

function say(text, bad = false) {
  status.textContent = text;
  status.classList.toggle("error", bad);
}

// `busy` is said while the draft is made, `failed(reason)` if it is not: whole sentences, each translated as one.
async function create(body, busy, failed) {
  say(busy);
  try {
    const draft = await api("POST", "/api/scenario-drafts", body);
    window.location.assign(draftUrl(draft.id));
  } catch (error) {
    say(failed(error.message), true);
  }
}

document.querySelector("[data-studio-new]")?.addEventListener("click", () =>
  create({}, gettext("Making a new draft…"), (reason) => interpolate(gettext("The new draft was not made: %(reason)s"), { reason })),
);

for (const button of document.querySelectorAll("[data-studio-adapt]")) {
  button.addEventListener("click", () =>
    create({ adapt: { scenario: button.dataset.studioAdapt } }, gettext("Copying the scenario into a draft…"), (reason) =>
      interpolate(gettext("The scenario was not copied into a draft: %(reason)s"), { reason }),
    ),
  );
}

document.querySelector("[data-studio-import]")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = document.getElementById("studio-import-file").files[0];
  if (!file) return;
  const tooLarge = () =>
    say(interpolate(gettext("%(name)s is too large for a scenario document (at most %(limit)s characters)."), { name: file.name, limit: formatNumber(MAX_YAML) }), true);
  if (file.size > 2_000_000) return tooLarge();
  const text = await file.text();
  // Characters as the server counts them (a character past U+FFFF is one, not two): past the API's limit,
  // its schema would refuse the text in its own English words.
  if (text.length > MAX_YAML && Array.from(text).length > MAX_YAML) return tooLarge();
  create({ yaml: text }, interpolate(gettext("Importing %(name)s…"), { name: file.name }), (reason) =>
    interpolate(gettext("%(name)s was not imported: %(reason)s"), { name: file.name, reason }),
  );
});

for (const button of document.querySelectorAll("[data-studio-share]")) {
  button.addEventListener("click", async () => {
    const shared = button.dataset.shared !== "true";
    try {
      const answer = await api("PATCH", `/api/scenarios/${encodeURIComponent(button.dataset.studioShare)}`, { shared });
      button.dataset.shared = String(answer.shared);
      button.textContent = answer.shared ? gettext("Stop sharing") : gettext("Share");
      const card = button.closest(".card");
      const title = card.querySelector("h2").textContent;
      card.querySelector("[data-sharing]").textContent = answer.shared ? gettext("shared") : gettext("private");
      button.setAttribute("aria-label", interpolate(answer.shared ? gettext("Stop sharing %(title)s") : gettext("Share %(title)s"), { title }));
      say(interpolate(answer.shared ? gettext("%(title)s is shared with every instructor here.") : gettext("%(title)s is private again."), { title }));
    } catch (error) {
      say(interpolate(gettext("Sharing failed: %(reason)s"), { reason: error.message }), true);
    }
  });
}

// A unified diff as lines, each marked added, removed or a hunk's header; the text is set, never parsed as HTML.
function drawDiff(out, text) {
  out.replaceChildren();
  if (!text) {
    out.append(Object.assign(document.createElement("p"), { className: "meta", textContent: gettext("The two versions are the same.") }));
    return;
  }
  const pre = document.createElement("pre");
  pre.className = "diff-lines";
  pre.tabIndex = 0;
  pre.setAttribute("aria-label", gettext("Differences, line by line"));
  for (const line of text.split("\n")) {
    const span = document.createElement("span");
    if (line.startsWith("+++") || line.startsWith("---")) span.className = "diff-file";
    else if (line.startsWith("+")) span.className = "diff-add";
    else if (line.startsWith("-")) span.className = "diff-del";
    else if (line.startsWith("@@")) span.className = "diff-hunk";
    span.textContent = `${line}\n`;
    pre.append(span);
  }
  out.append(pre);
}

for (const box of document.querySelectorAll("[data-studio-diff]")) {
  const form = box.querySelector("form");
  const out = box.querySelector(".diff-out");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = new URLSearchParams({ from: form.elements.from.value, to: form.elements.to.value });
    try {
      drawDiff(out, await api("GET", `/api/scenarios/${encodeURIComponent(box.dataset.studioDiff)}/diff?${query}`));
    } catch (error) {
      out.textContent = interpolate(gettext("The differences could not be shown: %(reason)s"), { reason: error.message });
    }
  });
}

// Deleting a draft: the dialog (templates/includes/confirm.html) names it; its confirm button deletes it.
const dialog = document.getElementById("draft-delete-dialog");
let doomed = null;
for (const button of document.querySelectorAll("[data-delete-draft]")) {
  button.addEventListener("click", () => {
    doomed = button.closest("li");
    const title = doomed.querySelector("a").textContent;
    dialog.querySelector("h2").textContent = interpolate(gettext("Delete the draft %(title)s?"), { title });
  });
}
dialog?.querySelector("[data-confirm]").addEventListener("click", async () => {
  const answer = dialog.querySelector("[data-answer]");
  try {
    await api("DELETE", `/api/scenario-drafts/${doomed.dataset.draft}`);
  } catch (error) {
    answer.textContent = interpolate(gettext("The draft was not deleted: %(reason)s"), { reason: error.message });
    return;
  }
  const title = doomed.querySelector("a").textContent;
  doomed.remove();
  dialog.close("done"); // focus goes to the next draft's Delete (static/js/confirm.js), or to the heading
  if (!document.querySelector("[data-delete-draft]")) document.getElementById("drafts-title").focus();
  say(interpolate(gettext("The draft %(title)s is deleted."), { title }));
});
