"""The research export of an exercise: pairs, events, survey answers, planning sheets and class metrics,
as CSV or JSON.

Views and the API parse the request with `export_options`, then stream `export_chunks` (as a download:
reports.export_http). Every table is
a list of flat rows with a fixed set of columns (docs/debrief.md, "Export"), the same in CSV and JSON:
JSON keeps the values' types, CSV writes them as text (`core.csvtext.csv_cell`). With pseudonymous ids a student is
a stable per-exercise pseudonym (`pseudonym`), and no name or email is written anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.utils import timezone

from classrooms.models import Exercise, PlanningSheet
from classrooms.resolutions import exercise_resolution, resolutions_json
from core import contingent
from core import survey as svi
from core.csvtext import csv_chunks
from core.metrics import PartnerGuess, partner_guess
from core.negotiation import package_points
from core.refusal import Refused
from core.spec import Scenario, plain
from negotiations.debrief import landscape_for
from negotiations.models import Debrief, Event, Negotiation, Outcome, Seat
from scenarios.services import version_spec
from surveys.services import outcome_points, survey_responses

FORMATS = ("csv", "json")
TABLES = ("pairs", "events", "survey", "planning", "class", "all")
CSV_TABLES = ("pairs", "events", "survey", "planning")
ID_MODES = ("pseudonymous", "names")
FREE_TEXT_EVENTS = ("chat",)  # left out unless chat=1


@dataclass(frozen=True)
class ExportOptions:
    format: str = "csv"
    table: str = "pairs"
    chat: bool = False
    ids: str = "pseudonymous"


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name, default)
    if value not in allowed:
        listed = ", ".join(allowed)
        raise Refused(f"{name}={value!r} is not one of {listed}.", name)
    return value


def export_options(params: Mapping[str, str]) -> ExportOptions:
    """Check the request's parameters: format, table, chat (0 or 1), ids; defaults csv, pairs, 0, pseudonymous."""
    fmt = _choice(params, "format", FORMATS, "csv")
    table = _choice(params, "table", TABLES, "pairs")
    chat = _choice(params, "chat", ("0", "1"), "0") == "1"
    ids = _choice(params, "ids", ID_MODES, "pseudonymous")
    if fmt == "csv" and table not in CSV_TABLES:
        raise Refused(
            f"table={table} is only available as JSON (format=json): a CSV file holds one table; "
            f"choose one of {', '.join(CSV_TABLES)}.",
            "table",
        )
    return ExportOptions(format=fmt, table=table, chat=chat, ids=ids)


def pseudonym(exercise_id: int, student_id: int) -> str:
    """A student's stable id within one exercise: an HMAC of the ids under SECRET_KEY, shortened.

    The same student gets the same pseudonym in every export of the exercise and a different one in
    another exercise, so exports of different exercises cannot be joined on it."""
    message = f"parley-export:{exercise_id}:{student_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return "s_" + digest[:12]


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# Columns of the pairs table: (column, path in the stored outcome, core.metrics PairResult.as_json)


def outcome_columns(spec: Scenario) -> list[tuple[str, tuple[str, ...]]]:
    roles = spec.role_keys
    issues = [issue.key for issue in spec.issues]
    o, p, q = "outcome", "process", "price"
    cols: list[tuple[str, tuple[str, ...]]] = [("impasse", (o, "impasse"))]
    for name in ("points", "surplus", "share"):
        cols += [(f"{name}_{r}", (o, name, r)) for r in roles]
    cols += [
        (name, (o, name))
        for name in (
            "joint",
            "efficiency",
            "pareto_optimal",
            "value_left",
            "distance_to_frontier",
            "distance_to_nash",
            "dominated_by",
            "compatible_issues",
            "lose_lose_issues",
            "lose_lose",
            "logrolls",
            "logrolling",
            "below_batna",
        )
    ]
    cols += [(f"suggestion_{i}", (o, "suggestion", "package", i)) for i in issues]
    cols += [(f"suggestion_points_{r}", (o, "suggestion", "points", r)) for r in roles]
    cols += [(f"suggestion_gain_{r}", (o, "suggestion", "gain", r)) for r in roles]
    cols += [
        ("suggestion_changed", (o, "suggestion", "changed")),
        ("suggestion_better_for_both", (o, "suggestion", "better_for_both")),
    ]
    cols += [("process_status", (p, "status")), ("ending", (p, "ending")), ("opener", (p, "opener"))]
    cols += [(name, (p, name)) for name in ("offers", "counter_offers", "time_to_agreement", "duration")]
    cols += [("accepted_offer", (p, "accepted_offer")), ("computed_from_seq", (p, "last_seq"))]
    for r in roles:
        side = (p, "sides", r)
        cols += [
            (f"offers_{r}", (*side, "offers")),
            (f"counter_offers_{r}", (*side, "counter_offers")),
            (f"meso_offers_{r}", (*side, "meso_offers")),
            (f"first_offer_seq_{r}", (*side, "first_offer", "seq")),
            (f"first_offer_packages_{r}", (*side, "first_offer", "packages")),
            (f"first_offer_points_{r}", (*side, "first_offer", "points")),
            (f"first_offer_best_{r}", (*side, "first_offer", "best")),
            (f"concessions_{r}", (*side, "concessions")),
            (f"concession_total_{r}", (*side, "concession_total")),
        ]
    cols += [("price_issue", (q, "issue")), ("price_agreed", (q, "agreed"))]
    cols += [(f"price_reservation_{r}", (q, "reservation", r)) for r in roles]
    cols += [("price_zone", (q, "zone"))]
    cols += [(f"price_claim_share_{r}", (q, "claim_share", r)) for r in roles]
    cols += [("price_opener", (q, "opener")), ("price_first_offer", (q, "first_offer"))]
    cols += [(f"price_first_offer_{r}", (q, "first_offers", r)) for r in roles]
    s = "settlement"  # the post-settlement round (Raiffa): the agreement before it and after it
    for when in ("before", "after"):
        cols += [(f"settlement_{when}_{i}", (s, when, i)) for i in issues]
        cols += [(f"settlement_points_{when}_{r}", (s, f"points_{when}", r)) for r in roles]
    cols += [
        (f"settlement_{name}", (s, name))
        for name in ("joint_before", "joint_after", "joint_gain", "improved", "ending")
    ]
    return cols


# The export


class Export:
    """One exercise's tables under one set of options. Rows are dicts in column order."""

    def __init__(self, exercise: Exercise, options: ExportOptions) -> None:
        self.exercise = exercise
        self.options = options
        self.spec = version_spec(exercise.scenario_version)
        self.roles = self.spec.role_keys
        self.names = options.ids == "names"
        self.seats = {
            seat.pk: seat for seat in Seat.objects.filter(exercise=exercise).select_related("student", "negotiation")
        }
        self._outcomes: dict[int, Any] | None = None
        self._resolution: dict[str, str] | None = None

    def outcomes(self) -> dict[int, Any]:
        """Negotiation id -> its stored outcome metrics, read once for every table."""
        if self._outcomes is None:
            rows = Outcome.objects.filter(negotiation__exercise=self.exercise).values_list("negotiation_id", "data")
            self._outcomes = dict(rows)
        return self._outcomes

    # Identities

    def student_id(self, seat: Seat | None) -> str | int | None:
        if seat is None or seat.student_id is None:
            return None
        return seat.student_id if self.names else pseudonym(self.exercise.pk, seat.student_id)

    def student_name(self, seat: Seat | None) -> str | None:
        return seat.student.display_name if seat is not None and seat.student is not None else None

    # Meta

    def meta(self) -> dict[str, Any]:
        exercise = self.exercise
        version = exercise.scenario_version
        return {
            "exported_at": timezone.now().isoformat(),
            "exercise": {
                "id": exercise.pk,
                "title": exercise.title,
                "state": exercise.state,
                "time_limit_minutes": exercise.time_limit_minutes,
                "started_at": exercise.started_at.isoformat() if exercise.started_at else None,
                "ended_at": exercise.ended_at.isoformat() if exercise.ended_at else None,
                "series": exercise.series_id or exercise.pk,
                "round": exercise.round_number,
                "rematch": exercise.rematch or None,
            },
            "scenario": {
                "slug": version.scenario.slug,
                "version": version.number,
                "title": version.title,
                "digest": version.digest,
            },
            "roles": [{"key": r.key, "name": r.name, "batna": plain(r.batna)} for r in self.spec.roles],
            "issues": [{"key": i.key, "name": i.name, "kind": i.kind} for i in self.spec.issues],
            "ids": self.options.ids,
            "chat": self.options.chat,
            **({"events": resolutions_json(exercise)} if self.spec.events else {}),
        }

    # Pairs

    def pair_columns(self) -> list[str]:
        cols = ["series", "round", "pair", "negotiation_id", "status", "end_reason", "ended_at"]
        for r in self.roles:
            cols += [f"{r}_kind", f"{r}_id"] + ([f"{r}_name"] if self.names else [])
        cols += ["observer_ids"] + (["observer_names"] if self.names else [])
        cols += [f"agreement_{issue.key}" for issue in self.spec.issues]
        cols += ["outcome_computed"]
        cols += [name for name, _ in outcome_columns(self.spec)]
        if self.spec.events:
            cols += ["contingent_terms", *(f"realised_{r}" for r in self.roles), "joint_realised", "contingent_added"]
        return cols

    def pair_rows(self) -> Iterator[dict[str, Any]]:
        negotiations = list(Negotiation.objects.filter(exercise=self.exercise).order_by("number"))
        outcomes = self.outcomes()
        seats_of: dict[int, list[Seat]] = {}
        for seat in self.seats.values():
            seats_of.setdefault(seat.negotiation_id, []).append(seat)
        metric_columns = outcome_columns(self.spec)
        for negotiation in negotiations:
            seats = sorted(seats_of.get(negotiation.pk, []), key=lambda s: s.pk)
            row: dict[str, Any] = {
                "series": self.exercise.series_id or self.exercise.pk,
                "round": self.exercise.round_number,
                "pair": negotiation.number,
                "negotiation_id": negotiation.pk,
                "status": negotiation.status,
                "end_reason": negotiation.end_reason or None,
                "ended_at": negotiation.ended_at.isoformat() if negotiation.ended_at else None,
            }
            for r in self.roles:
                seat = next((s for s in seats if s.role_key == r and s.kind != Seat.Kind.OBSERVER), None)
                row[f"{r}_kind"] = seat.kind if seat else None
                row[f"{r}_id"] = self.student_id(seat)
                if self.names:
                    row[f"{r}_name"] = self.student_name(seat)
            observers = [s for s in seats if s.kind == Seat.Kind.OBSERVER]
            row["observer_ids"] = [self.student_id(s) for s in observers]
            if self.names:
                row["observer_names"] = [self.student_name(s) for s in observers]
            agreement = negotiation.agreement or {}
            for issue in self.spec.issues:
                row[f"agreement_{issue.key}"] = agreement.get(issue.key)
            data = outcomes.get(negotiation.pk)
            row["outcome_computed"] = data is not None
            for name, path in metric_columns:
                row[name] = _dig(data, path)
            if self.spec.events:
                row.update(self._contingent(negotiation, data))
            yield row

    def _contingent(self, negotiation: Negotiation, data: Any) -> dict[str, Any]:
        """The pair's contingent columns: empty until its outcome is computed; realised points once
        every event is resolved (docs/debrief.md, "Contingent terms")."""
        row: dict[str, Any] = {"contingent_terms": None, "joint_realised": None, "contingent_added": None}
        row.update({f"realised_{r}": None for r in self.roles})
        if data is None:
            return row
        agreement = data["outcome"]["agreement"]
        agreement = None if agreement is None else {k: str(v) for k, v in agreement.items()}
        if self._resolution is None:
            self._resolution = exercise_resolution(self.exercise)
        figures = contingent.debrief_json(self.spec, [(negotiation.pk, agreement)], self._resolution)
        assert figures is not None
        (pair,) = figures["pairs"]
        row["contingent_terms"] = pair["contingent_terms"]
        row["joint_realised"] = pair["joint_realised"]
        row["contingent_added"] = pair["added"]
        for r in self.roles:
            row[f"realised_{r}"] = None if pair["realised"] is None else pair["realised"][r]
        return row

    # Events

    def event_columns(self) -> list[str]:
        cols = ["pair", "negotiation_id", "seq", "at", "type", "role", "actor_kind", "actor_id"]
        cols += ["actor_name"] if self.names else []
        cols += ["offer_seq", "counter_offer", "package_count", "meso", "packages"]
        cols += [f"points_{r}" for r in self.roles]
        cols += ["accepted_package"] + [f"terms_{issue.key}" for issue in self.spec.issues]
        cols += ["deadline", "minutes", "status"]
        cols += ["reason", "text"] if self.options.chat else []
        return cols

    def event_rows(self) -> Iterator[dict[str, Any]]:
        events = Event.objects.filter(negotiation__exercise=self.exercise)
        if not self.options.chat:
            events = events.exclude(type__in=FREE_TEXT_EVENTS)
        numbers = dict(Negotiation.objects.filter(exercise=self.exercise).values_list("pk", "number"))
        last_offer_by: dict[int, str] = {}
        columns = self.event_columns()
        ordered = events.order_by("negotiation_id", "seq").values(
            "negotiation_id", "seq", "created_at", "type", "role", "seat_id", "payload"
        )
        for event in ordered.iterator(chunk_size=2000):
            payload = event["payload"] or {}
            seat = self.seats.get(event["seat_id"]) if event["seat_id"] else None
            row = dict.fromkeys(columns)
            row.update(
                {
                    "pair": numbers.get(event["negotiation_id"]),
                    "negotiation_id": event["negotiation_id"],
                    "seq": event["seq"],
                    "at": event["created_at"].isoformat(),
                    "type": event["type"],
                    "role": event["role"] or None,
                    "actor_kind": seat.kind if seat else ("system" if not event["role"] else None),
                    "actor_id": self.student_id(seat),
                }
            )
            if self.names:
                row["actor_name"] = self.student_name(seat)
            kind = event["type"]
            if kind == "offer":
                packages = list(payload.get("packages") or [])
                previous = last_offer_by.get(event["negotiation_id"])
                row["counter_offer"] = previous is not None and previous != event["role"]
                last_offer_by[event["negotiation_id"]] = event["role"]
                row["package_count"] = len(packages)
                row["meso"] = len(packages) > 1
                row["packages"] = packages
                for r in self.roles:
                    row[f"points_{r}"] = [self._points(p, r) for p in packages]
            if "offer_seq" in payload:
                row["offer_seq"] = payload["offer_seq"]
            if kind == "accept":
                row["accepted_package"] = payload.get("package")
                terms = payload.get("terms") or {}
                for issue in self.spec.issues:
                    row[f"terms_{issue.key}"] = terms.get(issue.key)
                for r in self.roles:
                    row[f"points_{r}"] = [self._points(terms, r)] if terms else None
            for key in ("deadline", "minutes", "status"):
                if key in payload:
                    row[key] = payload[key]
            if self.options.chat:
                row["reason"] = payload.get("reason") or None
                row["text"] = payload.get("text")
            yield row

    def _points(self, package: Mapping[str, str], role: str) -> int | float | None:
        try:
            return plain(package_points(self.spec, package, role))
        except (KeyError, ValueError, StopIteration, ArithmeticError):
            return None

    # Survey

    def survey_columns(self) -> list[str]:
        cols = ["pair", "negotiation_id", "role", "respondent_id"] + (["respondent_name"] if self.names else [])
        cols += ["answered_at"] + [f"item_{n}" for n in svi.ITEM_NUMBERS]
        cols += [*svi.SUBSCALE_KEYS, "global", "points"]
        return cols

    def survey_rows(self) -> Iterator[dict[str, Any]]:
        outcomes = self.outcomes()
        for response in survey_responses(self.exercise):
            answers = response.answer_map()
            scores = svi.score(answers).as_json()
            negotiation = response.seat.negotiation
            row: dict[str, Any] = {
                "series": self.exercise.series_id or self.exercise.pk,
                "round": self.exercise.round_number,
                "pair": negotiation.number,
                "negotiation_id": negotiation.pk,
                "role": response.role_key,
                "respondent_id": self.student_id(response.seat),
            }
            if self.names:
                row["respondent_name"] = response.student.display_name
            row["answered_at"] = response.updated_at.isoformat()
            row.update({f"item_{n}": answers[n] for n in svi.ITEM_NUMBERS})
            row.update(scores)
            row["points"] = outcome_points(outcomes.get(negotiation.pk), response.role_key)
            yield row

    def survey_items(self) -> list[dict[str, Any]]:
        return [
            {
                "number": i.number,
                "subscale": i.subscale,
                "reversed": i.reversed,
                "text": i.text,
                "low": i.low,
                "high": i.high,
            }
            for i in svi.ITEMS
        ]

    # Planning sheets

    def planning_columns(self) -> list[str]:
        cols = ["pair", "negotiation_id", "role", "student_id"] + (["student_name"] if self.names else [])
        cols += ["updated_at", "batna", "reservation_value", "target", "priorities", "partner_priorities"]
        cols += ["partner_accuracy", "fixed_pie"]
        cols += ["notes"] if self.options.chat else []
        return cols

    def planning_rows(self) -> Iterator[dict[str, Any]]:
        land = landscape_for(self.exercise.scenario_version)
        seat_of = {s.student_id: s for s in self.seats.values() if s.kind == Seat.Kind.STUDENT}

        def number(value: Decimal | None) -> int | float | None:
            return None if value is None else plain(Fraction(value))

        sheets = PlanningSheet.objects.filter(exercise=self.exercise).select_related("student")
        rows = []
        for sheet in sheets:
            seat = seat_of.get(sheet.student_id)
            guess: PartnerGuess | None = None
            if seat is not None and sheet.partner_priorities:
                # A ranking of issues the scenario does not have has nothing to score against.
                with contextlib.suppress(ValueError):
                    guess = partner_guess(land, seat.role_key, sheet.partner_priorities)
            row: dict[str, Any] = {
                "pair": seat.negotiation.number if seat else None,
                "negotiation_id": seat.negotiation_id if seat else None,
                "role": seat.role_key if seat else None,
                "student_id": sheet.student_id if self.names else pseudonym(self.exercise.pk, sheet.student_id),
            }
            if self.names:
                row["student_name"] = sheet.student.display_name
            row.update(
                {
                    "updated_at": sheet.updated_at.isoformat(),
                    "batna": number(sheet.batna),
                    "reservation_value": number(sheet.reservation_value),
                    "target": number(sheet.target),
                    "priorities": list(sheet.priorities),
                    "partner_priorities": list(sheet.partner_priorities),
                    "partner_accuracy": guess.accuracy if guess else None,
                    "fixed_pie": guess.fixed_pie if guess else None,
                }
            )
            if self.options.chat:
                row["notes"] = sheet.notes
            rows.append(row)
        rows.sort(
            key=lambda r: (
                r["pair"] is None,
                r["pair"] or 0,
                self.roles.index(r["role"]) if r["role"] in self.roles else 2,
            )
        )
        yield from rows

    # Class metrics

    def class_metrics(self) -> dict[str, Any] | None:
        debrief = Debrief.objects.filter(exercise=self.exercise).first()
        if debrief is None:
            return None
        return {
            "computed_at": debrief.computed_at.isoformat(),
            "sources": debrief.sources,
            "open_pairs": debrief.data.get("open_pairs"),
            "scenario": debrief.data.get("scenario"),
            "class": debrief.data.get("class"),
        }

    # Tables

    def table(self, name: str) -> tuple[list[str], Iterable[dict[str, Any]]]:
        if name == "pairs":
            return self.pair_columns(), self.pair_rows()
        if name == "events":
            return self.event_columns(), self.event_rows()
        if name == "survey":
            return self.survey_columns(), self.survey_rows()
        if name == "planning":
            return self.planning_columns(), self.planning_rows()
        raise ValueError(name)


# Writers


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_chunks(export: Export, names: list[str]) -> Iterator[str]:
    """One JSON object: `meta`, then each table named, rows streamed one by one."""
    yield '{"meta": ' + _dumps(export.meta())
    for name in names:
        if name == "class":
            yield ',\n"class": ' + _dumps(export.class_metrics())
            continue
        columns, rows = export.table(name)
        if name == "survey":
            yield ',\n"survey_items": ' + _dumps(export.survey_items())
        yield f',\n"{name}_columns": ' + _dumps(columns) + f',\n"{name}": ['
        for i, row in enumerate(rows):
            yield ("," if i else "") + "\n" + _dumps({c: row.get(c) for c in columns})
        yield "]"
    yield "}\n"


def export_chunks(exercise: Exercise, options: ExportOptions) -> Iterator[str]:
    export = Export(exercise, options)
    if options.format == "csv":
        columns, rows = export.table(options.table)
        return csv_chunks(columns, rows)
    names = ["pairs", "events", "survey", "planning", "class"] if options.table == "all" else [options.table]
    return json_chunks(export, names)


def export_data(exercise: Exercise, options: ExportOptions) -> Any:
    """The JSON export as a Python value (for the API and tests)."""
    return json.loads("".join(export_chunks(exercise, ExportOptions("json", options.table, options.chat, options.ids))))
