"""The student pages' forms: joining a class with its code, and the planning sheet."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classrooms.services import validate_mail_address
from core.spec import Scenario as ScenarioSpec


class JoinForm(forms.Form):
    code = forms.CharField(
        label=_("Class code"), max_length=20, widget=forms.TextInput(attrs={"autocapitalize": "characters"})
    )
    display_name = forms.CharField(label=_("Your name"), max_length=80, help_text=_("Your classmates will see this."))
    email = forms.EmailField(
        label=_("Email (optional)"), required=False, max_length=254, validators=[validate_mail_address]
    )
    student_number = forms.CharField(label=_("Student id (optional)"), required=False, max_length=40)


class PlanningForm(forms.Form):
    batna = forms.DecimalField(
        label=_("My BATNA (points)"), required=False, max_digits=12, decimal_places=2,
        help_text=_("What I get if we do not agree."),
    )  # fmt: skip
    reservation_value = forms.DecimalField(
        label=_("My reservation value (points)"), required=False, max_digits=12, decimal_places=2,
        help_text=_("The least I would accept."),
    )  # fmt: skip
    target = forms.DecimalField(
        label=_("My target (points)"), required=False, max_digits=12, decimal_places=2,
        help_text=_("An ambitious but realistic result."),
    )  # fmt: skip
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000
    )

    def __init__(self, *args, scenario: ScenarioSpec, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.issue_keys = [issue.key for issue in scenario.issues]
        ranks = [("", "-")] + [(str(i), str(i)) for i in range(1, len(scenario.issues) + 1)]
        for prefix, label in (
            ("rank", _("Priority of %(issue)s to me")),
            ("partner_rank", _("Priority of %(issue)s to them")),
        ):
            for issue in scenario.issues:
                self.fields[f"{prefix}_{issue.key}"] = forms.ChoiceField(
                    label=label % {"issue": issue.name}, choices=ranks, required=False
                )

    def rank_fields(self):
        return [self[f"rank_{key}"] for key in self.issue_keys]

    def partner_rank_fields(self):
        return [self[f"partner_rank_{key}"] for key in self.issue_keys]

    def other_fields(self):
        return [self[name] for name in ("batna", "reservation_value", "target", "notes")]

    def _ranking(self, data, prefix: str) -> list[str]:
        """The issue keys in the order ranked under `prefix`; every issue or none, each rank once."""
        ranks = {key: data.get(f"{prefix}_{key}") for key in self.issue_keys}
        given = {k: int(v) for k, v in ranks.items() if v}
        if given and len(given) != len(self.issue_keys):
            for key, value in ranks.items():
                if not value:
                    self.add_error(f"{prefix}_{key}", gettext("Rank every issue, or none."))
        elif len(set(given.values())) != len(given):
            for key, value in given.items():
                if list(given.values()).count(value) > 1:
                    self.add_error(
                        f"{prefix}_{key}", gettext("Rank %(rank)s is given to more than one issue.") % {"rank": value}
                    )
        return sorted(given, key=given.__getitem__) if given else []

    def clean(self):
        data = super().clean()
        data["priorities"] = self._ranking(data, "rank")
        data["partner_priorities"] = self._ranking(data, "partner_rank")
        return data
