"""One self-contained HTML file: the JSON report embedded in a page with inline CSS
and JavaScript (nothing fetched at view time). Summary by severity, check and stack;
the findings with filter and search; suppressed and baseline-known findings in their
own views. Filters live in the URL hash (``#view=suppressed&severity=error&q=ledger``).
"""

from __future__ import annotations

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
    # Report data lives only in the data island (a JSON script element the page reads with
    # textContent); nothing from a template or a path reaches the markup or the <title>.
    data = (
        json.dumps(report.to_dict(), separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return _template().replace("__DATA__", data)
