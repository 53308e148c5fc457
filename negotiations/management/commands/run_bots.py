"""python manage.py run_bots --exercise ID --url http://host:port [--strategy ...] [--seats ...]

Bots play an exercise's seats through the live protocol until every pair they play has ended
(docs/bots.md). The command needs the deployment's database: it mints the bot seats' sessions and
looks up the students' personal links.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classrooms.models import Exercise
from core.bots import STRATEGIES
from core.negotiation import package_points
from negotiations.bots import BOT_SESSION_HOURS, Played, play_all, seatings_for, ws_base
from negotiations.models import Negotiation
from scenarios.services import version_spec


class Command(BaseCommand):
    help = "Play an exercise's bot seats (or its students' seats, to fill a demo class) with bots."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--exercise", type=int, required=True, help="the exercise's id")
        parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
        parser.add_argument("--strategy", choices=[*sorted(STRATEGIES), "mixed"], default="mixed")
        parser.add_argument(
            "--seats",
            choices=["bot", "students", "all"],
            default="bot",
            help="bot: the disclosed bot seats; students: every student's seat (a demo class); all: both",
        )
        parser.add_argument("--think", type=float, default=2.0, help="seconds a bot takes before acting")
        parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same decisions")
        parser.add_argument(
            "--hours", type=float, default=BOT_SESSION_HOURS, help="how long the bot seats' sessions last"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ws_base(options["url"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if settings.SERVER_BOTS and options["seats"] != "students":
            raise CommandError(
                "The server plays the bot seats itself (PARLEY_SERVER_BOTS is on; docs/bots.md). Use --seats "
                "students, or turn PARLEY_SERVER_BOTS off for the server and this command to play them from here."
            )
        if options["think"] < 0 or options["hours"] <= 0:
            raise CommandError("--think must be 0 or more seconds and --hours more than 0")
        exercise = Exercise.objects.select_related("scenario_version").filter(pk=options["exercise"]).first()
        if exercise is None:
            raise CommandError(f"No exercise {options['exercise']}.")
        if exercise.state == Exercise.State.DRAFT:
            raise CommandError(f"Exercise {exercise.pk} is a draft: pair the class and release the roles first.")
        settling = exercise.negotiations.filter(status=Negotiation.Status.SETTLING).exists()
        if exercise.state == Exercise.State.ENDED and not settling:
            raise CommandError(
                f"Exercise {exercise.pk} has ended; there is nothing left to play (but a post-settlement round)."
            )
        try:
            seatings, notes = seatings_for(
                exercise,
                seats=options["seats"],
                strategy=options["strategy"],
                seed=options["seed"],
                url=options["url"],
                hours=options["hours"],
            )
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"Could not sign a student in at {options['url']}: {exc}") from None
        for note in notes:
            self.stdout.write(note)
        if not seatings:
            hint = " (try --seats students to play the students' seats)" if options["seats"] == "bot" else ""
            raise CommandError(f"No open {options['seats']} seats to play in exercise {exercise.pk}{hint}.")
        pairs = sorted({s.negotiation_id for s in seatings})
        waiting = exercise.state == Exercise.State.RELEASED
        self.stdout.write(
            f"Playing {len(seatings)} seat(s) in {len(pairs)} pair(s) of '{exercise.title}' at {options['url']}; "
            + (
                "the round has not started yet: waiting for it."
                if waiting
                else "its pairs are in the post-settlement round."
                if settling
                else "the round is live."
            )
        )
        for s in seatings:
            self.stdout.write(f"  pair {s.number} {s.role}: {s.name} ({s.kind} seat), {s.strategy}")
        played: list[Played] = []
        try:
            played = asyncio.run(play_all(seatings, options["url"], think=options["think"], report=self.stdout.write))
        except KeyboardInterrupt:
            self.stdout.write("Interrupted: the bots left; their pairs stay as they are.")
        self.summary(exercise, pairs, played)

    def summary(self, exercise: Exercise, pairs: list[int], played: list[Played]) -> None:
        scenario = version_spec(exercise.scenario_version)
        roles = scenario.role_keys
        counts: dict[str, int] = {}
        self.stdout.write("\nPair  status       " + "  ".join(f"{r:>10}" for r in roles) + "  offers")
        for negotiation in Negotiation.objects.with_offers().filter(pk__in=pairs).order_by("number"):
            counts[negotiation.status] = counts.get(negotiation.status, 0) + 1
            if negotiation.status == Negotiation.Status.AGREED and negotiation.agreement:
                points = [package_points(scenario, negotiation.agreement, r) for r in roles]
            elif negotiation.status == Negotiation.Status.IMPASSE:
                points = [scenario.role(r).batna for r in roles]
            else:
                points = []
            cells = "  ".join(f"{float(p):>10g}" for p in points) if points else "  ".join(" " * 10 for _ in roles)
            offers = negotiation.offers
            self.stdout.write(f"{negotiation.number:>4}  {negotiation.status:<11}  {cells}  {offers:>6}")
        refused = [p for p in played if p.status == "refused"]
        errors = sum(len(p.errors) for p in played)
        line = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.stdout.write(f"{len(pairs)} pair(s): {line}. Points at an impasse are the BATNAs.")
        if refused or errors:
            self.stdout.write(self.style.WARNING(f"{len(refused)} bot(s) refused by the server, {errors} error(s)."))
        if all(c in ("agreed", "impasse") for c in counts):
            self.stdout.write(self.style.SUCCESS("Every pair played has ended."))
