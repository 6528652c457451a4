"""Configuration: one ``[tool.cdk-audit]`` table, wherever it is read from.

Looked up in this order: ``--config FILE``; ``cdk-audit.toml`` beside the app's
cdk.json (or in the current directory for ``scan``); the ``pyproject.toml`` there.
The table's shape is the same in all three::

    [tool.cdk-audit]
    profile = "production"          # or "development"; sets check defaults
    ignore = ["W3005"]              # check ids or slugs (ours or cfn-lint's) to skip
    cfn-lint-rules = true           # also run cfn-lint's built-in rules
    regions = ["us-east-1"]         # regions cfn-lint validates against

    [tool.cdk-audit.checks.log-retention]
    min-days = 365

An unknown key, an unknown check, or a value of the wrong type is a ``ConfigError``
naming the file (exit 3), never silently ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.registry import check_classes, find_check
from auditor.rule import AuditRule
from auditor.suppress import Suppression

PROFILES = ("default", "production", "development")
_TOP_KEYS = {"profile", "ignore", "cfn-lint-rules", "regions", "checks", "suppress"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "string": (str,),
    "boolean": (bool,),
    "list": (list,),
}


class ConfigError(Exception):
    """A configuration the user must fix; the message names the file."""


@dataclass
class Settings:
    profile: str = "default"
    ignore: list[str] = field(default_factory=list)
    cfn_lint_rules: bool = True
    regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    #: slug -> the user's own values (validated)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None
    #: [[tool.cdk-audit.suppress]] entries (check, reason, optional construct-path prefix)
    suppress: list[Suppression] = field(default_factory=list)

    def rule_config(self, cls: type[AuditRule]) -> dict[str, Any]:
        """The configuration a check runs with: profile defaults, then the user's values."""
        merged = cls.defaults(self.profile)
        merged.update({k: v for k, v in self.checks.get(cls.slug, {}).items() if k != "enabled"})
        return merged

    def is_ignored(self, check_id: str, slug: str) -> bool:
        if self.checks.get(slug, {}).get("enabled") is False:
            return True
        return any(check_id.startswith(i.upper()) or slug == i.lower() for i in self.ignore if i)


def find_config_file(start: Path | None) -> Path | None:
    """``cdk-audit.toml`` or a ``pyproject.toml`` with a ``[tool.cdk-audit]`` table in ``start``."""
    if start is None:
        return None
    own = start / "cdk-audit.toml"
    if own.is_file():
        return own
    py = start / "pyproject.toml"
    if py.is_file():
        try:
            data = tomllib.loads(py.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            return py  # let load_settings report the parse error with the file's name
        if "cdk-audit" in data.get("tool", {}):
            return py
    return None


def load_settings(explicit: Path | None = None, search_dir: Path | None = None) -> Settings:
    path = explicit if explicit is not None else find_config_file(search_dir)
    if path is None:
        return Settings()
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; check the --config path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    table = data.get("tool", {}).get("cdk-audit")
    if table is None:
        raise ConfigError(f"{path}: no [tool.cdk-audit] table; put the settings under [tool.cdk-audit]")
    return parse_settings(table, path)


def parse_settings(table: Any, path: Path | None = None) -> Settings:
    where = f"{path}: " if path else ""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}[tool.cdk-audit] must be a table")
    unknown = set(table) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{where}unknown key(s) {', '.join(sorted(unknown))} in [tool.cdk-audit]; "
            f"known keys: {', '.join(sorted(_TOP_KEYS))}"
        )
    s = Settings(source=path)
    profile = table.get("profile", "default")
    if profile not in PROFILES:
        raise ConfigError(f"{where}profile = {profile!r} is not one of {', '.join(PROFILES)}")
    s.profile = profile
    s.ignore = _str_list(table.get("ignore", []), f"{where}ignore")
    s.regions = _str_list(table.get("regions", s.regions), f"{where}regions")
    if not s.regions:
        raise ConfigError(f"{where}regions must name at least one region")
    cfn_rules = table.get("cfn-lint-rules", True)
    if not isinstance(cfn_rules, bool):
        raise ConfigError(f"{where}cfn-lint-rules must be true or false")
    s.cfn_lint_rules = cfn_rules
    s.suppress = _suppressions(table.get("suppress", []), where)
    checks = table.get("checks", {})
    if not isinstance(checks, dict):
        raise ConfigError(f"{where}[tool.cdk-audit.checks] must be a table of check tables")
    for name, values in checks.items():
        slug = _check_slug(name, where)  # first: an unknown check is the error to report
        s.checks[slug] = _check_values(name, values, where)
    return s


def _suppressions(value: Any, where: str) -> list[Suppression]:
    """``[[tool.cdk-audit.suppress]]``: each needs a check and a reason (why it is fine)."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}suppress must be an array of tables ([[tool.cdk-audit.suppress]])")
    out = []
    for i, entry in enumerate(value, 1):
        what = f"{where}suppress entry {i}"
        unknown = set(entry) - {"check", "reason", "path"}
        if unknown:
            raise ConfigError(f"{what}: unknown key(s) {', '.join(sorted(unknown))}; known keys: check, path, reason")
        for key in ("check", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{what}: {key} must be a non-empty string (every suppression says why)")
        path = entry.get("path")
        if path is not None and not isinstance(path, str):
            raise ConfigError(f"{what}: path must be a string (a construct-path prefix or glob)")
        out.append(Suppression(entry["check"].strip(), entry["reason"].strip(), path or None))
    return out


def _str_list(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what} must be a list of strings")
    return list(value)


def _check_slug(name: str, where: str) -> str:
    cls = find_check(name)
    if cls is None:
        known = ", ".join(c.slug for c in check_classes())
        raise ConfigError(f"{where}[tool.cdk-audit.checks.{name}]: no such check; known checks: {known}")
    return cls.slug


def _check_values(name: str, values: Any, where: str) -> dict[str, Any]:
    cls = find_check(name)
    assert cls is not None
    if not isinstance(values, dict):
        raise ConfigError(f"{where}[tool.cdk-audit.checks.{name}] must be a table")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "enabled":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}checks.{name}.enabled must be true or false")
            out[key] = value
            continue
        spec = cls.config_spec.get(key)
        if spec is None:
            known = ", ".join(["enabled", *cls.config_spec]) or "enabled"
            raise ConfigError(f"{where}checks.{name}: unknown key {key!r}; known keys: {known}")
        out[key] = _typed(value, spec, f"{where}checks.{name}.{key}")
    return out


def _typed(value: Any, spec: dict[str, Any], what: str) -> Any:
    kind = spec.get("type", "string")
    ok = isinstance(value, _PY_TYPES.get(kind, (object,)))
    if kind == "integer" and isinstance(value, bool):
        ok = False
    if ok and kind == "list":
        item = _PY_TYPES.get(spec.get("itemtype", "string"), (object,))
        ok = all(isinstance(v, item) and not (item == (int,) and isinstance(v, bool)) for v in value)
    if not ok:
        article = "an" if kind == "integer" else "a"
        expected = f"a list of {spec.get('itemtype', 'string')}s" if kind == "list" else f"{article} {kind}"
        raise ConfigError(f"{what} must be {expected}, got {value!r}")
    if kind == "integer" and "minimum" in spec and value < spec["minimum"]:
        raise ConfigError(f"{what} must be at least {spec['minimum']}, got {value}")
    choices = spec.get("choices")
    if choices and kind == "string" and value not in choices:
        raise ConfigError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
    return value
