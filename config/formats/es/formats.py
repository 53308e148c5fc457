"""Spanish as Parley writes it: numbers grouped with a full stop (10.100,5), as the browser's
Intl.NumberFormat writes them in the room's scripts (static/js/format.js), where Django's Spanish groups
with a space. Anything not set here is Django's (dates "5 de diciembre de 2026", times on the 24-hour clock)."""

THOUSAND_SEPARATOR = "."
