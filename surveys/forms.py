from __future__ import annotations

from dataclasses import replace

from django import forms
from django.utils.translation import gettext

from core import survey as svi
from surveys.services import item_field


def item_read(item: svi.Item) -> svi.Item:
    """An item in the page's language (core.survey marks its words for the catalogues)."""
    return replace(item, text=gettext(item.text), low=gettext(item.low), high=gettext(item.high))


class SurveyForm(forms.Form):
    """One required 1-7 choice per item; an unanswered or odd value is named beside its item."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = [(str(v), str(v)) for v in range(svi.LOW, svi.HIGH + 1)]
        for item in map(item_read, svi.ITEMS):
            words = {"number": item.number, "low": item.low.lower(), "high": item.high.lower()}
            self.fields[item_field(item.number)] = forms.TypedChoiceField(
                label=item.text,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": gettext(
                        "Question %(number)s has no answer: choose a number from 1 (%(low)s) to 7 (%(high)s)."
                    )
                    % words,
                    "invalid_choice": gettext("Question %(number)s needs a whole number from 1 to 7.") % words,
                },
            )

    def answers(self) -> dict[int, int]:
        return {item.number: self.cleaned_data[item_field(item.number)] for item in svi.ITEMS}

    def rows(self) -> list[dict]:
        """What the template shows for each item: the item, its field, and the value to keep checked."""
        rows = []
        for item in map(item_read, svi.ITEMS):
            bound = self[item_field(item.number)]
            value = bound.value()
            rows.append({"item": item, "field": bound, "value": "" if value is None else str(value)})
        return rows
