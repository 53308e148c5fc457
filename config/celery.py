"""The Celery application. Tasks are thin: ids in, a service does the work (see STYLE)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Redis takes the lowest number first (0, the default, is the highest priority): a class debrief sent
# at the round end overtakes the pairs' own outcome tasks still queued, which it computes anyway.
app.conf.task_routes = {"negotiations.tasks.compute_outcome": {"priority": 6}}
app.autodiscover_tasks()
