"""The instructor's pages for the round: the exercise page (pairing, roles, start, end), the live
monitor, a pair's transcript, and one view per action of the round (negotiations.rounds).

An action answers the page it came from. From the exercise page: a redirect back with its message, or
the page again with the error beside the action's form (400). From the monitor (its URLs under
monitor/): JSON, {message} or {error} (400).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Literal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from classrooms.access import classroom_for, exercise_for
from classrooms.models import Exercise, Student
from classrooms.services import is_connected
from core.negotiation import MAX_CHAT, package_points
from core.refusal import Refused
from core.spec import plain
from negotiations import people, rounds, series, settlement
from negotiations.acting import OPEN_STATUSES
from negotiations.forms import NextRoundForm, PlaceForm, PresentForm, SwapForm
from negotiations.models import Event, Negotiation, Seat
from negotiations.transcript import offer_numbers, transcript_entries
from scenarios.access import instructor_required
from scenarios.labels import package_labels
from scenarios.services import version_spec

Answer = Literal["page", "json"]


def _exercise_page(request: HttpRequest, exercise: Exercise, *, errors=None, status: int = 200) -> HttpResponse:
    """The set-up and run page; a refused action comes back here with its error beside its form."""
    errors = errors or {}
    spec = version_spec(exercise.scenario_version)
    students = list(exercise.classroom.students.all())
    pairs = rounds.exercise_pairs(exercise)
    seated = {seat.student_id for pair in pairs for seat in pair.seat_list if seat.student_id}
    unseated = [s for s in students if s.pk not in seated]
    connected = {s.pk for s in students if is_connected(s)}
    all_seats = [seat for pair in pairs for seat in pair.seat_list]
    planned = set(exercise.planning_sheets.values_list("student_id", flat=True))
    for seat in all_seats:
        seat.planning_saved = seat.student_id in planned
    negotiators = [seat for seat in all_seats if seat.kind == Seat.Kind.STUDENT]
    posted = request.POST if request.method == "POST" else None
    roles = {role.key: role.name for role in spec.roles}
    # Ticked: as posted, else whoever is seated in the pairing preview (a later round is paired at once)
    # and whoever has the class open.
    ticked = {int(v) for v in posted.getlist("students") if v.isascii() and v.isdigit()} if posted else connected
    if not posted and exercise.state == Exercise.State.DRAFT:
        ticked = ticked | seated
    context = {
        "exercise": exercise,
        "spec": spec,
        "roles": roles,
        "lobby": [(s, s.pk in connected, s.pk in ticked) for s in students],
        "pairs": pairs,
        "server_bots": settings.SERVER_BOTS,
        "late": [(s, s.pk in connected) for s in unseated],
        "swap_form": SwapForm(posted if "swap" in errors else None, seats=all_seats, roles=roles),
        "place_form": PlaceForm(
            posted if "place" in errors else None, students=unseated, negotiations=pairs, roles=spec.roles
        ),
        "errors": errors,
        "end_counts": {"open": sum(p.status in OPEN_STATUSES for p in pairs)},
        "end": Confirmation(*END_ASKS, rounds.exercise_end_effects(exercise, pairs), None),
        "delete": Confirmation(*DELETE_ASKS, rounds.exercise_delete_effects(exercise), None)
        if exercise.state == Exercise.State.DRAFT
        else None,
        "odd_rules": Exercise.OddRule.choices,
        "ready": readiness_counts(negotiators),
        "series": _series_context(request, exercise, students, connected, errors),
    }
    return render(request, "negotiations/exercise.html", context, status=status)


def _series_context(request: HttpRequest, exercise: Exercise, students, connected, errors) -> dict:
    """The exercise's place in its series, and the next round's form once it has ended."""
    rounds_of = list(series.series_rounds(exercise).values("pk", "round_number", "title"))
    later = next((r for r in rounds_of if r["round_number"] == exercise.round_number + 1), None)
    form = None
    if exercise.state == Exercise.State.ENDED and later is None:
        posted = request.POST if "next_round" in errors else None
        form = NextRoundForm(posted, exercise=exercise, user=request.user, students=students)
        if posted is None:
            form.initial["students"] = sorted(connected)
    return {
        "rounds": rounds_of,
        "later": later,
        "form": form,
        "refusal": series.next_round_refusal(exercise) if exercise.state == Exercise.State.ENDED else None,
        "connected": connected,
    }


def readiness_counts(seats: list[Seat]) -> dict[str, int]:
    """How many negotiators have opened their role sheet and saved a planning sheet."""
    return {
        "students": len(seats),
        "sheet": sum(seat.sheet_opened_at is not None for seat in seats),
        "planning": sum(seat.planning_saved for seat in seats),
    }


@instructor_required
def exercise_readiness(request: HttpRequest, pk: int) -> JsonResponse:
    """Who is ready, for the exercise page to refresh by itself: each student seat's role sheet and plan."""
    exercise = exercise_for(request.user, pk)
    planned = set(exercise.planning_sheets.values_list("student_id", flat=True))
    seats = list(Seat.objects.filter(exercise=exercise, kind=Seat.Kind.STUDENT))
    for seat in seats:
        seat.planning_saved = seat.student_id in planned
    return JsonResponse(
        {
            "seats": {
                str(s.pk): {"sheet_opened": s.sheet_opened_at is not None, "planning_saved": s.planning_saved}
                for s in seats
            },
            "counts": readiness_counts(seats),
        }
    )


@instructor_required
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _exercise_page(request, exercise_for(request.user, pk))


@instructor_required
def monitor(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    context = {
        "exercise": exercise,
        "broadcast_max": rounds.MAX_BROADCAST,
        "settlement_max": settlement.MAX_SETTLEMENT_MINUTES,
    }
    return render(request, "negotiations/monitor.html", context)


# The actions that cannot be taken back ask first: on the page, a dialog (static/js/confirm.js); without
# JavaScript, the dialog's opener is a link to the action's URL, which answers a GET with a page that asks
# the same, whose form POSTs to it (and is redirected, as from the dialog).


@dataclass(frozen=True)
class Confirmation:
    title: str
    confirm: str  # the button's label
    effects: list[str]  # what it does, with its numbers
    refusal: str | None  # why it cannot be done now, instead of the button


def asks_first(
    confirmation: Callable[[Exercise], Confirmation], action: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`action`: the URL name the page's form POSTs to, the exercise page's (never the monitor's JSON)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @instructor_required
        @wraps(view)
        def asking(request: HttpRequest, pk: int, **kwargs: object) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, pk, **kwargs)
            exercise = exercise_for(request.user, pk)
            asked = confirmation(exercise)
            context = {"exercise": exercise, "asked": asked, "action": reverse(action, args=[pk])}
            return render(request, "negotiations/confirm.html", context, status=409 if asked.refusal else 200)

        return asking

    return decorate


END_ASKS = (gettext_lazy("End the exercise for everyone?"), gettext_lazy("End the exercise"))
DELETE_ASKS = (gettext_lazy("Delete this draft?"), gettext_lazy("Delete the draft"))


def end_confirmation(exercise: Exercise) -> Confirmation:
    refusal = rounds.exercise_end_refusal(exercise)
    effects = [] if refusal else rounds.exercise_end_effects(exercise, rounds.exercise_pairs(exercise))
    return Confirmation(*END_ASKS, effects, refusal)


def delete_confirmation(exercise: Exercise) -> Confirmation:
    refusal = rounds.exercise_delete_refusal(exercise)
    effects = [] if refusal else rounds.exercise_delete_effects(exercise)
    return Confirmation(*DELETE_ASKS, effects, refusal)


# The round's actions, one view each


RoundAction = Callable[[HttpRequest, Exercise], str | dict[Answer, str]]


def round_action(form: str) -> Callable[[RoundAction], Callable[..., HttpResponse]]:
    """Make a view of an action: it gets the instructor's exercise and returns its success message (or
    one per answer). `form` names the exercise page's form that shows a refusal."""

    def decorate(action: RoundAction) -> Callable[..., HttpResponse]:
        @instructor_required
        @require_POST
        @wraps(action)
        def view(request: HttpRequest, pk: int, answer: Answer = "page") -> HttpResponse:
            exercise = exercise_for(request.user, pk)
            try:
                done = action(request, exercise)
            except Refused as exc:
                if answer == "json":
                    return JsonResponse({"error": exc.message}, status=400)
                return _exercise_page(request, exercise, errors={form: exc.message}, status=400)
            message = done[answer] if isinstance(done, dict) else done
            if answer == "json":
                return JsonResponse({"message": message})
            messages.success(request, message)
            return redirect("exercise", pk=pk)

        return view

    return decorate


@round_action("pair")
def exercise_pair(request: HttpRequest, exercise: Exercise) -> str:
    form = PresentForm(request.POST, students=list(exercise.classroom.students.all()))
    if not form.is_valid():
        raise Refused(gettext("Tick at least one student who is present."))
    pairs = rounds.exercise_pair(exercise=exercise, student_ids=form.cleaned_data["students"])
    return ngettext(
        "%(count)s pair previewed. Swap students if you like, then release the roles.",
        "%(count)s pairs previewed. Swap students if you like, then release the roles.",
        len(pairs),
    ) % {"count": len(pairs)}


@round_action("odd_rule")
def exercise_odd_rule(request: HttpRequest, exercise: Exercise) -> str:
    rule = request.POST.get("odd_rule", "")
    again = rounds.exercise_odd_rule_set(exercise=exercise, odd_rule=rule)
    message = gettext("Odd student: %(rule)s.") % {"rule": Exercise.OddRule(rule).label.lower()}
    return message + (" " + gettext("The pairing preview was made again under the new rule.") if again else "")


@asks_first(delete_confirmation, "exercise_delete")
@require_POST
def exercise_delete(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    try:
        rounds.exercise_delete(exercise=exercise)
    except Refused as exc:
        return _exercise_page(request, exercise, errors={"delete": exc.message}, status=400)
    messages.success(request, gettext("The draft “%(title)s” was deleted.") % {"title": exercise.title})
    return redirect("classroom", pk=exercise.classroom_id)


@round_action("swap")
def exercise_swap(request: HttpRequest, exercise: Exercise) -> str:
    form = SwapForm(request.POST, seats=Seat.objects.filter(exercise=exercise).select_related("student", "negotiation"))
    if not form.is_valid():
        raise Refused(gettext("Choose two students to swap."))
    rounds.exercise_swap(exercise=exercise, **form.cleaned_data)
    return gettext("Swapped.")


@round_action("release")
def exercise_release(request: HttpRequest, exercise: Exercise) -> str:
    rounds.exercise_release(exercise=exercise)
    return gettext("Roles released: students can read their sheets and plan.")


@round_action("start")
def exercise_start(request: HttpRequest, exercise: Exercise) -> str:
    rounds.exercise_start(exercise=exercise)
    return gettext("The negotiations have started.")


@asks_first(end_confirmation, "exercise_end")
@round_action("end")
def exercise_end(request: HttpRequest, exercise: Exercise) -> dict[Answer, str]:
    rounds.exercise_end(exercise=exercise)
    return {
        "page": gettext("The exercise has ended; open negotiations were closed as impasse."),
        "json": gettext("The round has ended."),
    }


@instructor_required
@require_POST
def exercise_next_round(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the round after this ended exercise, paired from the students present, and open it."""
    exercise = exercise_for(request.user, pk)
    students = list(exercise.classroom.students.all())
    form = NextRoundForm(request.POST, exercise=exercise, user=request.user, students=students)
    try:
        if not form.is_valid():
            raise Refused(form.first_error())
        following = series.next_round_create(
            exercise=exercise,
            rematch=form.cleaned_data["rematch"],
            student_ids=form.cleaned_data["students"],
            created_by=request.user,
            scenario_version=form.cleaned_data["scenario_version"],
            title=form.cleaned_data["title"],
            time_limit_minutes=form.cleaned_data["time_limit_minutes"],
        )
    except Refused as exc:
        return _exercise_page(request, exercise, errors={"next_round": exc.message}, status=400)
    pairs = following.negotiations.count()
    messages.success(
        request,
        ngettext(
            "Round %(number)s is paired: %(pairs)s pair previewed. Swap students if you like, then release the roles.",
            "Round %(number)s is paired: %(pairs)s pairs previewed. Swap students if you like, then release the roles.",
            pairs,
        )
        % {"number": following.round_number, "pairs": pairs},
    )
    return redirect("exercise", pk=following.pk)


@round_action("pair_late")
def exercise_pair_late(request: HttpRequest, exercise: Exercise) -> str:
    form = PresentForm(request.POST, students=rounds.unseated_students(exercise))
    if not form.is_valid():
        raise Refused(gettext("Tick the late arrivals to pair."))
    before = exercise.negotiations.count()
    left = rounds.exercise_pair_late(exercise=exercise, student_ids=form.cleaned_data["students"])
    made = exercise.negotiations.count() - before
    message = ngettext("%(count)s new pair.", "%(count)s new pairs.", made) % {"count": made}
    if left:
        message += " " + gettext("%(name)s is left over: place them by hand.") % {"name": left[0].display_name}
    return message


@round_action("place")
def exercise_place(request: HttpRequest, exercise: Exercise) -> str:
    spec = version_spec(exercise.scenario_version)
    form = PlaceForm(
        request.POST,
        students=rounds.unseated_students(exercise),
        negotiations=rounds.exercise_pairs(exercise),
        roles=spec.roles,
    )
    if not form.is_valid():
        raise Refused(gettext("Choose a student, a pair and a role."))
    seat = rounds.exercise_place(
        exercise=exercise,
        student=get_object_or_404(Student, pk=form.cleaned_data["student"]),
        negotiation=get_object_or_404(Negotiation, pk=form.cleaned_data["negotiation"], exercise=exercise),
        role=form.cleaned_data["role"],
    )
    return gettext("%(name)s placed in pair %(number)s.") % {
        "name": seat.student.display_name,
        "number": seat.negotiation.number,
    }


def _whole_number(text: str) -> int:
    """A form's whole number, or 0 for anything else (the service says what it wanted)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


@round_action("broadcast")
def round_broadcast(request: HttpRequest, exercise: Exercise) -> str:
    rounds.broadcast_send(exercise=exercise, text=request.POST.get("text", "").replace("\x00", ""))
    return gettext("Sent to every pair.")


@round_action("extend")
def round_extend(request: HttpRequest, exercise: Exercise) -> str:
    minutes = _whole_number(request.POST.get("minutes", ""))
    pair = request.POST.get("negotiation", "")
    pair_id = (_whole_number(pair) or -1) if pair else None
    count = rounds.time_extend(exercise=exercise, minutes=minutes, negotiation_id=pair_id, now=timezone.now())
    return ngettext(
        "%(count)s pair got %(minutes)s more minutes.", "%(count)s pairs got %(minutes)s more minutes.", count
    ) % {"count": count, "minutes": minutes}


@round_action("pause")
def round_pause(request: HttpRequest, exercise: Exercise) -> str:
    rounds.round_pause(exercise=exercise, paused=True, now=timezone.now())
    return gettext("Paused: no one can act until you resume.")


@round_action("resume")
def round_resume(request: HttpRequest, exercise: Exercise) -> str:
    rounds.round_pause(exercise=exercise, paused=False, now=timezone.now())
    return gettext("Resumed.")


@round_action("settlement")
def settlement_open(request: HttpRequest, exercise: Exercise) -> str:
    minutes = _whole_number(request.POST.get("minutes", ""))
    pairs = settlement.settlement_open(exercise=exercise, minutes=minutes, now=timezone.now())
    return ngettext(
        "Post-settlement round open for %(count)s agreed pair, %(minutes)s minutes.",
        "Post-settlement round open for %(count)s agreed pairs, %(minutes)s minutes.",
        pairs,
    ) % {"count": pairs, "minutes": minutes}


@round_action("settlement")
def settlement_close(request: HttpRequest, exercise: Exercise) -> str:
    pairs = settlement.settlement_close(exercise=exercise, now=timezone.now())
    return ngettext(
        "Post-settlement round closed: %(count)s pair kept their agreement.",
        "Post-settlement round closed: %(count)s pairs kept their agreement.",
        pairs,
    ) % {"count": pairs}


# A pair's transcript

TRANSCRIPT_PAGE = 200  # events a page


@instructor_required
def transcript(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    negotiation = Negotiation.objects.filter(exercise=exercise, number=number).first()
    if negotiation is None:
        raise Http404("No such pair")
    spec = version_spec(exercise.scenario_version)
    # A page of events at a time: what one page shows does not grow with the negotiation.
    paginator = Paginator(Event.objects.filter(negotiation=negotiation).order_by("seq"), TRANSCRIPT_PAGE)
    try:
        events = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page of the transcript") from None
    agreement_points = agreement = None
    if negotiation.agreement:
        agreement_points = {r.name: plain(package_points(spec, negotiation.agreement, r.key)) for r in spec.roles}
        agreement = package_labels(spec.issues, negotiation.agreement)
    return render(
        request,
        "negotiations/transcript.html",
        {
            "exercise": exercise,
            "negotiation": negotiation,
            "spec": spec,
            "roles": {r.key: r.name for r in spec.roles},
            "seats": negotiation.seats.select_related("student"),
            "instructor_seat": negotiation.seats.filter(kind="instructor").first(),
            "events": events,
            "entries": transcript_entries(events, spec, offer_numbers(negotiation.pk)),
            "agreement": agreement,
            "agreement_points": agreement_points,
            "chat_max": MAX_CHAT,
        },
    )


# A student who joined twice


def _chosen(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


@instructor_required
def student_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: choose the student to keep and the duplicate, and see what a merge would do; POST (from the
    confirmation dialog): merge."""
    classroom = classroom_for(request.user, pk)
    source = request.POST if request.method == "POST" else request.GET
    keep, duplicate = _chosen(source.get("keep")), _chosen(source.get("merge"))
    merge = refusal = None
    if keep is not None and duplicate is not None:
        try:
            if request.method == "POST":
                done = people.student_merge(classroom=classroom, keep_id=keep, duplicate_id=duplicate)
                messages.success(
                    request,
                    gettext("%(duplicate)s was merged into %(keep)s.")
                    % {"duplicate": done.duplicate.display_name, "keep": done.keep.display_name},
                )
                return redirect("classroom", pk=pk)
            merge = people.student_merge_preview(classroom=classroom, keep_id=keep, duplicate_id=duplicate)
        except Refused as exc:
            refusal = exc.message
    elif request.method == "POST" or "keep" in source:
        refusal = "Choose the student to keep and the one who joined twice."
    context = {"classroom": classroom, "students": classroom.students.all(), "keep": keep, "duplicate": duplicate}
    context |= {"merge": merge, "refusal": refusal, "merge_fields": [("keep", keep), ("merge", duplicate)]}
    return render(request, "negotiations/student_merge.html", context, status=400 if refusal else 200)
