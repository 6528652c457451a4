"""Plain `cfn-lint --append-rules checks/` runs our template-scoped checks on its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from auditor.registry import check_classes
from auditor.rule import AuditRule
from tests.conftest import ROOT

CHECKS_DIR = ROOT / "checks"


def _fires_with_defaults(slug: str) -> bool:
    """Some bad fixtures only fail under a profile or setting (their .config.toml)."""
    folder = ROOT / "tests" / "checks" / slug / "bad"
    bad = [p for p in folder.glob("*.json") if not p.name.endswith(".expected.json")]
    return any(not p.with_suffix(".config.toml").is_file() for p in bad)


def _template_scoped() -> list[type[AuditRule]]:
    # checks that only implement match_assembly have nothing for plain cfn-lint to run
    return [c for c in check_classes() if c.match is not AuditRule.match and _fires_with_defaults(c.slug)]


def test_cfn_lint_cli_loads_every_check_file_and_reports_our_ids():
    bad = sorted(p for p in (ROOT / "tests" / "checks").glob("*/bad/*.json") if not p.name.endswith(".expected.json"))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run(
        [str(cfn_lint), "--format", "parseable", "--append-rules", str(CHECKS_DIR), "--", *map(str, bad)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode != 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Tried to append rules" not in proc.stderr, proc.stderr[-2000:]
    assert ":E0002:" not in proc.stdout, [ln for ln in proc.stdout.splitlines() if ":E0002:" in ln][:5]
    # parseable: file:line:col:endline:endcol:RULE:message
    reported = {m.group(1) for m in re.finditer(r":\d+:\d+:\d+:\d+:([EWI]\d{4}):", proc.stdout)}
    missing = {c.id for c in _template_scoped()} - reported
    assert not missing, f"cfn-lint did not report {sorted(missing)} on their own bad fixtures"


def test_configure_rule_reaches_our_checks(tmp_path: Path):
    tpl = ROOT / "tests" / "fixtures" / "templates" / "open_log_group.json"
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    base = [str(cfn_lint), "--format", "parseable", "--append-rules", str(CHECKS_DIR)]
    strict = subprocess.run([*base, "--", str(tpl)], capture_output=True, text=True, timeout=120)
    lenient = subprocess.run([*base, "--configure-rule", "E9004:min-days=5", "--", str(tpl)],
                             capture_output=True, text=True, timeout=120)
    assert ":E9004:" in strict.stdout
    assert ":E9004:" not in lenient.stdout, lenient.stdout
