from __future__ import annotations

from fractions import Fraction

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.formats import number_format
from django.utils.translation import get_language_info, gettext
from django.views.decorators.http import require_POST

from core.refusal import Refused
from core.scenario_document import MAX_TEXT
from core.spec import DEBRIEF_FIGURES, plain
from scenarios.access import instructor_required
from scenarios.messages import catalogue, translated
from scenarios.models import ScenarioDraft, ScenarioVersion
from scenarios.services import (
    latest_versions,
    scenario_version_get,
    scoring_rows,
    version_figures,
    version_spec,
    version_table,
)
from scenarios.studio import one_at_a_time
from scenarios.templatetags.parley import markdown


@instructor_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    versions = latest_versions(request.user)
    drafts = ScenarioDraft.objects.filter(owner=request.user).only("id", "title", "revision", "updated_at")
    return render(
        request,
        "scenarios/list.html",
        {
            "items": [(v, version_spec(v)) for v in versions],
            "drafts": drafts,
            "delete_effects": [
                gettext("The draft and everything typed in it are deleted; this cannot be undone."),
                gettext("Versions published from it stay, and so do the exercises that run them."),
            ],
            "check_messages": catalogue(),  # the studio's refusals of an import, in the page's language
        },
    )


@instructor_required
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The studio's editor: the whole draft on one page, saved and analysed over the API as it is typed."""
    draft = get_object_or_404(
        ScenarioDraft.objects.select_related("scenario", "based_on__scenario"), pk=pk, owner=request.user
    )
    data = {
        "id": draft.pk,
        "revision": draft.revision,
        "document": draft.document,
        "scenario": draft.scenario.slug if draft.scenario_id else None,
        "figures": DEBRIEF_FIGURES,
    }
    # The scenario check's messages and the studio's refusals reach the script in English, with their templates
    # and parameters (docs/api.md); the script says them with these translations.
    return render(request, "scenarios/studio.html", {"draft": draft, "data": data, "check_messages": catalogue()})


@require_POST
@instructor_required
def markdown_preview(request: HttpRequest) -> JsonResponse:
    """A sheet's Markdown as the scenario's pages will show it (the same filter, sanitised)."""
    text = request.POST.get("text", "")
    if len(text) > MAX_TEXT:
        detail = gettext("The text has %(count)s characters; at most %(limit)s are allowed.") % {
            "count": number_format(len(text), force_grouping=True),
            "limit": number_format(MAX_TEXT, force_grouping=True),
        }
        return JsonResponse({"detail": detail}, status=400)
    try:
        with one_at_a_time(request.user, "preview", seconds=30, lane="preview"):
            return JsonResponse({"html": markdown(text)})
    except Refused as busy:  # one preview at a time an instructor: each may take up to half a second
        response = JsonResponse({"detail": translated(busy.message)}, status=429)
        response["Retry-After"] = "1"
        return response


@instructor_required
def scenario_detail(request: HttpRequest, slug: str) -> HttpResponse:
    number = request.GET.get("version", "")
    wanted = int(number) if number.isascii() and number.isdigit() and len(number) < 10 else None
    if number and wanted is None:
        raise Http404("No such version")
    try:
        version = scenario_version_get(slug, wanted, user=request.user)
    except ScenarioVersion.DoesNotExist:
        raise Http404("No such scenario") from None
    spec = version_spec(version)
    table = version_table(version)
    figures = version_figures(version)

    def pair(point: tuple[int, int] | None):
        return None if point is None else tuple(plain(table.real(x)) for x in point)

    issues = scoring_rows(spec, spec.role_keys)
    return render(
        request,
        "scenarios/detail.html",
        {
            "version": version,
            "versions": version.scenario.versions.order_by("-number").values_list("number", flat=True),
            "spec": spec,
            # The languages a student may read it in, the document's own first (docs/scenarios.md).
            "languages": [get_language_info(code)["name_local"].capitalize() for code in spec.languages],
            "issues": issues,
            "figures": figures,
            "nash": pair(figures.nash),
            "ks": pair(figures.kalai_smorodinsky),
            "egalitarian": pair(figures.egalitarian),
            "feasible_share": Fraction(figures.feasible_outcomes, figures.outcomes),
        },
    )
