from __future__ import annotations

from django import forms

from core import survey as svi
from surveys.services import item_field


class SurveyForm(forms.Form):
    """One required 1-7 choice per item; an unanswered or odd value is named beside its item."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = [(str(v), str(v)) for v in range(svi.LOW, svi.HIGH + 1)]
        for item in svi.ITEMS:
            self.fields[item_field(item.number)] = forms.TypedChoiceField(
                label=item.text,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Question {item.number} has no answer: choose a number from 1 ({item.low.lower()}) "
                    f"to 7 ({item.high.lower()}).",
                    "invalid_choice": f"Question {item.number} needs a whole number from 1 to 7.",
                },
            )

    def answers(self) -> dict[int, int]:
        return {item.number: self.cleaned_data[item_field(item.number)] for item in svi.ITEMS}

    def rows(self) -> list[dict]:
        """What the template shows for each item: the item, its field, and the value to keep checked."""
        rows = []
        for item in svi.ITEMS:
            bound = self[item_field(item.number)]
            value = bound.value()
            rows.append({"item": item, "field": bound, "value": "" if value is None else str(value)})
        return rows
