"""The scenarios an exercise can use, each at its latest version."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from api.base import ErrorOut, request_user
from scenarios.models import ScenarioVersion
from scenarios.services import latest_versions

router = Router(tags=["scenarios"])


class ScenarioOut(Schema):
    slug: str
    title: str
    latest_version: int

    @staticmethod
    def resolve_slug(obj: ScenarioVersion) -> str:
        return obj.scenario.slug

    @staticmethod
    def resolve_latest_version(obj: ScenarioVersion) -> int:
        return obj.number


@router.get("/scenarios", response={200: list[ScenarioOut], 401: ErrorOut})
def scenario_list(request: HttpRequest) -> list[ScenarioVersion]:
    return latest_versions(request_user(request))
