"""Configuration: one [tool.cdk-audit] table; profiles; errors exit 3 with the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import ConfigError, load_settings, parse_settings, read_settings
from auditor.registry import find_check


def test_profile_sets_defaults_and_user_values_win():
    backup = find_check("backup-retention")
    assert backup is not None
    assert parse_settings({}).rule_config(backup)["min-days"] == 7
    assert parse_settings({"profile": "production"}).rule_config(backup)["min-days"] == 35
    s = parse_settings({"profile": "production", "checks": {"backup-retention": {"min-days": 14}}})
    assert s.rule_config(backup)["min-days"] == 14


def test_checks_may_be_keyed_by_id_and_disabled():
    s = parse_settings({"checks": {"E9004": {"enabled": False}}})
    assert s.is_ignored("E9004", "log-retention")
    assert parse_settings({"ignore": ["W3005"]}).is_ignored("W3005", "W3005")


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"profil": "production"}, "unknown key(s) profil"),
        ({"profile": "prod"}, "not one of"),
        ({"checks": {"nope": {}}}, "no such check"),
        ({"checks": {"log-retention": {"min-days": "365"}}}, "must be an integer"),
        ({"checks": {"log-retention": {"min-days": True}}}, "must be an integer"),
        ({"checks": {"log-retention": {"min-dayz": 1}}}, "unknown key 'min-dayz'"),
        ({"ignore": "W3005"}, "list of strings"),
        ({"cfn-lint-rules": "no"}, "true or false"),
    ],
)
def test_bad_values_are_errors(table, fragment):
    with pytest.raises(ConfigError, match=None) as e:
        parse_settings(table, Path("cdk-audit.toml"))
    assert fragment in str(e.value) and "cdk-audit.toml" in str(e.value)


def test_lookup_order(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.cdk-audit]\nprofile = "development"\n')
    assert load_settings(None, tmp_path).profile == "development"
    (tmp_path / "cdk-audit.toml").write_text('[tool.cdk-audit]\nprofile = "production"\n')
    assert load_settings(None, tmp_path).profile == "production"
    explicit = tmp_path / "other.toml"
    explicit.write_text("[tool.cdk-audit]\n")
    assert load_settings(explicit, tmp_path).profile == "default"


def test_pyproject_without_table_is_ignored_and_bad_toml_is_error(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_settings(None, tmp_path).profile == "default"
    bad = tmp_path / "bad.toml"
    bad.write_text("[tool.cdk-audit\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)
    with pytest.raises(ConfigError, match=r"no \[tool\.cdk-audit\] table"):
        load_settings(tmp_path / "pyproject.toml")


def test_the_quick_region_list_is_cfn_lints():
    """``auditor.regions.KNOWN`` lets regions pass before synth without cfn-lint: each must
    be one the installed cfn-lint knows (else the check stage would refuse it later)."""
    from auditor import lint
    from auditor.regions import KNOWN

    assert KNOWN.issubset(lint.known_regions())


def test_read_settings_finds_shape_mistakes_and_leaves_check_tables_to_resolve(tmp_path: Path):
    cfg = tmp_path / "cdk-audit.toml"
    cfg.write_text('[tool.cdk-audit]\nregions = ["us-east1"]\n')
    with pytest.raises(ConfigError, match="did you mean 'us-east-1'"):  # not in the quick list: cfn-lint's
        read_settings(cfg)
    cfg.write_text("[tool.cdk-audit]\nprofile = 'prod'\n")
    with pytest.raises(ConfigError, match="profile"):
        read_settings(cfg)
    cfg.write_text("[tool.cdk-audit.checks.no-such-check]\nx = 1\n")
    pending = read_settings(cfg)  # a check name needs the packs: resolve() sees it
    with pytest.raises(ConfigError, match="no such check"):
        pending.resolve()
    pending = read_settings(None, None, ["log-retention.min-days=9"])
    assert pending.resolve().checks["log-retention"]["min-days"] == 9
    with pytest.raises(ConfigError, match="command line"):
        read_settings(None, None, ["log-retention.min-days=nine"]).resolve()
