// The studio's pure parts (static/js/studio_doc.js). Run: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import { feasibleRegion, localise, parseNumber, pathAndParents, renameRoleKey, roundsSummary } from "../../static/js/studio_doc.js";

test("a number as typed is a number, anything else the text for the validator to name", () => {
  assert.equal(parseNumber(" 12 "), 12);
  assert.equal(parseNumber("-0.5"), -0.5);
  assert.equal(parseNumber("ten"), "ten");
  assert.equal(parseNumber("1e3"), "1e3");
  assert.equal(parseNumber(""), "");
});

test("a role's key is renamed in every points table, in its place", () => {
  const doc = {
    issues: [
      { key: "a", options: [{ key: "x", points: { seller: 1, buyer: 2 } }, { key: "y", points: { buyer: 3, seller: 4 } }] },
      { key: "p", type: "numeric", points: { seller: { at_min: 0, at_max: 1 }, buyer: { at_min: 1, at_max: 0 } } },
      { key: "b", options: [{ key: "z", points: { seller: 5, owner: 6 } }] },
    ],
  };
  renameRoleKey(doc, "seller", "owner");
  assert.deepEqual(Object.entries(doc.issues[0].options[0].points), [["owner", 1], ["buyer", 2]]);
  assert.deepEqual(Object.entries(doc.issues[0].options[1].points), [["buyer", 3], ["owner", 4]]);
  assert.deepEqual(Object.keys(doc.issues[1].points), ["owner", "buyer"]);
  assert.deepEqual(doc.issues[2].options[0].points, { seller: 5, owner: 6 }); // a clash is left for the validator
});

test("a problem's path and the parts that hold it, nearest first", () => {
  assert.deepEqual(pathAndParents("issues[1].options[0].points.seller"), [
    "issues[1].options[0].points.seller",
    "issues[1].options[0].points",
    "issues[1].options[0]",
    "issues[1].options",
    "issues[1]",
    "issues",
  ]);
  assert.deepEqual(pathAndParents("(document)"), ["(document)"]);
});

test("the feasible region is the part of the region at or above both BATNAs", () => {
  // The lease of docs/studio.md: BATNAs 20 and 15.
  const region = [[0, 75], [10, 45], [50, 5], [80, 10], [70, 40], [30, 80]];
  const feasible = feasibleRegion(region, [20, 15]);
  assert.ok(feasible.every(([x, y]) => x >= 20 - 1e-9 && y >= 15 - 1e-9));
  assert.ok(feasible.some(([x, y]) => x === 70 && y === 40)); // a corner inside stays
  assert.ok(feasible.some(([x, y]) => x === 20 && Math.abs(y - 235 / 3) < 1e-9)); // the edge from (30, 80) to (0, 75) cut at x = 20
  assert.deepEqual(feasibleRegion(region, [90, 0]), []); // nothing beats a BATNA beyond the region
  assert.deepEqual(feasibleRegion([[0, 0], [10, 0], [0, 10]], [-5, -5]), [[0, 0], [10, 0], [0, 10]]);
});

test("the bots' rounds: agreements, impasses by kind, and the mean joint gain of every round", () => {
  const rounds = [
    { ending: "agreed", points: [60, 50] },
    { ending: "walked", points: [20, 15] },
    { ending: "time", points: [20, 15] },
    { ending: "agreed", points: [70, 40] },
  ];
  assert.deepEqual(roundsSummary(rounds), { rounds: 4, agreed: 2, walked: 1, time: 1, meanJoint: 72.5 });
  assert.equal(roundsSummary([]).meanJoint, null);
});

test("an event's or an outcome's key renamed follows into forecasts, chances and options", async () => {
  const { renameEventKey, renameOutcomeKey, withEvents } = await import("../../static/js/studio_doc.js");
  const doc = {
    slug: "s",
    situation: "x",
    events: [{ key: "sales", outcomes: [{ key: "up" }, { key: "down" }], distribution: { up: 0.5, down: 0.5 } }],
    roles: [{ key: "a", forecasts: { sales: { up: 0.8, down: 0.2 } } }, { key: "b", forecasts: { sales: { up: 0.3, down: 0.7 } } }],
    issues: [{ key: "bonus", type: "contingent", event: "sales", options: [{ key: "y", points: { a: { up: 3, down: 0 }, b: 1 } }] }],
  };
  renameEventKey(doc, "sales", "revenue");
  assert.deepEqual(Object.keys(doc.roles[0].forecasts), ["revenue"]);
  assert.equal(doc.issues[0].event, "revenue");
  doc.events[0].key = "revenue";
  renameOutcomeKey(doc, "revenue", "up", "beats");
  assert.deepEqual(doc.events[0].distribution, { beats: 0.5, down: 0.5 });
  assert.deepEqual(doc.roles[1].forecasts.revenue, { beats: 0.3, down: 0.7 });
  assert.deepEqual(doc.issues[0].options[0].points, { a: { beats: 3, down: 0 }, b: 1 });
  assert.deepEqual(Object.keys(withEvents({ slug: "s", situation: "x", roles: [] }, [])), ["slug", "situation", "events", "roles"]);
});

test("a message of the scenario check is said with the page's translations, its words translated too", () => {
  const problem = {
    template: "must be a number, got %(kind)s",
    params: { kind: { template: "text %(value)s", params: { value: "'zehn'" } } },
  };
  const german = { "must be a number, got %(kind)s": "muss eine Zahl sein, gefunden: %(kind)s", "text %(value)s": "der Text %(value)s" };
  assert.equal(localise(problem, german), "muss eine Zahl sein, gefunden: der Text 'zehn'");
  assert.equal(localise(problem, {}), "must be a number, got text 'zehn'"); // an English page
  assert.equal(localise({ template: "100%% of %(n)s", params: { n: "3" } }, {}), "100% of 3");
  // A translation that lost a placeholder is not used; without a template the fallback stands.
  assert.equal(localise(problem, { "must be a number, got %(kind)s": "keine Zahl" }), "must be a number, got text 'zehn'");
  assert.equal(localise({ detail: "x" }, german, "the server's words"), "the server's words");
});

test("a count or a limit in a message is written as the page's language writes numbers", () => {
  const refused = {
    template: "the document has %(count)s characters; at most %(limit)s are allowed",
    params: { count: 500001, limit: 500000 },
  };
  const german = { "the document has %(count)s characters; at most %(limit)s are allowed": "das Dokument hat %(count)s Zeichen; erlaubt sind höchstens %(limit)s" };
  assert.equal(localise(refused, german, "", "de"), "das Dokument hat 500.001 Zeichen; erlaubt sind höchstens 500.000");
  assert.equal(localise(refused, {}, "", "en"), "the document has 500,001 characters; at most 500,000 are allowed");
});
