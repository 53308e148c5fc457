"""ASGI entry point for Daphne: HTTP through Django, websockets through Channels.

Websocket handshakes must come from an allowed host's page (Origin checked against ALLOWED_HOSTS) and
carry the session cookie, checked before the session is loaded (negotiations.handshake); who is
speaking comes from the session, never from a frame.
"""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from config import daphne_sockets  # noqa: E402
from config.autobahn_logs import format_lazily  # noqa: E402
from config.collector import Collector, CountSockets  # noqa: E402
from negotiations.bot_seats import EmbeddedBots  # noqa: E402
from negotiations.routing import websocket_urlpatterns  # noqa: E402

format_lazily()  # autobahn's debug lines cost nothing while debug logging is off
daphne_sockets.install()  # a flooding socket is closed as Daphne reads it, and read no more

# In production WhiteNoise serves static files; in development Daphne alone serves them too.
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.DEBUG else django_asgi_app

collector = Collector()  # the sockets' objects frozen out of the collector's passes too (config/collector.py)
application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": CountSockets(AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)), collector),
    }
)
if settings.SERVER_BOTS and settings.CELERY_TASK_ALWAYS_EAGER:
    # Embedded: no worker, so this process plays the bot seats (negotiations.bot_seats).
    application = EmbeddedBots(application)

# The garbage collector's full passes scanned the whole heap, Django and the libraries included, and held
# every socket of the process for 95-176 ms, a few times a minute: the live relay's p99.9. What is loaded
# by now lives as long as the process, so it is left out of every pass (docs/benchmarks.md, "The tail").
gc.collect()
gc.freeze()
