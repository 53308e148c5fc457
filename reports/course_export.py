"""A course's export: every pair of every section that ran one scenario version, as CSV or JSON, with the
section's columns first (docs/debrief.md, "Courses: sections side by side").

The rows are the exercises' own pairs tables (reports.export_tables, the same columns), each preceded by
`section`, `section_id` and `exercise_id`; pseudonymous ids stay per exercise, as in an exercise's export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.utils import timezone

from classrooms.models import Course
from core.csvtext import csv_chunks
from core.refusal import Refused
from core.spec import plain
from reports.course_pages import Run
from reports.export_tables import FORMATS, ID_MODES, Export, ExportOptions
from scenarios.models import ScenarioVersion
from scenarios.services import version_spec

SECTION_COLUMNS = ["section", "section_id", "exercise_id"]


def course_export_options(params: Mapping[str, str]) -> ExportOptions:
    """format (csv or json) and ids (pseudonymous or names); the table is always the pairs."""
    fmt, ids = params.get("format", "csv"), params.get("ids", "pseudonymous")
    if fmt not in FORMATS:
        raise Refused(f"format={fmt!r} is not one of {', '.join(FORMATS)}.", "format")
    if ids not in ID_MODES:
        raise Refused(f"ids={ids!r} is not one of {', '.join(ID_MODES)}.", "ids")
    return ExportOptions(format=fmt, table="pairs", ids=ids)


def _rows(runs: list[Run], options: ExportOptions) -> tuple[list[str], Iterator[dict[str, Any]]]:
    exports = [(run, Export(run.exercise, options)) for run in runs]
    columns = SECTION_COLUMNS + exports[0][1].pair_columns()

    def rows() -> Iterator[dict[str, Any]]:
        for run, export in exports:
            section = {"section": str(run.section), "section_id": run.section.pk, "exercise_id": run.exercise.pk}
            for row in export.pair_rows():
                yield {**section, **row}

    return columns, rows()


def course_export_chunks(course: Course, version: ScenarioVersion, runs: list[Run], options: ExportOptions):
    columns, rows = _rows(runs, options)
    if options.format == "csv":
        return csv_chunks(columns, rows)
    return _json_chunks(course, version, runs, options, columns, rows)


def _json_chunks(
    course: Course,
    version: ScenarioVersion,
    runs: list[Run],
    options: ExportOptions,
    columns: list[str],
    rows: Iterator[dict[str, Any]],
) -> Iterator[str]:
    spec = version_spec(version)
    meta = {
        "exported_at": timezone.now().isoformat(),
        "course": {"id": course.pk, "name": course.name, "term": course.term},
        "scenario": {"slug": version.scenario.slug, "version": version.number, "title": version.title},
        "roles": [{"key": r.key, "name": r.name, "batna": plain(r.batna)} for r in spec.roles],
        "sections": [
            {
                "id": run.section.pk,
                "name": str(run.section),
                "exercise_id": run.exercise.pk,
                "exercise": run.exercise.title,
            }
            for run in runs
        ],
        "ids": options.ids,
    }
    yield '{"meta": ' + json.dumps(meta, ensure_ascii=False)
    yield ',\n"pairs_columns": ' + json.dumps(columns) + ',\n"pairs": ['
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False)
    yield "]}\n"


def course_export_filename(course: Course, version: ScenarioVersion, options: ExportOptions) -> str:
    suffix = "" if options.ids == "names" else "-pseudonymous"
    return f"parley-course-{course.pk}-{version.scenario.slug}-v{version.number}-pairs{suffix}.{options.format}"
