"""The Celery application. Tasks are thin: ids in, a service does the work (see STYLE)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from config.log_filters import ExpectedFaultsOnOneLine

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Redis takes the lowest number first (0, the default, is the highest priority): a class debrief sent
# at the round end overtakes the pairs' own outcome tasks still queued, which it computes anyway.
app.conf.task_routes = {"negotiations.tasks.compute_outcome": {"priority": 6}}
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _expected_faults_on_one_line(logger, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """A worker logs through Celery's handlers, not Django's: they get the settings' filter too."""
    for handler in logger.handlers:
        handler.addFilter(ExpectedFaultsOnOneLine())
