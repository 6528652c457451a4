"""Settings reach every part of every check, however the checks run.

Non-default settings (``tests/fixtures/settings/non_default.toml``: at least one value
for every check that has options) must give identical findings when cdk-audit scans
serially, over a process pool, and when plain ``cfn-lint --append-rules checks/`` runs
the template-scoped part with the same values as cfn-lint rule configuration. Inputs:
the corpus's synthesized CDK templates, every sample app's synthesized bad variant, and
the s3-replication assembly fixtures (a replica marked with the default tag, which the
custom ``replica-tag`` turns into an ordinary bucket).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor import engine
from auditor.assembly import load_paths
from auditor.config import load_settings
from auditor.registry import check_classes
from auditor.rule import AuditRule
from tests.conftest import CORPUS, ROOT, require_corpus

CONFIG = ROOT / "tests" / "fixtures" / "settings" / "non_default.toml"
APPS = ("payments_platform", "card_gateway", "merchant_portal", "settlement_jobs")
Key = tuple[str, str, int | None, str]

pytestmark = require_corpus()


def _inputs(synth_cache: Any) -> list[Path]:
    # the corpus's CDK part (synthesized apps); the hand-written templates take a minute
    # more here and are in tests/test_corpus.py and tests/test_builtin_parity.py
    paths = [CORPUS / "cdk-examples", ROOT / "tests" / "checks" / "s3-replication" / "assembly"]
    for app in APPS:
        result = synth_cache(app, "bad")
        assert result.ok, f"{app}: synth failed: {result.error}"
        paths.append(result.output_dir)
    return paths


def _scan(cli: Any, paths: list[Path], jobs: int) -> list[dict[str, Any]]:
    r = cli("scan", *paths, "--config", CONFIG, "--format", "json", "--jobs", str(jobs), "--fail-on", "never", "-q")
    assert r.exit_code == 0, r.output[-3000:]
    findings = json.loads(r.stdout)["findings"]
    assert not [f for f in findings if f["check_id"] in ("E0002", "E9900")], "a check crashed"
    return sorted(findings, key=lambda f: json.dumps(f, sort_keys=True))


def _key(check_id: str, file: str, line: int | None, message: str) -> Key:
    return check_id, str(Path(file).resolve()), line, message


def _cfnlintrc(tmp_path: Path) -> Path:
    """The same settings as cfn-lint configuration: every value of every check, resolved."""
    settings = load_settings(CONFIG)
    ours = [c for c in check_classes() if not settings.is_ignored(c.id, c.slug)]
    builtin = [f"{letter}{n}" for letter in "EWI" for n in range(1, 9)]  # E0 stays: parse errors, rule crashes
    rc = {
        "append_rules": [str(ROOT / "checks")],
        "ignore_checks": builtin,
        "include_checks": ["I"],
        "configure_rules": {c.id: settings.rule_config(c) for c in ours},
    }
    path = tmp_path / ".cfnlintrc.json"  # YAML is a superset of JSON
    path.write_text(json.dumps(rc, indent=1), encoding="utf-8")
    return path


def _standalone(templates: list[Path], rc: Path) -> list[dict[str, Any]]:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run(
        [str(cfn_lint), "--config-file", str(rc), "--format", "json", "--", *map(str, templates)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )  # fmt: skip
    assert proc.returncode in (0, 2, 4, 6, 8, 10, 12, 14), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return json.loads(proc.stdout or "[]")


def _has_assembly_part(cls: type[AuditRule]) -> bool:
    return cls.match_assembly is not AuditRule.match_assembly


def test_every_check_with_options_has_a_non_default_value() -> None:
    settings = load_settings(CONFIG)
    for cls in check_classes():
        if cls.config_spec:
            assert settings.rule_config(cls) != cls.defaults("default"), f"{cls.slug}: no non-default value"


def _engine(assemblies: list[Any], jobs: int) -> list[dict[str, Any]]:
    """The check stage's findings before consolidation (what each rule itself reported)."""
    placed = engine.audit(assemblies, engine.load_checks(load_settings(CONFIG)), jobs=jobs)
    return sorted((f.to_dict() for _, f in placed), key=lambda f: json.dumps(f, sort_keys=True))


@pytest.mark.synth
def test_serial_pooled_and_standalone_runs_agree(cli: Any, synth_cache: Any, tmp_path: Path) -> None:
    paths = _inputs(synth_cache)
    # the CLI, from settings file to report, on the assemblies (the corpus: the engine's, below)
    serial = _scan(cli, paths[1:], jobs=1)
    assert serial, "no findings: the comparison would prove nothing"
    assert _scan(cli, paths[1:], jobs=2) == serial

    assemblies = load_paths(paths)
    ours_all = _engine(assemblies, jobs=1)
    assert _engine(assemblies, jobs=2) == ours_all
    templates = sorted({s.template_path.resolve() for a in assemblies for s in a.stacks if s.template})
    matches = _standalone(templates, _cfnlintrc(tmp_path))
    assert not [m for m in matches if m["Rule"]["Id"] == "E0002"], "a check crashed under plain cfn-lint"
    classes = {c.id: c for c in check_classes()}
    plain = {
        _key(m["Rule"]["Id"], m["Filename"], m["Location"]["Start"]["LineNumber"], m["Message"])
        for m in matches
        if m["Rule"]["Id"] in classes
    }
    ours = {_key(f["check_id"], f["template"], f["line"], f["message"]) for f in ours_all if f["check_id"] in classes}
    assert plain, "plain cfn-lint reported none of our checks"
    assert sorted(plain - ours) == [], "reported by plain cfn-lint only"
    # checks with a cross-stack part report more in cdk-audit than cfn-lint can see
    only_ours = sorted(k for k in ours - plain if not _has_assembly_part(classes[k[0]]))
    assert only_ours == [], "reported by cdk-audit only"
