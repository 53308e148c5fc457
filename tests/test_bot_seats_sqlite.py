"""The embedded mode as `make demo` runs it, on SQLite: one Daphne process, no Redis, no worker, and the
web process plays the server's bot to an agreement. The suite's database may be PostgreSQL, so this
test makes its own SQLite file (migrated, with a class whose odd student plays the bot, the round
started) in a process of its own, as a deployment would."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys

from bench.stack import ROOT
from negotiations.client import LiveClient, sign_in
from tests.servers import daphne, server_env
from tests.test_bot_seats_live import ENV, bot_events, greedy

SETUP = """
import json

import django

django.setup()
from django.core.management import call_command

from classrooms import services
from classrooms.models import User
from negotiations import rounds
from negotiations.models import Seat
from scenarios.services import builtin_scenarios_load

call_command("migrate", verbosity=0, interactive=False)
used_car = next(r.version for r in builtin_scenarios_load() if r.version.scenario.slug == "used-car")
owner = User.objects.create_user(email="ines@example.edu", password=None)
classroom = services.classroom_create(owner=owner, name="Embedded")
(student,) = services.roster_import(classroom=classroom, text="name\\nOdd One\\n").created
exercise = services.exercise_create(
    classroom=classroom, title="Used car", scenario_version=used_car, time_limit_minutes=20, created_by=owner
)
exercise.odd_rule = "bot"
exercise.save()
rounds.exercise_pair(exercise=exercise, student_ids=[student.pk], seed=1)
rounds.exercise_release(exercise=exercise)
rounds.exercise_start(exercise=exercise)
bot = Seat.objects.get(exercise=exercise, kind="bot")
print(json.dumps({"token": services.student_link_token(student), "negotiation": bot.negotiation_id,
                  "bot_seat": bot.pk, "bot_role": bot.role_key}))
"""


def test_embedded_on_sqlite_the_web_process_plays_the_bot_to_an_agreement(tmp_path):
    embedded = {**ENV, "DATABASE_URL": "", "SQLITE_PATH": str(tmp_path / "parley.sqlite3"), "REDIS_URL": ""}
    made = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=server_env(**embedded), capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    seat = json.loads(made.stdout.strip().splitlines()[-1])
    role = seat["bot_role"]

    async def play(port: int) -> list[dict]:
        base = f"http://127.0.0.1:{port}"
        cookie = sign_in(base, f"/s/{seat['token']}/")
        student = LiveClient(f"ws://127.0.0.1:{port}/ws/negotiations/{seat['negotiation']}/", cookie, base)
        snapshot = await student.connect()
        assert {"role": role, "kind": "bot", "name": "Bot", "auto": True} in snapshot["seats"]
        await student.wait_for(lambda c: [e for e in bot_events(c, role) if e["type"] == "offer"], timeout=20)
        mine = await student.act(greedy(student, 9000))
        await student.wait_for(lambda c: any(e["seq"] > mine["seq"] for e in bot_events(c, role)), timeout=20)
        latest = [e for e in bot_events(student, role) if e["type"] == "offer"][-1]
        await student.act({"type": "accept", "offer_seq": latest["seq"], "package": 0})
        await student.close()
        return student.events

    with daphne(**embedded) as (port, _):
        events = asyncio.run(play(port))
    assert events[-1]["type"] == "accept"
    with sqlite3.connect(tmp_path / "parley.sqlite3") as db:
        (status,) = db.execute(
            "SELECT status FROM negotiations_negotiation WHERE id = ?", [seat["negotiation"]]
        ).fetchone()
        moves = [
            row[0]
            for row in db.execute("SELECT client_msg_id FROM negotiations_event WHERE seat_id = ?", [seat["bot_seat"]])
        ]
    assert status == "agreed"
    assert moves and len(set(moves)) == len(moves)  # every move of the bot stored once
