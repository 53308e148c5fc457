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
    if (!target.isConnected) continue; // taken off the page: `forget` lets it go
    const box = target.matches(SCROLLERS) ? target : target.parentElement.closest(SCROLLERS);
    if (box) mark(box);
  }
});
const watched = new WeakSet(); // the boxes observed
const contents = new WeakMap(); // box -> the first child observed with it

function observeContent(box) {
  const content = box.firstElementChild;
  if (content === contents.get(box)) return;
  if (contents.has(box)) sizes.unobserve(contents.get(box));
  if (content) {
    sizes.observe(content); // its content grows inside a fixed box; observing reports its size once
    contents.set(box, content);
  } else contents.delete(box);
}

function watch(root) {
  const boxes = root.matches && root.matches(SCROLLERS) ? [root] : [];
  for (const box of [...boxes, ...root.querySelectorAll(SCROLLERS)]) {
    if (watched.has(box)) continue;
    watched.add(box);
    sizes.observe(box);
    observeContent(box);
    mark(box);
  }
}

function forget(root) {
  const boxes = root.matches(SCROLLERS) ? [root] : [];
  for (const box of [...boxes, ...root.querySelectorAll(SCROLLERS)]) {
    if (!watched.has(box)) continue;
    watched.delete(box); // watched again if a script puts it back
    sizes.unobserve(box);
    if (contents.has(box)) sizes.unobserve(contents.get(box));
    contents.delete(box);
  }
}

// Only the records of a box's own children cost anything here: a page that redraws cells inside a box
// (the monitor, many times a second) asks for no layout.
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.removedNodes) if (node.nodeType === Node.ELEMENT_NODE && !node.isConnected) forget(node);
    for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE) watch(node);
    // A box whose content a script replaced: its new content is the one whose size counts now.
    if (watched.has(record.target)) observeContent(record.target);
  }
}).observe(document.body, { childList: true, subtree: true });
watch(document);
