from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.spec import plain
from scenarios.access import instructor_required
from scenarios.models import ScenarioVersion
from scenarios.services import (
    latest_versions,
    scenario_version_get,
    scoring_rows,
    version_figures,
    version_spec,
    version_table,
)


@instructor_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    versions = latest_versions(request.user)
    return render(request, "scenarios/list.html", {"items": [(v, version_spec(v)) for v in versions]})


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
            "issues": issues,
            "figures": figures,
            "nash": pair(figures.nash),
            "ks": pair(figures.kalai_smorodinsky),
            "egalitarian": pair(figures.egalitarian),
            "feasible_percent": round(100 * figures.feasible_outcomes / figures.outcomes, 1),
        },
    )
