"""The HTML report in a real headless Chromium: the counts shown match the JSON, the
filters (read from the URL hash) work, nothing is fetched, and a screenshot is kept
under test-artifacts/ for a person to look at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

# one worker runs this module under pytest-xdist: its module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("html")

TEMPLATE = FIXTURES / "suppress" / "ledger.template.json"
CONFIG = FIXTURES / "suppress" / "cdk-audit.toml"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:  # never skip: the Makefile's `chromium` target installs it
        pytest.fail("chromium is not installed; run `make chromium` (apt-get install -y chromium) first")
    return found


def _browse(page: Path, *args: str, fragment: str = "") -> str:
    with tempfile.TemporaryDirectory(prefix="cdk-audit-chromium-") as profile:
        proc = subprocess.run(
            [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri() + fragment],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class _Dom(HTMLParser):
    """Text by element id, finding rows, and every src/href the page carries."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.rows: list[dict[str, str]] = []
        self.links: list[str] = []
        self._stack: list[str | None] = []
        self._row: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.links += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "tr" and "finding" in (a.get("class") or "").split():
            self._row = {"severity": a.get("data-severity") or "", "text": ""}
            self.rows.append(self._row)
        if tag not in ("br", "img", "input", "meta", "link"):
            self._stack.append(a.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        if self._stack and tag not in ("br", "img", "input", "meta", "link"):
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._stack:
            if ident:
                self.text[ident] = self.text.get(ident, "") + data
        if self._row is not None:
            self._row["text"] += data + " "


def _dom(page: Path, fragment: str = "") -> _Dom:
    dom = _Dom()
    dom.feed(_browse(page, "--dump-dom", fragment=fragment))
    return dom


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from typer.testing import CliRunner

    from auditor.cli import app

    out = tmp_path_factory.mktemp("html")
    CliRunner().invoke(
        app,
        ["scan", str(TEMPLATE), "--config", str(CONFIG), "-q",
         "--output", f"html={out / 'report.html'}", "--output", f"json={out / 'report.json'}"],
    )  # fmt: skip
    return out / "report.html", json.loads((out / "report.json").read_text())


def test_counts_match_the_json_and_nothing_is_fetched(page):
    html, report = page
    s = report["summary"]
    dom = _dom(html)
    shown = {k: dom.text[f"count-{k}"].strip() for k in ("total", "error", "warning", "info", "suppressed", "known")}
    assert shown == {
        "total": str(s["total"]),
        **{k: str(v) for k, v in s["by_severity"].items()},
        "suppressed": str(s["suppressed"]),
        "known": "0",
    }
    assert len(dom.rows) == s["total"]  # the open view lists exactly the active findings
    assert f"Showing {s['total']} of {s['total']}" in dom.text["shown"]
    for slug, n in s["by_check"].items():
        assert re.search(rf"{re.escape(slug)}\s*{n}(?!\d)", dom.text["by-check"])
    assert dom.links == []  # no stylesheet, script or font from anywhere
    assert "Ledger/AuditLogs/Resource" in " ".join(r["text"] for r in dom.rows)


def test_filters_from_the_url_hash(page):
    html, report = page
    findings = report["findings"]
    suppressed = _dom(html, "#view=suppressed")
    assert len(suppressed.rows) == report["summary"]["suppressed"]
    assert all("suppressed:" in r["text"] for r in suppressed.rows)
    assert "cfn-lint ignore_checks metadata" in " ".join(r["text"] for r in suppressed.rows)

    errors = _dom(html, "#severity=error")
    expected = [f for f in findings if f["severity"] == "error" and not f["suppressed"]]
    assert len(errors.rows) == len(expected) and {r["severity"] for r in errors.rows} == {"error"}

    search = _dom(html, "#view=all&q=ledger%2Farchive")
    assert len(search.rows) == sum("Ledger/Archive" in (f["construct_path"] or "") for f in findings) > 0

    nothing = _dom(html, "#q=no-such-thing-anywhere")
    assert nothing.rows == [] and "No findings match." in nothing.text["rows"]


def test_screenshot_for_people(page):
    html, _ = page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "html-report.png"
    shot.unlink(missing_ok=True)
    _browse(html, f"--screenshot={shot}", "--window-size=1440,1100", "--hide-scrollbars")
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
