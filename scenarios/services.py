"""Every write to scenarios goes through here; views, the admin and commands call these."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import get_language

from core.analysis import Figures, ScoringTable, scenario_figures
from core.scenario_document import parse_scenario
from core.scenario_translations import in_language
from core.spec import Issue
from core.spec import Scenario as ScenarioSpec
from scenarios.labels import number_text, term_label
from scenarios.models import Scenario, ScenarioVersion

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"


@dataclass(frozen=True)
class ImportResult:
    version: ScenarioVersion
    created: bool
    warnings: tuple[str, ...]


def document_digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def scenario_version_create(*, document: str, source: str = "", created_by=None, builtin: bool = False) -> ImportResult:
    """Validate a document and store it as the scenario's next version.

    Raises core.documents.DocumentError naming every problem. A document identical to the latest
    version adds nothing, so importing the same file twice is harmless.
    """
    validated = parse_scenario(document, source=source)
    spec = validated.scenario
    digest = document_digest(document)
    with transaction.atomic():
        scenario, _ = Scenario.objects.get_or_create(slug=spec.slug, defaults={"builtin": builtin})
        # Serialise versions of one scenario (not of all): two imports at once get distinct numbers.
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        latest = scenario.versions.order_by("-number").first()
        if latest is not None and latest.digest == digest:
            return ImportResult(latest, False, validated.warnings)
        version = ScenarioVersion.objects.create(
            scenario=scenario,
            number=(latest.number + 1) if latest else 1,
            document=document,
            digest=digest,
            title=spec.title,
            source=source[:300],
            created_by=created_by,
        )
    return ImportResult(version, True, validated.warnings)


def builtin_scenarios_load() -> list[ImportResult]:
    results = []
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        results.append(scenario_version_create(document=text, source=f"builtin/{path.name}", builtin=True))
    return results


def visible_to(user: Any) -> Q:
    """The scenarios `user` sees: built-in and imported ones (no owner), their own, and those shared."""
    return Q(builtin=True) | Q(owner__isnull=True) | Q(owner=user) | Q(shared=True)


def scenario_version_get(slug: str, number: int | None = None, *, user: Any = None) -> ScenarioVersion:
    """The latest version of a scenario, or the numbered one; raises ScenarioVersion.DoesNotExist. With
    `user`, only among the scenarios they see (another's private scenario does not exist for them)."""
    versions = ScenarioVersion.objects.select_related("scenario").filter(scenario__slug=slug)
    if user is not None:
        versions = versions.filter(scenario__in=Scenario.objects.filter(visible_to(user)))
    if number is not None:
        return versions.get(number=number)
    version = versions.order_by("-number").first()
    if version is None:
        raise ScenarioVersion.DoesNotExist(f"no scenario with slug {slug!r}")
    return version


def latest_versions(user: Any = None) -> list[ScenarioVersion]:
    """The latest version of every scenario (every one `user` sees, with a user), in two queries whatever
    their number."""
    scenarios = Scenario.objects.filter(visible_to(user)) if user is not None else Scenario.objects.all()
    latest = scenarios.annotate(latest=Max("versions__number")).values_list("pk", "latest")
    wanted = {pk: number for pk, number in latest if number is not None}
    versions = ScenarioVersion.objects.select_related("scenario").filter(scenario__in=wanted.keys())
    return sorted((v for v in versions if wanted[v.scenario_id] == v.number), key=lambda v: v.title.lower())


# Versions are immutable, so what is derived from a document can be cached by its digest.
@lru_cache(maxsize=256)
def _spec(digest: str, document: str) -> ScenarioSpec:
    return parse_scenario(document).scenario


@lru_cache(maxsize=64)
def _figures(digest: str, document: str) -> tuple[ScoringTable, Figures]:
    table = ScoringTable.from_scenario(_spec(digest, document))
    return table, scenario_figures(table)


_SPECS: dict[str, ScenarioSpec] = {}  # digest -> parsed spec, per process


def version_spec(version: ScenarioVersion) -> ScenarioSpec:
    """The version's parsed spec, kept per process by digest: a version read with its document deferred
    costs no query once its digest has been parsed here."""
    spec = _SPECS.get(version.digest)
    if spec is None:
        if len(_SPECS) >= 256:
            _SPECS.clear()
        spec = _SPECS[version.digest] = _spec(version.digest, version.document)
    return spec


@lru_cache(maxsize=256)
def _in_language(digest: str, document: str, language: str) -> ScenarioSpec:
    return in_language(_spec(digest, document), language)


def version_spec_read(version: ScenarioVersion) -> ScenarioSpec:
    """The version's spec in the page's language (docs/scenarios.md, "Translations"): its translation
    closest to the language Django has activated, or as written. What a student reads; the points are the
    document's, so it is scored like version_spec."""
    language = get_language() or "en"
    spec = version_spec(version)
    if len(spec.translations) == 0:
        return spec
    return _in_language(version.digest, version.document, language)


def version_table(version: ScenarioVersion) -> ScoringTable:
    return _figures(version.digest, version.document)[0]


def version_figures(version: ScenarioVersion) -> Figures:
    return _figures(version.digest, version.document)[1]


def scoring_rows(spec: ScenarioSpec, roles: tuple[str, ...]) -> list[dict]:
    """Each issue with rows of (label, [points of each given role]); a numeric issue shows its two ends."""
    issues = []
    for issue in spec.issues:
        options = issue.choices()
        shown = [options[0], options[-1]] if issue.kind == "numeric" else options
        rows = [(term_label(issue, o.key), [o.points[key] for key in roles]) for o in shown]
        item = {"issue": issue, "rows": rows, "count": len(options)}
        if issue.kind == "contingent":
            item.update(event=spec.event(issue.event), paid=_paid_rows(spec, issue, roles))
        issues.append(item)
    return issues


def _paid_rows(spec: ScenarioSpec, issue: Issue, roles: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """A contingent issue's options with what each pays each role in each outcome, as text
    ("Beats 2M: 30, Misses: 0"), the role's name first when there are several roles."""
    event = spec.event(issue.event)
    rows = []
    for option in issue.options:
        assert option.by_outcome is not None
        texts = []
        for key in roles:
            paid = ", ".join(f"{o.label}: {number_text(option.by_outcome[key][o.key])}" for o in event.outcomes)
            texts.append(f"{spec.role(key).name}: {paid}" if len(roles) > 1 else paid)
        rows.append((option.label, texts))
    return rows
