"""The Daphne process keeps the garbage collector's full passes short: its start-up heap (Django, the
apps, the libraries) is frozen out of them, so that a pass scans what the sockets hold, not the
whole program (docs/benchmarks.md, "The tail"). Before, passes of 95-176 ms held a handful of
events a minute together: the p99.9 of the live benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import gc, config.asgi; print(gc.get_freeze_count())"


def test_the_asgi_application_freezes_its_start_up_heap_out_of_the_collector():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) > 50_000  # Django, the apps and the libraries are out of every pass
