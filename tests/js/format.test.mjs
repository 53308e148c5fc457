// The pure parts of the room beyond the state: offers numbered as offers, one format per locale.
// Run: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatNumber, formatPercent, formatTime } from "../../static/js/format.js";
import { applyEvent, emptyState, offerNumber, stateFromSnapshot } from "../../static/js/room/state.js";

const at = "2026-03-02T22:33:00+00:00";
const pkg = { price: "9000" };
const events = [
  { seq: 1, type: "started", role: null, payload: {}, at },
  { seq: 2, type: "chat", role: "seller", payload: { text: "hi" }, at },
  { seq: 3, type: "offer", role: "seller", payload: { packages: [pkg] }, at },
  { seq: 4, type: "chat", role: "buyer", payload: { text: "no" }, at },
  { seq: 5, type: "offer", role: "buyer", payload: { packages: [pkg] }, at },
  { seq: 6, type: "reject", role: "seller", payload: { offer_seq: 5, reason: "" }, at },
  { seq: 7, type: "chat", role: "buyer", payload: { text: "well" }, at },
  { seq: 8, type: "offer", role: "buyer", payload: { packages: [pkg, { price: "9100" }] }, at },
];

test("offers are numbered 1, 2, 3 in the order made, not by their events' numbers", () => {
  const state = emptyState();
  for (const event of events) applyEvent(state, event);
  assert.deepEqual([3, 5, 8].map((seq) => offerNumber(state, seq)), [1, 2, 3]);
});

test("a snapshot of the latest events numbers its offers from the count of offers so far", () => {
  const snapshot = {
    negotiation: { status: "negotiating", deadline: null, paused: false, standing: {}, agreement: null, offers: 3 },
    events: events.slice(4), // seq 5 to 8
    last_seq: 8,
  };
  const state = stateFromSnapshot(snapshot);
  assert.equal(offerNumber(state, 5), 2);
  assert.equal(offerNumber(state, 8), 3);
  // Offer 1 (seq 3) is in a page not read yet: it counts as the one offer before those read.
  assert.equal(offerNumber(state, 3), 1);
  applyEvent(state, { seq: 9, type: "offer", role: "seller", payload: { packages: [pkg] }, at });
  assert.equal(offerNumber(state, 9), 4);
  // Earlier events read later, above the rest: their offers keep the numbers.
  state.events = [...events.slice(0, 4), ...state.events];
  assert.deepEqual([3, 5, 8, 9].map((seq) => offerNumber(state, seq)), [1, 2, 3, 4]);
});

test("an offer before the events read, among several such, has no number until its page is read", () => {
  const snapshot = {
    negotiation: { status: "negotiating", deadline: null, paused: false, standing: {}, agreement: null, offers: 3 },
    events: events.slice(6), // seq 7 and 8: offers 1 and 2 are further back
    last_seq: 8,
  };
  const state = stateFromSnapshot(snapshot);
  assert.equal(offerNumber(state, 8), 3);
  assert.equal(offerNumber(state, 5), null);
  assert.equal(offerNumber(state, 3), null);
});

test("numbers are grouped with at most two decimals, as the templates write them", () => {
  assert.equal(formatNumber(10100, "en"), "10,100");
  assert.equal(formatNumber("9600", "en"), "9,600");
  assert.equal(formatNumber(100 / 3, "en"), "33.33");
  assert.equal(formatNumber(2.5, "en"), "2.5");
  assert.equal(formatNumber(-0.001, "en"), "0");
  assert.equal(formatNumber(null, "en"), "?");
  assert.equal(formatNumber(10100.5, "de"), "10.100,5");
});

test("times are on the 24-hour clock in every locale", () => {
  assert.equal(formatTime(at, "en", "UTC"), "22:33");
  assert.equal(formatTime("2026-03-02T09:05:00Z", "en", "UTC"), "09:05");
  assert.equal(formatTime("not a time", "en", "UTC"), "");
});

test("a package below my BATNA gets a plain warning; one at or above it none", async () => {
  const { batnaWarning } = await import("../../static/js/room/view.js");
  assert.equal(batnaWarning(30, 35), "Below your BATNA: this package gives you 30 points, 5 fewer than the 35 you get with no agreement.");
  assert.equal(batnaWarning(35, 35), null);
  assert.equal(batnaWarning(40.5, 35), null);
  assert.equal(batnaWarning(null, 35), null);
  assert.match(batnaWarning(1000, 1234.5), /gives you 1,000 points, 234\.5 fewer than the 1,234\.5 you/);
});

test("a share is written as a percentage in the page's language", () => {
  assert.equal(formatPercent(0.5, "en"), "50%");
  assert.equal(formatPercent(0.1234, "en"), "12.34%");
  assert.equal(formatPercent(0.125, "de"), "12,5\u00a0%");
  assert.equal(formatPercent(null, "en"), "?");
});

test("a package card says it is below my BATNA, and in a post-settlement round compares with my agreement instead", async () => {
  const { createView } = await import("../../static/js/room/view.js");
  // A stand-in for live.js's el(): the node's text is what it holds, nulls left out.
  const el = (tag, props, ...children) => ({
    tag,
    props: props || {},
    text: [props && props.text, ...children.flat(Infinity)].filter((c) => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "object" ? c.text : String(c))).join(" "),
  });
  const issues = [{ key: "tyres", kind: "options", options: [{ key: "kept", points: 10 }, { key: "given", points: 40 }] }];
  const S = { me: { role: "buyer", can_act: true, batna: 35 }, roles: [{ key: "buyer", name: "Buyer" }], seats: [], issues, status: "negotiating", agreement: null };
  const view = createView(S, el);
  const low = { tyres: "kept" };
  const high = { tyres: "given" };
  assert.match(view.packageBox(low, null).text, /Below your BATNA: this package gives you 10 points, 25 fewer than the 35/);
  assert.doesNotMatch(view.packageBox(high, null).text, /Below your/);
  // Settling on an agreement below the BATNA: what I keep is the agreement, not the BATNA.
  S.status = "settling";
  S.agreement = low;
  assert.doesNotMatch(view.packageBox(high, null).text, /Below your/);
  assert.doesNotMatch(view.packageBox(low, null).text, /Below your BATNA/);
  // Settling on the better package: the other one is below the agreement, whatever the BATNA says.
  S.agreement = high;
  assert.match(view.packageBox(low, null).text, /Below your current agreement: this package gives you 10 points, 30 fewer than the 40/);
  assert.equal(view.belowFloor(view.points(low)), view.packageBox(low, null).text.match(/Below your current agreement[^]*refuses it\./)[0]);
  // Watching (an observer): no warning is anyone's.
  S.status = "negotiating";
  S.me = { role: "buyer", can_act: false, batna: 35 };
  assert.doesNotMatch(view.packageBox(low, null).text, /Below your/);
});
