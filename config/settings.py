"""Parley's one settings module: every setting comes from an environment variable.

With nothing set it runs embedded: SQLite, the in-memory channel layer, Celery tasks run eagerly,
DEBUG on, a development secret. `DATABASE_URL` switches to PostgreSQL, `REDIS_URL` switches the
channel layer and the Celery broker to Redis. `.env.example` lists every variable.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

DEVELOPMENT_SECRET = "parley-development-secret-not-for-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (a long random string)")
    SECRET_KEY = DEVELOPMENT_SECRET

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    # The API's docs page (/api/docs) serves Swagger UI from this package's static files, not a CDN.
    "ninja",
    "scenarios",
    "classrooms",
    "negotiations",
    "surveys",
    "lti",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Cache-Control, Content-Security-Policy and Permissions-Policy on every page (config/headers.py).
    "config.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the chooser's cookie, else Accept-Language, else English; the API in English.
    "config.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into the form saying when to try again.
    "classrooms.throttles.LoginLockoutMiddleware",
]

if not DEBUG:
    # Daphne serves the collected static files itself in production (no proxy rule needed).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.student",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Database: SQLite beside the code unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
# The joins' PostgreSQL connection on each Daphne's event loop prepares its statements (negotiations/
# loop_reads.py); off for a pooler that cannot keep a connection's prepared statements.
DB_PREPARED_STATEMENTS = envbool("DB_PREPARED_STATEMENTS", True)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
            # The test database is a file, not memory, so that a server process started by a browser
            # test can share it; one per test process, so that parallel runs do not collide.
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"parley-test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "classrooms.User"

# Redis: the channel layer and the Celery broker, or neither.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()


def _redis_db(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    return parts.path.strip("/") or parse_qs(parts.query).get("db", ["0"])[0]


if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub: one PUBLISH per group message, one subscription per process; measured
            # faster than the list-based layer (docs/benchmarks.md, "Live relay"). It reads with a
            # 0.1 s poll, so the socket timeout never cuts an idle class off; keep it for the
            # publishing connection all the same. Pub/sub channels ignore the db number: the prefix
            # carries it, so that deployments sharing one Redis on different db numbers stay apart.
            # channels_redis's, with one channel a process for its consumers (config/channel_layer.py).
            "BACKEND": "config.channel_layer.InboxLayer",
            "CONFIG": {
                "prefix": f"parley.{_redis_db(REDIS_URL)}.",
                # A student's, a seat's and a class's groups (negotiations.publishing) share one Redis
                # channel: joining and leaving them costs no subscription (config/channel_layer.py).
                "shared_groups": ["student.", "seat.", "class."],
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": envint("REDIS_SOCKET_TIMEOUT", 30),
                        "socket_keepalive": True,
                    }
                ],
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A task taken by a worker that dies without acknowledging it goes back to the queue this many
    # seconds later (a dead pool process's task comes back at once). A task delayed past it (a round's
    # deadline) is meanwhile delivered again; ours are idempotent. Workers look every tenth of it (1-10 s).
    _visibility = envint("CELERY_VISIBILITY_TIMEOUT", 300)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        "unacked_restore_interval": max(1, min(10, _visibility // 10)),
        "unacked_restore_throttle": 1,
    }
    # The cache holds the throttles' counts (classrooms/throttles.py), shared by every process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "parley.cache",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # One process: its own memory holds the throttles' counts.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "parley"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
# The live sockets' heartbeat (docs/protocol.md, "Heartbeat"): a client sends a heartbeat every
# SOCKET_HEARTBEAT_SECONDS; the server closes a socket it has heard nothing from for SOCKET_IDLE_SECONDS
# (looking once a second), and its partner is told the participant left. A dead network is seen on both
# sides within SOCKET_IDLE_SECONDS + 1 s (the server) and 2 x SOCKET_HEARTBEAT_SECONDS + 2 s (the client).
SOCKET_HEARTBEAT_SECONDS = envint("SOCKET_HEARTBEAT_SECONDS", 3)
SOCKET_IDLE_SECONDS = envint("SOCKET_IDLE_SECONDS", 8)
# A class debrief still missing this many seconds after it was sent is sent again (then after 2x, 4x...,
# at most hourly): every worker sweeps for it every half of it (config/celery.py).
DEBRIEF_RESEND_SECONDS = envint("DEBRIEF_RESEND_SECONDS", 5)
# The server plays every disclosed bot seat (negotiations/bot_seats.py, docs/bots.md): a Celery task per
# move, or in the embedded mode an asyncio task of the web process. Off: bot seats wait for run_bots.
SERVER_BOTS = envbool("PARLEY_SERVER_BOTS", True)
# A bot thinks this long (with +-25% jitter) before each move; a few seconds, as a person would.
BOT_THINK_SECONDS = envfloat("PARLEY_BOT_THINK_SECONDS", 3.0)
BOT_STRATEGY = os.environ.get("PARLEY_BOT_STRATEGY", "logroller").strip() or "logroller"
if BOT_STRATEGY not in ("tough", "conceder", "logroller", "meso"):  # core.bots.STRATEGIES
    raise ImproperlyConfigured(f"PARLEY_BOT_STRATEGY must be tough, conceder, logroller or meso, got {BOT_STRATEGY!r}")
if not 0.05 <= BOT_THINK_SECONDS <= 60:
    raise ImproperlyConfigured(f"PARLEY_BOT_THINK_SECONDS must be from 0.05 to 60, got {BOT_THINK_SECONDS!r}")
# Every worker sweeps this often for bot seats whose next move was lost (a worker died) and sends it again.
BOT_SWEEP_SECONDS = envfloat("PARLEY_BOT_SWEEP_SECONDS", 2.0)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out log-in before the password is checked
    "classrooms.accounts.UnconfirmedAccountBackend",  # refuses an account whose address is not confirmed
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# Who may become a verified instructor (classrooms/accounts.py; docs/operations.md): addresses whose domain
# is one of these, exactly (a subdomain is another domain), or that an administrator invited; in both cases
# once their owner opened the confirmation link, which works this many hours.
INSTRUCTOR_EMAIL_DOMAINS = [domain.lower().lstrip("@") for domain in envlist("INSTRUCTOR_EMAIL_DOMAINS", [])]
INSTRUCTOR_LINK_HOURS = envint("INSTRUCTOR_LINK_HOURS", 48)

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
# The interface's languages (docs/operations.md, "Languages"): each has its catalogues under
# locale/<code>/LC_MESSAGES/ (django.po for the server, djangojs.po for the scripts), compiled to .mo and
# committed, so that nothing but Python is needed to serve them.
LANGUAGES = [("en", "English"), ("es", "Spanish"), ("de", "German")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True
# One format per locale for numbers and times, the same in templates and in the room's scripts
# (docs/operations.md, "Numbers and times").
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.storage.StaticFilesStorage"
    },
}

# Mail goes out by SMTP once EMAIL_HOST is set (then the class page can email students their links);
# without it, it is printed to the console.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "parley@localhost")

# Security: strict by default once DEBUG is off (manage.py check --deploy reports nothing).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
SESSION_ENGINE = "classrooms.sessions"  # keys carry their HMAC: a forged cookie costs no lookup
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
if envbool("BEHIND_TLS_PROXY", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# A lobby of a thousand students posts a thousand ticks.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Throttles (docs/operations.md, "Throttles"). The client's address is the connection's peer, or, behind
# TRUSTED_PROXY_COUNT reverse proxies that each append to X-Forwarded-For, the entry the outermost added.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# Log-ins (the login page and the admin's): LOGIN_FAILURE_LIMIT failures for one account, or from one
# address, lock it out for 15 minutes after the latest attempt (django-axes, on the cache).
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "classrooms.throttles.client_address"
AXES_USERNAME_CALLABLE = "classrooms.throttles.login_account"
AXES_LOCKOUT_CALLABLE = "classrooms.throttles.login_lockout_response"
AXES_ENABLE_ADMIN = False  # its admin pages list the database handler's records; counts live in the cache
AXES_VERBOSE = False
# django-axes looks for its own middleware by name (classrooms.throttles.LoginLockoutMiddleware is it), and
# warns that a local-memory cache is not shared between processes (embedded, there is one process).
SILENCED_SYSTEM_CHECKS = ["axes.W002"] if REDIS_URL else ["axes.W002", "axes.W001"]
# Sign-up, password reset, joining by class code, the confirmation link sent again: (attempts, per seconds)
# per address and per account (the email address; for joining, the class code), counted in fixed windows
# (classrooms/throttles.py).
THROTTLE_CACHE = "default"
THROTTLES = {
    "join": {"address": (envint("JOIN_LIMIT_PER_ADDRESS", 60), 60), "account": (120, 60)},
    "signup": {"address": (20, 3600), "account": (5, 3600)},
    "password_reset": {"address": (10, 3600), "account": (3, 3600)},
    "confirmation": {"address": (10, 3600), "account": (3, 3600)},  # "send the link again", signed in
    # Emailing a class's personal links (classrooms/links.py): per class, and per instructor over their classes.
    "link_email": {"address": (10, 3600), "account": (3, 86400)},
    "link_email_instructor": {"address": (10, 3600), "account": (10, 86400)},
    # ... and the messages those sendings send, per instructor: a roster may hold any addresses.
    "link_email_messages": {"account": (1000, 86400)},
    # A roster student's link sent from the join page: once a day for the student, ten an hour for an address.
    "roster_link": {"address": (10, 3600), "account": (1, 86400)},
    # The scenario studio's analyses (one per edit, as an author types) and bot tournaments, per instructor.
    "studio_analysis": {"address": (240, 60), "account": (120, 60)},
    "studio_tournament": {"address": (20, 600), "account": (10, 600)},
    # A learning platform's OIDC logins (lti/), each storing a nonce: per address, and per issuer named.
    "lti_login": {"address": (60, 60), "account": (600, 60)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The faults the system recovers from (a Redis restart, a lost worker) in one line (config/log_filters.py).
    "filters": {"expected_faults": {"()": "config.log_filters.ExpectedFaultsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["expected_faults"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print each of its lines a second time.
        "django": {"handlers": [], "propagate": True, "level": os.environ.get("LOG_LEVEL", "INFO")},
        "django.db.backends": {"level": "WARNING"},
    },
}
