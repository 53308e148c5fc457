"""The scenario studio: drafts, their analysis and the bots' tournament, publishing, sharing, a version's
document and the difference between two versions (docs/studio.md). The studio page calls these with its
session (and the CSRF token); a program with its bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status

from api.base import (
    BODY,
    MAX_ID,
    READ,
    TOKEN_OR_PAGE,
    WRITE,
    ErrorOut,
    InputSchema,
    ValidationErrorOut,
    request_user,
)
from classrooms.throttles import client_address, throttle_hit
from core.messages import Message, msg
from core.refusal import Refused
from core.spec import plain
from core.studio import analyse_draft
from core.tournament import tournament
from scenarios import studio
from scenarios.models import Scenario, ScenarioDraft, ScenarioVersion
from scenarios.services import scenario_version_get

router = Router(tags=["studio"], auth=TOKEN_OR_PAGE)

DraftId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The draft's id."}]
SlugPath = Path[str, {"max_length": 50, "pattern": r"^[-a-z0-9_]+$", "description": "The scenario's slug."}]
VersionNumber = Path[int, {"ge": 1, "le": MAX_ID, "description": "The version's number."}]
Slug = Field(max_length=50, pattern=r"^[-a-z0-9_]+$", description="The scenario's slug.")


class AdaptIn(InputSchema):
    scenario: str = Slug
    version: int | None = Field(None, ge=1, le=MAX_ID, description="The latest version when null.")


class DraftIn(InputSchema):
    """At most one of the three; none makes the starter document."""

    document: dict[str, Any] | None = Field(None, description="A document as data (docs/scenarios.md).")
    adapt: AdaptIn | None = Field(None, description="Copy a scenario's version into the draft.")
    yaml: str | None = Field(None, max_length=500_000, description="A YAML document to import (may be invalid).")


class DraftSave(InputSchema):
    document: dict[str, Any]
    revision: int = Field(ge=1, le=MAX_ID, description="The revision this edit was made on.")


class DraftOut(Schema):
    id: int
    title: str
    revision: int
    document: dict[str, Any]
    scenario: str | None = Field(None, description="The slug its publications are versions of.")
    based_on: str | None = Field(None, description="`slug@version` it was adapted from.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_scenario(obj: ScenarioDraft) -> str | None:
        return obj.scenario.slug if obj.scenario_id else None

    @staticmethod
    def resolve_based_on(obj: ScenarioDraft) -> str | None:
        return f"{obj.based_on.scenario.slug}@{obj.based_on.number}" if obj.based_on_id else None


class DraftSummary(Schema):
    id: int
    title: str
    revision: int
    updated_at: datetime


class AnalysisIn(InputSchema):
    document: dict[str, Any]


TEMPLATE = Field(
    description="The message's English template, with named placeholders (`%(name)s`, and `%%` for a percent sign)."
)
PARAMS = Field(
    description="Each placeholder's value: text kept as it is in every language (a key, a path, a value), a "
    "number (a count or a limit, to write as the reader's language writes numbers), or an object with its own "
    "`template` and `params` (a word, such as `a list`), to translate the same way."
)


class ProblemOut(Schema):
    path: str
    message: str
    template: str = TEMPLATE
    params: dict[str, Any] = PARAMS


class WarningOut(Schema):
    message: str = Field(description="The warning's text, as in `warnings`.")
    template: str = Field(description="As a problem's; its `path` parameter names the part at fault.")
    params: dict[str, Any] = PARAMS


class AnalysisOut(Schema):
    valid: bool
    problems: list[ProblemOut]
    warnings: list[str] = []
    warning_details: list[WarningOut] = Field(
        [], description="The same warnings, each with its template and parameters, for saying it in another language."
    )
    figures: dict[str, Any] | None = Field(None, description="The scenario report's figures, with `region`.")


class TournamentIn(InputSchema):
    document: dict[str, Any]
    rounds: int = Field(50, ge=1, le=100, description="Rounds to play, the strategy pairs in turn.")
    seed: int = Field(1, ge=0, le=MAX_ID)


class RoundOut(Schema):
    first: str
    second: str
    ending: Literal["agreed", "walked", "time"]
    package: dict[str, str] | None
    points: list[float]


class PublishedOut(Schema):
    scenario: str
    version: int
    title: str


class ShareIn(InputSchema):
    shared: bool


class ScenarioShareOut(Schema):
    slug: str
    shared: bool


class DiffQuery(InputSchema):
    older: int = Field(ge=1, le=MAX_ID, alias="from")
    newer: int = Field(ge=1, le=MAX_ID, alias="to")


def _draft(request: HttpRequest, draft_id: DraftId) -> ScenarioDraft:
    draft = (
        ScenarioDraft.objects.select_related("scenario", "based_on__scenario")
        .filter(pk=draft_id, owner=request_user(request))
        .first()
    )
    if draft is None:
        raise Http404("No such draft")
    return draft


def _version(request: HttpRequest, slug: str, number: int | None) -> ScenarioVersion:
    try:
        return scenario_version_get(slug, number, user=request_user(request))
    except ScenarioVersion.DoesNotExist:
        raise Http404("No such scenario or version") from None


@router.get("/scenario-drafts", response={200: list[DraftSummary], 401: ErrorOut})
def draft_list(request: HttpRequest) -> Any:
    return ScenarioDraft.objects.filter(owner=request_user(request)).only("id", "title", "revision", "updated_at")


def _at_most_one(given: list[str]) -> Message:
    if len(given) == 2:
        first, second = given
        return msg(
            "Give at most one of document, adapt and yaml, not %(first)s and %(second)s.",
            first=first,
            second=second,
        )
    return msg("Give at most one of document, adapt and yaml, not document and adapt and yaml.")


@router.post("/scenario-drafts", response={201: DraftOut, **WRITE})
def draft_create(request: HttpRequest, payload: DraftIn) -> Status[ScenarioDraft]:
    given = [name for name in ("document", "adapt", "yaml") if getattr(payload, name) is not None]
    if len(given) > 1:
        raise Refused(_at_most_one(given), given[1])
    adapt = _version(request, payload.adapt.scenario, payload.adapt.version) if payload.adapt else None
    draft = studio.draft_create(owner=request_user(request), document=payload.document, adapt=adapt, yaml=payload.yaml)
    return Status(201, draft)


@router.get("/scenario-drafts/{draft_id}", response={200: DraftOut, **READ})
def draft_detail(request: HttpRequest, draft_id: DraftId) -> ScenarioDraft:
    return _draft(request, draft_id)


@router.put("/scenario-drafts/{draft_id}", response={200: DraftOut, **WRITE})
def draft_update(request: HttpRequest, draft_id: DraftId, payload: DraftSave) -> ScenarioDraft:
    return studio.draft_save(draft=_draft(request, draft_id), document=payload.document, revision=payload.revision)


@router.delete("/scenario-drafts/{draft_id}", response={204: None, **READ})
def draft_delete(request: HttpRequest, draft_id: DraftId) -> Status[None]:
    _draft(request, draft_id).delete()
    return Status(204, None)


@router.post("/scenario-drafts/{draft_id}/publish", response={201: PublishedOut, **WRITE, 429: ErrorOut})
def draft_publish(request: HttpRequest, draft_id: DraftId) -> Status[dict[str, Any]]:
    draft = _draft(request, draft_id)
    with studio.one_at_a_time(request_user(request), "publication"):  # validates, as an analysis does
        version = studio.draft_publish(draft=draft)
    return Status(201, {"scenario": version.scenario.slug, "version": version.number, "title": version.title})


COSTLY = {**BODY, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}  # throttled, or one running


@router.post("/scenario-analysis", response={200: AnalysisOut, **COSTLY})
def scenario_analysis(request: HttpRequest, payload: AnalysisIn) -> dict[str, Any]:
    user = request_user(request)
    throttle_hit(action="studio_analysis", address=client_address(request), account=str(user.pk))
    with studio.one_at_a_time(user, "analysis"):
        return analyse_draft(payload.document)


@router.post("/scenario-tournaments", response={200: list[RoundOut], **COSTLY})
def scenario_tournament(request: HttpRequest, payload: TournamentIn) -> list[dict[str, Any]]:
    user = request_user(request)
    throttle_hit(action="studio_tournament", address=client_address(request), account=str(user.pk))
    with studio.one_at_a_time(user, "tournament"):  # reading the document costs its grids too
        _, scenario = studio.scenario_of(payload.document, "document")
        rounds = tournament(scenario, payload.rounds, payload.seed)
    return [
        {
            "first": r.first,
            "second": r.second,
            "ending": r.ending,
            "package": r.package,
            "points": [plain(p) for p in r.points],
        }
        for r in rounds
    ]


@router.patch("/scenarios/{slug}", response={200: ScenarioShareOut, **WRITE})
def scenario_share(request: HttpRequest, slug: SlugPath, payload: ShareIn) -> Scenario:
    scenario = _version(request, slug, None).scenario
    return studio.scenario_share(scenario=scenario, user=request_user(request), shared=payload.shared)


@router.get(
    "/scenarios/{slug}/versions/{number}/document",
    response={200: str, **READ},
    openapi_extra={"responses": {200: {"content": {"application/yaml": {}}}}},
)
def scenario_document(request: HttpRequest, slug: SlugPath, number: VersionNumber) -> HttpResponse:
    version = _version(request, slug, number)
    response = HttpResponse(version.document, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-v{number}.yaml"'
    return response


@router.get("/scenarios/{slug}/diff", response={200: str, **READ})
def scenario_diff(request: HttpRequest, slug: SlugPath, query: Query[DiffQuery]) -> HttpResponse:
    older, newer = _version(request, slug, query.older), _version(request, slug, query.newer)
    return HttpResponse(studio.version_diff(older, newer), content_type="text/plain; charset=utf-8")
