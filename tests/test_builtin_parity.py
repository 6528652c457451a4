"""cfn-lint's built-in rules report exactly what plain cfn-lint reports.

The engine lints templates its own way for speed (the fast path of ``auditor.lint``: a
lazily built ``Template``, a shared condition solver, memoized validator classes, a
linear de-duplication; and ``auditor.pool``'s fork pool); this proves the result is the
same set of (rule id, file, line, message) as cfn-lint's own API
(``cfnlint.api.lint_by_config``, which never touches our engine), and that the public-API
fallback (used on cfn-lint releases the fast path was not checked against) agrees too.

Run time: the whole corpus takes plain cfn-lint alone ~20 s on a quiet 2-core machine
and several times that on a busy one, so this uses a fixed subset: every 3rd app of
``cdk-examples`` (CDK's own shapes: the ``CDKMetadataAvailable`` condition, nested
stacks) and every 8th file of ``cfn-templates`` (hand-written: real Conditions and
Parameters, YAML, SAM and LanguageExtensions transforms). About 80 templates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_by_config
from cfnlint.version import __version__ as cfn_lint_version

from auditor import lint
from auditor.assembly import load_paths
from auditor.config import Settings
from auditor.engine import audit, load_checks
from auditor.suppress import apply_suppressions
from tests.conftest import CORPUS, require_corpus

pytestmark = require_corpus()

Key = tuple[str, str, int | None, str]


def _subset() -> tuple[list[Path], list[Path]]:
    """(cdk app folders, hand-written template files) of the subset."""
    apps = sorted(p for p in (CORPUS / "cdk-examples").iterdir() if (p / "manifest.json").is_file())[::3]
    loose = sorted(
        p
        for p in (CORPUS / "cfn-templates").rglob("*")
        if p.is_file() and p.suffix in (".json", ".yaml", ".yml", ".template")
    )[::8]
    return apps, loose


def _ours(paths: list[Path], jobs: int) -> set[Key]:
    assemblies = load_paths(paths)
    # As the CLI runs it: a template's own cfn-lint ignore_checks metadata marks the
    # matches suppressed (plain cfn-lint drops them).
    findings = apply_suppressions(audit(assemblies, load_checks(Settings()), jobs=jobs))
    return {
        (f.check_id, str(Path(f.template).resolve()), f.line, f.message)
        for f in findings
        if f.reported_by == "cfn-lint" and not f.suppressed
    }


def _plain(templates: list[Path]) -> set[Key]:
    matches = lint_by_config(ManualArgs(templates=[str(t) for t in templates], regions=["us-east-1"]))
    return {(m.rule.id, str(Path(m.filename).resolve()), m.linenumber, m.message) for m in matches}


def test_builtin_rules_match_plain_cfn_lint() -> None:
    apps, loose = _subset()
    assemblies = load_paths(apps + loose)
    templates = sorted({s.template_path.resolve() for a in assemblies for s in a.stacks})
    assert len(templates) >= 60
    plain = _plain(templates)
    parallel = _ours(apps + loose, jobs=2)  # the fork pool, as a big scan runs
    assert plain, "plain cfn-lint found nothing: the comparison would prove nothing"
    assert sorted(parallel - plain) == [], "reported by cdk-audit only"
    assert sorted(plain - parallel) == [], "reported by plain cfn-lint only"


def test_serial_and_parallel_agree() -> None:
    apps, _ = _subset()
    assert _ours(apps[:8], jobs=1) == _ours(apps[:8], jobs=2)


def test_public_api_fallback_agrees_with_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    apps, loose = _subset()
    paths = apps[:6] + loose[:12]
    assert lint.FAST_PATH, f"cfn-lint {cfn_lint_version}: the fast path is off; add it to FAST_PATH_VERSIONS"
    fast = _ours(paths, jobs=1)
    monkeypatch.setattr(lint, "FAST_PATH", False)
    assert fast and _ours(paths, jobs=1) == fast


def test_fast_path_only_on_checked_releases() -> None:
    for checked in ("1.54.0", "1.55.1", "1.56.3", "1.57.2", "1.58.0"):
        assert lint.fast_path_enabled(checked), checked
    for other in ("1.50.1", "1.52.1", "1.53.3", "1.59.0", "1.99.0", "2.0.0"):
        assert not lint.fast_path_enabled(other), other
    assert lint.fast_path_enabled("1.99.0", forced="1") and not lint.fast_path_enabled("1.58.0", forced="0")
