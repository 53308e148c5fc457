"""The exercise page's forms for the round: who is present, a swap, a student placed by hand, the next round."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from classrooms.models import Exercise
from scenarios.models import ScenarioVersion
from scenarios.services import latest_versions


class PresentForm(forms.Form):
    students = forms.TypedMultipleChoiceField(coerce=int, required=True, label=_("Students present"))

    def __init__(self, *args, students=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["students"].choices = [(s.pk, s.display_name) for s in students]


class SwapForm(forms.Form):
    seat_a = forms.TypedChoiceField(coerce=int, label=_("Swap"))
    seat_b = forms.TypedChoiceField(coerce=int, label=pgettext_lazy("swap a seat with another", "with"))

    def __init__(self, *args, seats=(), roles: Mapping[str, str] | None = None, **kwargs) -> None:
        """Each seat named by its pair, its student and its role (`roles`: the scenario's names by key)."""
        super().__init__(*args, **kwargs)
        roles = roles or {}
        choices = []
        pairs: list[int] = []  # each choice's negotiation
        for s in seats:
            if not s.student:
                continue
            names = {"number": s.negotiation.number, "name": s.student.display_name,
                     "role": roles.get(s.role_key, s.role_key)}  # fmt: skip
            if s.kind == "observer":
                label = gettext("Pair %(number)s: %(name)s (%(role)s, observer)") % names
            else:
                label = gettext("Pair %(number)s: %(name)s (%(role)s)") % names
            choices.append((s.pk, label))
            pairs.append(s.negotiation_id)
        self.fields["seat_a"].choices = choices
        self.fields["seat_b"].choices = choices
        # The second list starts on the first student of another pair, not on the first list's own student.
        other = next((pk for (pk, _), pair in zip(choices, pairs, strict=True) if pairs and pair != pairs[0]), None)
        if other is not None:
            self.initial.setdefault("seat_b", other)


class PlaceForm(forms.Form):
    student = forms.TypedChoiceField(coerce=int, label=_("Student"))
    negotiation = forms.TypedChoiceField(coerce=int, label=_("Pair"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, students=(), negotiations=(), roles=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [(s.pk, s.display_name) for s in students]
        self.fields["negotiation"].choices = [
            (n.pk, gettext("Pair %(number)s") % {"number": n.number}) for n in negotiations
        ]
        self.fields["role"].choices = [(r.key, r.name) for r in roles]


class NextRoundForm(forms.Form):
    """The round after an ended exercise (negotiations/series.py): how to pair it, on which scenario
    version, and who is present."""

    rematch = forms.ChoiceField(
        label=_("Pairing"), choices=Exercise.Rematch.choices, initial=Exercise.Rematch.REMATCH, widget=forms.RadioSelect
    )
    scenario_version = forms.ModelChoiceField(
        label=_("Scenario"), queryset=ScenarioVersion.objects.none(), empty_label=None
    )
    students = forms.TypedMultipleChoiceField(
        coerce=int, label=_("Students present"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one student who is present.")},
    )  # fmt: skip
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    time_limit_minutes = forms.IntegerField(label=_("Time limit (minutes)"), min_value=1, max_value=240)

    def __init__(self, *args, exercise: Exercise, user, students=(), **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"scenario_version": exercise.scenario_version_id, "time_limit_minutes": exercise.time_limit_minutes},
        )
        super().__init__(*args, **kwargs)
        visible = [exercise.scenario_version_id, *(v.pk for v in latest_versions(user))]
        versions = ScenarioVersion.objects.filter(pk__in=visible).select_related("scenario")
        field = self.fields["scenario_version"]
        field.queryset = versions
        field.label_from_instance = lambda v: (
            _("%(title)s, version %(number)s") % {"title": v.title, "number": v.number}
        )
        self.fields["students"].choices = [(s.pk, s.display_name) for s in students]
        self.fields["title"].help_text = _("Optional; the first round's title and the round's number by default.")

    def first_error(self) -> str:
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            return f"{label}: {errors[0]}" if label else errors[0]
        return ""
