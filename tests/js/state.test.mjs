// The browser's reading of the events (static/js/room/state.js) against the server's fixtures:
// tests/test_replay.py holds core/replay.py and the points to the same files.
// Run: node --test tests/js/
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { applyEvent, emptyState, issuePoints, offerOutcomes, packagePoints, stateFromSnapshot } from "../../static/js/room/state.js";

const folder = new URL("../fixtures/events/", import.meta.url);
const fixtures = readdirSync(folder)
  .filter((name) => name.endsWith(".json"))
  .map((name) => [name, JSON.parse(readFileSync(new URL(name, folder), "utf8"))]);

test("there are fixtures to read", () => {
  assert.ok(fixtures.length >= 4, `found ${fixtures.length}`);
});

test("the fixtures end a pair in every way it can end", () => {
  const endings = new Set(fixtures.flatMap(([, f]) => f.events.map((e) => e.type)));
  for (const ending of ["accept", "walk_away", "deadline", "ended"]) assert.ok(endings.has(ending), `no fixture has ${ending}`);
});

const close = (actual, expected, what) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

for (const [name, fixture] of fixtures) {
  test(`${name}: the state after the events is the server's`, () => {
    const state = emptyState();
    for (const event of fixture.events) applyEvent(state, event);
    const expected = fixture.expected;
    assert.equal(state.status, expected.status);
    assert.deepEqual(state.standing, expected.standing);
    assert.deepEqual(state.agreement, expected.agreement);
    assert.equal(state.lastSeq, expected.last_seq);
    assert.equal(state.paused, expected.paused);
    assert.equal(state.offers, expected.offers);
  });

  test(`${name}: my points for every package are the server's`, () => {
    const offers = fixture.events.filter((e) => e.type === "offer");
    assert.deepEqual(offers.map((e) => String(e.seq)).sort(), Object.keys(fixture.expected.points.offers).sort());
    for (const offer of offers) {
      const expected = fixture.expected.points.offers[String(offer.seq)];
      offer.payload.packages.forEach((pkg, i) => close(packagePoints(fixture.issues, pkg), expected[i], `offer ${offer.seq}/${i}`));
    }
    if (fixture.expected.agreement) close(packagePoints(fixture.issues, fixture.expected.agreement), fixture.expected.points.agreement, "agreement");
  });
}

// The snapshot a socket would get after the first k events: the state as it stands, the latest events only.
function snapshotAfter(events, k, latest) {
  const state = emptyState();
  for (const event of events.slice(0, k)) applyEvent(state, event);
  return {
    negotiation: {
      status: state.status,
      deadline: state.deadline === null ? null : new Date(state.deadline).toISOString(),
      paused: state.paused,
      standing: state.standing,
      agreement: state.agreement,
      offers: state.offers,
      last_seq: state.lastSeq,
    },
    events: events.slice(Math.max(0, k - latest), k),
    last_seq: state.lastSeq,
  };
}

for (const [name, fixture] of fixtures) {
  test(`${name}: the state from a snapshot of the latest events, then the events after it, is the server's`, () => {
    const events = fixture.events;
    for (let k = 1; k <= events.length; k++) {
      for (const latest of [1, 2]) {
        const state = stateFromSnapshot(snapshotAfter(events, k, latest));
        for (const event of events.slice(k)) applyEvent(state, event);
        const expected = fixture.expected;
        const at = `after ${k} events, ${latest} in the snapshot`;
        assert.equal(state.status, expected.status, at);
        assert.deepEqual(state.standing, expected.standing, at);
        assert.deepEqual(state.agreement, expected.agreement, at);
        assert.equal(state.lastSeq, expected.last_seq, at);
        assert.equal(state.paused, expected.paused, at);
        assert.equal(state.offers, expected.offers, at);
        if (expected.status === "agreed" || expected.status === "impasse") assert.equal(state.ending, events[events.length - 1], at);
      }
    }
  });

  test(`${name}: what became of each offer reads the same from any later run of the events`, () => {
    const whole = offerOutcomes(fixture.events);
    for (let k = 0; k < fixture.events.length; k++) {
      const part = offerOutcomes(fixture.events.slice(k));
      for (const [seq, change] of Object.entries(part)) assert.deepEqual(change, whole[seq], `from event ${k + 1}, offer ${seq}`);
      for (const event of fixture.events.slice(k)) {
        if (event.type === "offer") assert.deepEqual(part[event.seq], whole[event.seq], `from event ${k + 1}, offer ${event.seq}`);
      }
    }
  });
}

test("an event tells the timeline what became of earlier offers", () => {
  const state = emptyState();
  const at = "2026-03-02T10:00:00+00:00";
  const pkg = { price: "9000" };
  applyEvent(state, { seq: 1, type: "started", role: null, payload: {}, at });
  assert.deepEqual(applyEvent(state, { seq: 2, type: "offer", role: "seller", payload: { packages: [pkg] }, at }), []);
  assert.deepEqual(applyEvent(state, { seq: 3, type: "offer", role: "seller", payload: { packages: [pkg] }, at }), [{ seq: 2, outcome: "replaced" }]);
  assert.deepEqual(applyEvent(state, { seq: 4, type: "reject", role: "buyer", payload: { offer_seq: 3, reason: "" }, at }), [{ seq: 3, outcome: "rejected" }]);
  assert.deepEqual(state.standing, {});
  applyEvent(state, { seq: 5, type: "offer", role: "buyer", payload: { packages: [pkg, { price: "9100" }] }, at });
  assert.deepEqual(applyEvent(state, { seq: 6, type: "accept", role: "seller", payload: { offer_seq: 5, package: 1, terms: { price: "9100" } }, at }), [
    { seq: 5, outcome: "accepted", package: 1 },
  ]);
  assert.equal(state.status, "agreed");
});

test("a numeric term's points lie on its line, and an issue without my points gives none", () => {
  const price = { key: "price", kind: "numeric", min: 0, max: 30, step: 10, points: { at_min: 0, at_max: 10 } };
  close(issuePoints(price, "10"), 10 / 3, "a third of the way");
  assert.equal(issuePoints({ ...price, points: undefined }, "10"), null);
  assert.equal(packagePoints([price, { key: "x", kind: "options", options: [{ key: "a", label: "A" }] }], { price: "0", x: "a" }), null);
});
