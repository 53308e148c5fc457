// The scripts' messages in the page's language. base.html loads Django's JavaScript catalogue (/jsi18n/,
// from locale/<language>/LC_MESSAGES/djangojs.po) before any script, and it defines gettext and ngettext
// globally; without it (node's tests) the English text stands. Messages are marked with these names so that
// `makemessages -d djangojs` finds them (docs/operations.md, "Languages").

export function gettext(msgid) {
  return typeof globalThis.gettext === "function" ? globalThis.gettext(msgid) : msgid;
}

export function ngettext(singular, plural, count) {
  if (typeof globalThis.ngettext === "function") return globalThis.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

// interpolate("%(n)s offers", { n: 3 }) -> "3 offers": named placeholders, as in the Python catalogue.
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}
