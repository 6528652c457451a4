"""The versioned JSON report, and its JSON Schema (shipped in auditor/schema/)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from auditor.report.model import Report

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "report.schema.json"


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"


@cache
def schema() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return doc


def validate(document: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``document`` breaks the report schema."""
    import jsonschema

    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
