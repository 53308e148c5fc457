"""Settings come from the environment; each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Jx9vQ2mP7wR4tY8uI1oA5sD6fG0hJ2lZ3xC4vB5nM6qW7eR8tY9uI0oP1aS2dF",
    "ALLOWED_HOSTS": "parley.example.edu",
    "CSRF_TRUSTED_ORIGINS": "https://parley.example.edu",
    "TRUSTED_PROXY_COUNT": "1",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES and not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False
    )


def settings_of(**env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG,"
        "'dev_secret': s.SECRET_KEY == s.DEVELOPMENT_SECRET}))"
    )
    result = run(["-c", code], DJANGO_SETTINGS_MODULE="config.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_nothing_set_it_runs_embedded():
    assert settings_of() == {
        "db": "django.db.backends.sqlite3",
        "layer": "channels.layers.InMemoryChannelLayer",
        "eager": True,
        "broker": "memory://",
        "debug": True,
        "dev_secret": True,
    }


def test_database_url_and_redis_url_switch_to_the_real_services():
    found = settings_of(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", REDIS_URL="redis://127.0.0.1:6379/0")
    assert found["db"] == "django.db.backends.postgresql"
    assert found["layer"] == "config.channel_layer.InboxLayer"
    assert found["eager"] is False
    assert found["broker"] == "redis://127.0.0.1:6379/0"


def test_production_settings_pass_the_deploy_check():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_warns_when_the_proxy_is_trusted_for_https_but_not_for_the_clients_address():
    untrusted = {**PRODUCTION, "TRUSTED_PROXY_COUNT": "0"}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **untrusted)
    assert result.returncode != 0
    assert "parley.W001" in result.stderr and "TRUSTED_PROXY_COUNT" in result.stderr


def test_debug_off_without_a_secret_key_says_what_is_missing():
    result = run(["manage.py", "check"], DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_named():
    result = run(["manage.py", "check"], DEBUG="maybe")
    assert "DEBUG must be true or false, got 'maybe'" in result.stderr


def test_the_env_example_lists_every_variable_the_settings_read():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()

    read = set(re.findall(r'env(?:bool|int|list)?\("([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings_source))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, re.M))
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_with_debug_off_the_room_modules_are_served_under_their_hashed_names(tmp_path):
    """collectstatic takes the ES modules' `import` statements, and WhiteNoise serves them as JavaScript."""
    static = {"STATIC_ROOT": str(tmp_path), **PRODUCTION}
    collected = run(["manage.py", "collectstatic", "--no-input"], **static)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    code = (
        "import json, re, django; django.setup(); from django.test import Client;"
        "from django.templatetags.static import static;"
        "client = Client(HTTP_HOST='parley.example.edu');"
        "get = lambda url: client.get(url, secure=True);"
        "room = get(static('js/room.js')); body = b''.join(room.streaming_content).decode();"
        'imports = re.findall(r\'from "(\\./room/[^"]+)"\', body);'
        "modules = [get('/static/js/' + name[2:]) for name in imports];"
        "print(json.dumps({'room': [static('js/room.js'), room.status_code, room['Content-Type']], 'imports': imports,"
        "'modules': [[m.status_code, m['Content-Type'].split(';')[0]] for m in modules]}))"
    )
    result = run(["-c", code], DJANGO_SETTINGS_MODULE="config.settings", **static)
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    url, status, content_type = served["room"]
    assert re.fullmatch(r"/static/js/room\.[0-9a-f]{12}\.js", url)
    assert (status, content_type.split(";")[0]) == (200, "text/javascript")  # a module needs a JavaScript type
    assert len(served["imports"]) >= 4
    assert all(re.fullmatch(r"\./room/\w+\.[0-9a-f]{12}\.js", name) for name in served["imports"]), served["imports"]
    assert served["modules"] == [[200, "text/javascript"]] * len(served["imports"])
