"""The exercise page's forms for the round: who is present, a swap, a student placed by hand."""

from __future__ import annotations

from django import forms


class PresentForm(forms.Form):
    students = forms.TypedMultipleChoiceField(coerce=int, required=True, label="Students present")

    def __init__(self, *args, students=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["students"].choices = [(s.pk, s.display_name) for s in students]


class SwapForm(forms.Form):
    seat_a = forms.TypedChoiceField(coerce=int, label="Swap")
    seat_b = forms.TypedChoiceField(coerce=int, label="with")

    def __init__(self, *args, seats=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (s.pk, f"Pair {s.negotiation.number}: {s.student.display_name} ({s.role_key}"
                   f"{', observer' if s.kind == 'observer' else ''})")
            for s in seats
            if s.student
        ]  # fmt: skip
        self.fields["seat_a"].choices = choices
        self.fields["seat_b"].choices = choices


class PlaceForm(forms.Form):
    student = forms.TypedChoiceField(coerce=int)
    negotiation = forms.TypedChoiceField(coerce=int, label="Pair")
    role = forms.ChoiceField()

    def __init__(self, *args, students=(), negotiations=(), roles=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [(s.pk, s.display_name) for s in students]
        self.fields["negotiation"].choices = [(n.pk, f"Pair {n.number}") for n in negotiations]
        self.fields["role"].choices = [(r.key, r.name) for r in roles]
