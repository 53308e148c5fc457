from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classrooms.models import Classroom, Course, Exercise
from scenarios.models import ScenarioVersion
from scenarios.services import latest_versions

ROSTER_MAX_BYTES = 1_000_000


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_email(self) -> str:
        # Whether an account has the address is not said here: accounts.instructor_signup answers alike.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", gettext("The two passwords differ."))
        elif password:
            try:
                validate_password(password)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ClassroomForm(forms.ModelForm):
    class Meta:
        model = Classroom
        fields = ("name", "term")
        labels = {"name": _("Name"), "term": _("Term")}
        help_texts = {"term": _("For example: Spring 2027. Optional.")}


def decode_upload(raw: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 or UTF-16 (by its byte-order mark), else Windows-1252, else refused."""
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ["utf-16"] if utf16 else ["utf-8-sig", "cp1252"]:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise forms.ValidationError(
        gettext(
            "The file is not readable text. Save the roster as 'CSV UTF-8' from your spreadsheet and upload it again."
        )
    )


class RosterForm(forms.Form):
    file = forms.FileField(
        label=_("Roster CSV file"),
        required=False,
        help_text=_("Columns: name, email, student id (a header row first)."),
    )
    text = forms.CharField(
        label=_("…or paste the CSV"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=ROSTER_MAX_BYTES,
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > ROSTER_MAX_BYTES:
                raise forms.ValidationError(gettext("The file is larger than 1 MB; split the roster."))
            data["csv"] = decode_upload(upload.read())
        elif data.get("text", "").strip():
            data["csv"] = data["text"]
        else:
            raise forms.ValidationError(gettext("Choose a CSV file or paste the roster."))
        return data


class CoInstructorForm(forms.Form):
    email = forms.EmailField(label=_("Co-instructor's email"), max_length=254)


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ("name", "term")
        labels = {"name": _("Name"), "term": _("Term")}
        help_texts = {"term": _("For example: Spring 2027. Optional.")}


class SectionForm(forms.Form):
    """A class the instructor teaches that is in no course yet, to add to a course as a section."""

    classroom = forms.ModelChoiceField(
        queryset=Classroom.objects.none(),
        label=_("Class"),
        empty_label=_("Choose a class"),
        error_messages={"invalid_choice": _("Choose one of your classes that is in no course yet.")},
    )

    def __init__(self, *args, classes=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if classes is not None:
            self.fields["classroom"].queryset = classes


class ScenarioVersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ScenarioVersion) -> str:
        return gettext("%(title)s (version %(number)s)") % {"title": obj.title, "number": obj.number}


class ExerciseForm(forms.Form):
    scenario_version = ScenarioVersionChoice(queryset=ScenarioVersion.objects.none(), label=_("Scenario"))
    title = forms.CharField(
        label=_("Title"), max_length=120, required=False, help_text=_("Optional; the scenario's title by default.")
    )
    time_limit_minutes = forms.IntegerField(label=_("Time limit (minutes)"), min_value=1, max_value=240, initial=30)
    pairing_rule = forms.ChoiceField(
        label=_("Pairing rule"), choices=Exercise.PairingRule.choices, initial=Exercise.PairingRule.RANDOM
    )
    odd_rule = forms.ChoiceField(
        label=_("With an odd number of students"), choices=Exercise.OddRule.choices, initial=Exercise.OddRule.TRIAD
    )
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        latest = latest_versions(user)  # the scenarios this instructor sees
        self.fields["scenario_version"].queryset = ScenarioVersion.objects.filter(pk__in=[v.pk for v in latest])
