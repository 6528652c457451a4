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

The command line goes on top (``--profile NAME``, ``--set KEY=VALUE`` with the same keys:
``--set log-retention.min-days=400``), over the file, over the profile's defaults. The
result is one immutable ``Settings``, resolved once and handed to every check.

An unknown key, an unknown check, or a value of the wrong type is a ``ConfigError``
naming the file (exit 3), never silently ignored.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from auditor.registry import check_classes, find_check
from auditor.suppress import Suppression

if TYPE_CHECKING:  # the rule base imports cfn-lint, which only the check stage needs (auditor.warm)
    from auditor.rule import AuditRule

PROFILES = ("default", "production", "development")
_TOP_KEYS = {"profile", "ignore", "cfn-lint-rules", "regions", "checks", "suppress"}
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "string": (str,),
    "boolean": (bool,),
    "list": (list, tuple),
}
#: where command-line values come from, in error messages
COMMAND_LINE = "command line (--set)"


class ConfigError(Exception):
    """A configuration the user must fix; the message names the file."""


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _thawed_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _thawed(v) for k, v in value.items()}


def _thawed(value: Any) -> Any:
    """A plain copy, as cfn-lint's rule configuration takes it (lists, dicts)."""
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


@dataclass(frozen=True)
class Settings:
    """Every setting of a run, resolved once: profile defaults, then the file, then the
    command line. Immutable; the engine hands it to every part of every check."""

    profile: str = "default"
    ignore: tuple[str, ...] = ()
    cfn_lint_rules: bool = True
    regions: tuple[str, ...] = ("us-east-1",)
    #: slug -> the user's own values (validated), from the file and the command line
    checks: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    #: [[tool.cdk-audit.suppress]] entries (check, reason, optional construct-path prefix)
    suppress: tuple[Suppression, ...] = ()
    #: the file the settings were read from, if any
    source: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore", tuple(self.ignore))
        object.__setattr__(self, "regions", tuple(self.regions))
        object.__setattr__(self, "suppress", tuple(self.suppress))
        object.__setattr__(self, "checks", _frozen(self.checks))

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def rule_config(self, cls: type[AuditRule]) -> dict[str, Any]:
        """The configuration a check runs with: profile defaults, then the user's values."""
        merged = cls.defaults(self.profile)
        merged.update({k: v for k, v in self.checks.get(cls.slug, {}).items() if k != "enabled"})
        return _thawed_dict(merged)

    def is_ignored(self, check_id: str, slug: str) -> bool:
        if self.checks.get(slug, {}).get("enabled") is False:
            return True
        return any(check_id.upper().startswith(i.upper()) or slug == i.lower() for i in self.ignore if i)

    def to_dict(self) -> dict[str, Any]:
        """Everything that changes results, resolved (profile defaults included), as JSON data."""
        return {
            "profile": self.profile,
            "ignore": sorted(self.ignore),
            "cfn-lint-rules": self.cfn_lint_rules,
            "regions": list(self.regions),
            "checks": {
                cls.slug: {"enabled": not self.is_ignored(cls.id, cls.slug), **self.rule_config(cls)}
                for cls in check_classes()
            },
            "suppress": [dataclasses.asdict(s) for s in self.suppress],
        }


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
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            return py  # let load_settings report the problem with the file's name
        tool = data.get("tool")
        if tool is not None and (not isinstance(tool, dict) or "cdk-audit" in tool):
            return py  # a table of ours, or a `tool` that is no table: load_settings says so
    return None


def _read_table(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; check the --config path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read; flatten the TOML") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    tool = data.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table; put the settings under [tool.cdk-audit]")
    table = (tool or {}).get("cdk-audit")
    if table is None:
        raise ConfigError(f"{path}: no [tool.cdk-audit] table; put the settings under [tool.cdk-audit]")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.cdk-audit] must be a table")
    return table


def parse_override(text: str) -> tuple[list[str], Any]:
    """``KEY=VALUE`` from the command line: ``profile=production``, ``ignore=["W3005"]``,
    ``log-retention.min-days=400``. The value is TOML, or else a bare string."""
    key, sep, raw = text.partition("=")
    path = [k.strip() for k in key.split(".")]
    if not sep or not all(path):
        raise ConfigError(f"{COMMAND_LINE}: {text!r} is not KEY=VALUE (e.g. log-retention.min-days=400)")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except RecursionError:
        raise ConfigError(f"{COMMAND_LINE}: the value of {key!r} is nested too deeply to read") from None
    if len(path) == 1:
        return path, value
    if len(path) == 2:  # CHECK.KEY
        return ["checks", *path], value
    raise ConfigError(f"{COMMAND_LINE}: {key!r} has too many parts; use KEY or CHECK.KEY")


def _merged(table: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    out = dict(table)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            child = node.get(part)
            node[part] = dict(child) if isinstance(child, dict) else {}
            node = node[part]
        node[path[-1]] = value
    return out


@dataclass(frozen=True)
class SettingsFile:
    """Settings read and checked for every mistake that needs no check pack (the file, its
    shape, the profile, the regions, the suppressions), not yet resolved against the packs.

    ``run`` reads them before synth, so those mistakes stop it before it starts, and
    leaves ``resolve`` (check names and values: importing the packs, and with them
    cfn-lint) to the thread that overlaps synth (``auditor.warm``); a mistake found
    there stops synth too.
    """

    table: Mapping[str, Any]
    path: Path | None
    overrides: tuple[str, ...] = ()

    def resolve(self) -> Settings:
        """The settings; raises ``ConfigError`` for an unknown check or a bad check value."""
        settings = _parsed(self.table, self.path, self.overrides, packs=True)
        assert settings is not None
        return settings


def read_settings(
    explicit: Path | None = None,
    search_dir: Path | None = None,
    overrides: Sequence[str] = (),
) -> SettingsFile:
    """The ``explicit`` file, else the one found in ``search_dir``, with the command line's
    ``KEY=VALUE`` ``overrides`` on top; raises ``ConfigError`` for any mistake that needs
    no check pack to see (quick: no cfn-lint)."""
    path = explicit if explicit is not None else find_config_file(search_dir)
    table = _read_table(path) if path is not None else {}
    merged = _merged(table, overrides) if overrides else table
    _parsed(merged, path, tuple(overrides), packs=False)
    return SettingsFile(merged, path, tuple(overrides))


def load_settings(
    explicit: Path | None = None,
    search_dir: Path | None = None,
    overrides: Sequence[str] = (),
) -> Settings:
    """Resolve the settings once: ``explicit`` file, else the one found in ``search_dir``,
    with the command line's ``KEY=VALUE`` ``overrides`` on top (profile defaults below all)."""
    return read_settings(explicit, search_dir, overrides).resolve()


def _parsed(table: Any, path: Path | None, overrides: tuple[str, ...], packs: bool) -> Settings | None:
    if not overrides:
        return _parse(table, path, packs)
    try:
        return _parse(table, path, packs)
    except ConfigError as e:
        raise ConfigError(f"{e} (settings from {path or 'defaults'} and the {COMMAND_LINE})") from None


def parse_settings(table: Any, path: Path | None = None) -> Settings:
    settings = _parse(table, path, packs=True)
    assert settings is not None
    return settings


def _parse(table: Any, path: Path | None, packs: bool) -> Settings | None:
    """The settings in ``table``; ``packs=False``: only check what needs no check pack (None)."""
    where = f"{path}: " if path else ""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}[tool.cdk-audit] must be a table")
    unknown = set(table) - _TOP_KEYS
    if unknown:
        raise ConfigError(
            f"{where}unknown key(s) {', '.join(sorted(unknown))} in [tool.cdk-audit]; "
            f"known keys: {', '.join(sorted(_TOP_KEYS))}"
        )
    profile = table.get("profile", "default")
    if profile not in PROFILES:
        raise ConfigError(f"{where}profile = {profile!r} is not one of {', '.join(PROFILES)}")
    regions = _str_list(table.get("regions", ["us-east-1"]), f"{where}regions")
    if not regions:
        raise ConfigError(f"{where}regions must name at least one region")
    _check_regions(regions, where, exact=packs)
    cfn_rules = table.get("cfn-lint-rules", True)
    if not isinstance(cfn_rules, bool):
        raise ConfigError(f"{where}cfn-lint-rules must be true or false")
    ignore = tuple(_str_list(table.get("ignore", []), f"{where}ignore"))
    suppress = tuple(_suppressions(table.get("suppress", []), where))
    checks = table.get("checks", {})
    if not isinstance(checks, dict):
        raise ConfigError(f"{where}[tool.cdk-audit.checks] must be a table of check tables")
    if not packs:
        return None
    values: dict[str, dict[str, Any]] = {}
    for name, given in checks.items():
        slug = _check_slug(name, where)  # first: an unknown check is the error to report
        values[slug] = _check_values(name, given, where)
    return Settings(
        profile=profile,
        ignore=ignore,
        cfn_lint_rules=cfn_rules,
        regions=tuple(regions),
        checks=values,
        suppress=suppress,
        source=path,
    )


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


def _check_regions(regions: Sequence[str], where: str, exact: bool) -> None:
    """Every region one cfn-lint knows (a typo such as ``us-east1`` would stop cfn-lint
    later). ``exact=False``: regions in ``auditor.regions.KNOWN`` pass without asking
    cfn-lint (importing it costs a second before synth); any other is looked up in it."""
    from auditor.regions import KNOWN

    if not exact and all(region in KNOWN for region in regions):
        return
    from auditor import lint  # cfn-lint: in the check stage, or for a region we do not know

    known = lint.known_regions()
    for region in regions:
        if region not in known:
            close = difflib.get_close_matches(region, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use a region id such as 'us-east-1'"
            raise ConfigError(f"{where}regions: {region!r} is not an AWS region cfn-lint knows; {hint}")


def _str_list(value: Any, what: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
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
