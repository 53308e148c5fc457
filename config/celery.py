"""The Celery application. Tasks are thin: ids in, a service does the work (see STYLE)."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import after_setup_logger, after_setup_task_logger
from django.conf import settings

from config.log_filters import ExpectedFaultsOnOneLine

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Redis takes the lowest number first (0, the default, is the highest priority): a class debrief sent
# at the round end overtakes the pairs' own outcome tasks still queued, which it computes anyway.
app.conf.task_routes = {"negotiations.tasks.compute_outcome": {"priority": 6}}
# The tasks live beside the services they wrap (negotiations.acting, negotiations.debrief, classrooms.links), which send
# them after the commit; a worker imports those modules at start to know them by name.
app.conf.imports = [
    "negotiations.acting",
    "negotiations.bot_seats",
    "negotiations.debrief",
    "classrooms.links",
    "lti.grades",
]
RESEND_DEBRIEFS = "negotiations.tasks.resend_debriefs"  # negotiations.debrief.resend_debriefs
SWEEP_BOT_SEATS = "negotiations.tasks.sweep_bot_seats"  # negotiations.bot_seats.sweep_bot_seats
SWEEP_SCORES = "lti.tasks.sweep_scores"  # lti.grades.sweep_scores
log = logging.getLogger(__name__)


class Sweep(bootsteps.StartStopStep):
    """Every worker sends a small sweep task every `interval()` seconds, on its own timer: work whose task
    died with a worker is sent again within seconds, to whichever worker is alive, while the lost message
    waits out Redis's visibility timeout. Nothing else to run: no beat process."""

    requires = {"celery.worker.components:Timer"}
    task = ""
    what = ""  # for the log

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer: Any = None

    def interval(self) -> float:
        raise NotImplementedError

    def start(self, worker: Any) -> None:
        interval = self.interval()
        self.timer = worker.timer.call_repeatedly(interval, self.send, (interval,), priority=10)

    def stop(self, worker: Any) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def send(self, interval: float) -> None:
        # On the worker's own event loop: without retries, so that Redis away does not hold it up, and
        # any failure in one line (an exception would be logged by the timer with its traceback).
        try:
            app.send_task(self.task, expires=interval, retry=False)
        except Exception as exc:
            log.warning("could not send %s (the next tick tries again): %s", self.what, exc)


class DebriefSweep(Sweep):
    """The class debriefs overdue (negotiations.debrief.debriefs_resend), every DEBRIEF_RESEND_SECONDS / 2
    (at least 1 s). The embedded mode has no worker; there the pages that wait for the debrief sweep."""

    task = RESEND_DEBRIEFS
    what = "the debrief sweep"

    def interval(self) -> float:
        return max(1.0, settings.DEBRIEF_RESEND_SECONDS / 2)


class BotSweep(Sweep):
    """The bot seats whose next move is missing or was lost (negotiations.bot_seats.bot_seats_sweep), every
    BOT_SWEEP_SECONDS, the first time as the worker starts. Embedded, the web process plays the bots."""

    task = SWEEP_BOT_SEATS
    what = "the bot sweep"

    def interval(self) -> float:
        return max(0.5, settings.BOT_SWEEP_SECONDS)

    def start(self, worker: Any) -> None:
        if settings.SERVER_BOTS:
            super().start(worker)
            worker.timer.call_after(0.1, self.send, (self.interval(),), priority=10)


class ScoreSweep(Sweep):
    """The grades for a learning platform whose retry is due (lti.grades.sweep_scores), every minute."""

    task = SWEEP_SCORES
    what = "the grades' sweep"

    def interval(self) -> float:
        return 60.0


app.steps["worker"].add(DebriefSweep)
app.steps["worker"].add(ScoreSweep)
app.steps["worker"].add(BotSweep)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _expected_faults_on_one_line(logger, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """A worker logs through Celery's handlers, not Django's: they get the settings' filter too."""
    for handler in logger.handlers:
        handler.addFilter(ExpectedFaultsOnOneLine())
