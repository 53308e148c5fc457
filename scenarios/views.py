from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.spec import plain
from scenarios.models import ScenarioVersion
from scenarios.services import latest_versions, scenario_version_get, version_figures, version_spec, version_table


@login_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    versions = latest_versions()
    return render(request, "scenarios/list.html", {"items": [(v, version_spec(v)) for v in versions]})


@login_required
def scenario_detail(request: HttpRequest, slug: str) -> HttpResponse:
    number = request.GET.get("version")
    try:
        version = scenario_version_get(slug, int(number) if number and number.isdigit() else None)
    except ScenarioVersion.DoesNotExist:
        raise Http404("No such scenario") from None
    spec = version_spec(version)
    table = version_table(version)
    figures = version_figures(version)

    def pair(point: tuple[int, int] | None):
        return None if point is None else tuple(plain(table.real(x)) for x in point)

    issues = []
    for issue in spec.issues:
        options = issue.choices()
        shown = [options[0], options[-1]] if issue.kind == "numeric" else options
        rows = [(o.label, [o.points[key] for key in spec.role_keys]) for o in shown]
        issues.append({"issue": issue, "rows": rows, "count": len(options)})
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
