// On every page: a box that scrolls (a wide table on a phone, the role sheet beside the room) can be
// reached and scrolled with the keyboard. While its content overflows it is in the tab order (tabindex 0)
// as a region, named by its data-region-name or after its table; once it fits again it leaves the tab order, so
// that a page has no stops that do nothing. Boxes added later (tables that scripts draw) are watched as
// they appear, and so are tables a script puts in a box in place of the ones it drew before.
const SCROLLERS = ".table-wrap, .prose table, .room-sheet";

function nameOf(box) {
  if (box.dataset.regionName) return box.dataset.regionName;
  const table = box.matches("table") ? box : box.querySelector("table");
  const caption = table && table.querySelector("caption");
  if (caption && caption.textContent.trim()) return caption.textContent.trim();
  const labelled = table && table.getAttribute("aria-label");
  if (labelled) return labelled;
  const section = box.closest("section, details, .panel, .card");
  const heading = section && section.querySelector("h2, h3, h4, summary");
  return heading && heading.textContent.trim() ? `${heading.textContent.trim()} (table)` : "Table";
}

// The attributes this script adds to a box while it scrolls (the page's own are left alone).
const ADDED = new WeakMap();

function mark(box) {
  const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
  if (scrolls && !ADDED.has(box)) {
    if (box.hasAttribute("tabindex")) return; // the page chose already
    const added = { tabindex: "0" };
    if (!box.hasAttribute("role")) added.role = "region";
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) added["aria-label"] = nameOf(box);
    for (const [name, value] of Object.entries(added)) box.setAttribute(name, value);
    ADDED.set(box, added);
  } else if (!scrolls && ADDED.has(box)) {
    for (const name of Object.keys(ADDED.get(box))) box.removeAttribute(name);
    ADDED.delete(box);
  }
}

const sizes = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const target = entry.target;
    if (!target.isConnected) {
      sizes.unobserve(target); // a table that a redraw took off the page
      continue;
    }
    const box = target.matches(SCROLLERS) ? target : target.parentElement.closest(SCROLLERS);
    if (box) mark(box);
  }
});
const watched = new WeakSet();

function watch(root) {
  const boxes = root.matches && root.matches(SCROLLERS) ? [root] : [];
  for (const box of [...boxes, ...root.querySelectorAll(SCROLLERS)]) {
    if (watched.has(box)) continue;
    watched.add(box);
    sizes.observe(box);
    if (box.firstElementChild) sizes.observe(box.firstElementChild); // its content grows inside a fixed box
    mark(box);
  }
}

new MutationObserver((records) => {
  const changed = new Set();
  for (const record of records) {
    for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE) watch(node);
    const box = record.target.nodeType === Node.ELEMENT_NODE ? record.target.closest(SCROLLERS) : null;
    if (box && watched.has(box)) changed.add(box);
  }
  // A box whose content a script replaced: its new content is the one whose size counts now.
  for (const box of changed) {
    if (box.firstElementChild) sizes.observe(box.firstElementChild);
    mark(box);
  }
}).observe(document.body, { childList: true, subtree: true });
watch(document);
