"""English as Parley writes it: times on the 24-hour clock, as the room's scripts write them
(static/js/format.js); numbers as Django's English (10,100.5). Anything not set here is Django's."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
