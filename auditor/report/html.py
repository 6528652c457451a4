"""One self-contained HTML file: the JSON report embedded in a page with inline CSS
and JavaScript (nothing fetched at view time). Summary by severity, check and stack;
the findings with filter and search; suppressed and baseline-known findings in their
own views. Filters live in the URL hash (``#view=suppressed&severity=error&q=ledger``).
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

from auditor.report.model import Report

TEMPLATE = Path(__file__).resolve().parent / "html_template.html"


@cache
def _template() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


def render(report: Report) -> str:
    # "</script" or "<!--" inside the JSON would end or upset the <script> element;
    # \u003c is the same JSON string
    data = json.dumps(report.to_dict(), separators=(",", ":")).replace("<", "\\u003c")
    title = html.escape(report.app or "report")
    return _template().replace("__TITLE__", title).replace("__DATA__", data)
