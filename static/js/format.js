// How the pages' scripts write numbers, points, money and times: one format per locale, the page's
// language (<html lang>, Django's LANGUAGE_CODE), as the templates write them (scenarios/labels.py and
// config/formats/): grouped in thousands with at most two decimals, times on the 24-hour clock.
// docs/operations.md, "Numbers and times". Pure but for reading the page's language.

const formatters = new Map();

export function pageLang() {
  return (typeof document !== "undefined" && document.documentElement.lang) || "en";
}

function cached(kind, lang, make) {
  const key = `${kind}|${lang}`;
  if (!formatters.has(key)) formatters.set(key, make(lang));
  return formatters.get(key);
}

// 10100 -> "10,100"; 100 / 3 -> "33.33" (en); 1234.5 -> "1.234,5" (de, and es: grouped always, as Django
// groups, where Spanish typography would leave four digits ungrouped).
export function formatNumber(value, lang = pageLang()) {
  const n = Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(n)) return "?";
  const text = cached("number", lang, (l) => new Intl.NumberFormat(l, { maximumFractionDigits: 2, useGrouping: "always" })).format(n);
  return text === "-0" ? "0" : text;
}

// A share of 1 as a percentage: 0.5 -> "50%" (en), "50 %" (de), "50 %" (es); at most two decimals.
export function formatPercent(fraction, lang = pageLang()) {
  const n = Number(fraction);
  if (fraction === null || fraction === undefined || fraction === "" || !Number.isFinite(n)) return "?";
  return cached("percent", lang, (l) => new Intl.NumberFormat(l, { style: "percent", maximumFractionDigits: 2, useGrouping: "always" })).format(n);
}

// An ISO time -> "22:33" (en), in the browser's time zone.
export function formatTime(iso, lang = pageLang(), timeZone = undefined) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const format = cached(`time|${timeZone || ""}`, lang, (l) => new Intl.DateTimeFormat(l, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }));
  return format.format(d);
}

// An ISO time -> "December 5, 2026 at 22:33" (en), "5. Dezember 2026 um 22:33" (de), in the browser's time zone.
export function formatDateTime(iso, lang = pageLang(), timeZone = undefined) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const format = cached(`datetime|${timeZone || ""}`, lang, (l) =>
    new Intl.DateTimeFormat(l, { dateStyle: "long", timeStyle: "short", hourCycle: "h23", timeZone }));
  return format.format(d);
}
