"""Finding the checks: the built-in pack in ``checks/`` plus third-party packs.

A pack is a Python package or module; every ``AuditRule`` subclass defined in its
modules is a check. Third-party packs register through the ``cdk_audit.checks``
entry-point group (the value names the package). Nothing registers by import side
effect: a new check is one file in a pack, and this module finds it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rule base imports cfn-lint: only the check stage pays for it (see auditor.warm)
    from auditor.rule import AuditRule

ENTRY_POINT_GROUP = "cdk_audit.checks"
#: the built-in pack: the checks/ folder, installed under this name (see pyproject.toml)
BUILTIN_PACK = "auditor.checks"


def _modules(package: ModuleType) -> list[ModuleType]:
    mods = [package]
    if hasattr(package, "__path__"):
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                mods.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return mods


def _rules_in(module: ModuleType) -> list[type[AuditRule]]:
    from auditor.rule import AuditRule

    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, AuditRule)
        and obj is not AuditRule
        and obj.__module__ == module.__name__
        and obj.id
    ]


def pack_names() -> list[str]:
    """The packages (or modules) that hold checks: the built-in pack and every entry point's."""
    packages = {BUILTIN_PACK}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        packages.add(ep.value.split(":", 1)[0])
    return sorted(packages)


@cache
def check_classes() -> tuple[type[AuditRule], ...]:
    """Every check class, sorted by id; duplicate ids or slugs are a packaging error."""
    found: dict[str, type[AuditRule]] = {}
    slugs: dict[str, str] = {}
    for name in pack_names():
        for mod in _modules(importlib.import_module(name)):
            for cls in _rules_in(mod):
                if cls.id in found and found[cls.id] is not cls:
                    raise RuntimeError(
                        f"check id {cls.id} is defined twice ({found[cls.id].__module__}, {mod.__name__})"
                    )
                if cls.slug in slugs and slugs[cls.slug] != cls.id:
                    raise RuntimeError(f"check slug {cls.slug!r} is used by {slugs[cls.slug]} and {cls.id}")
                found[cls.id] = cls
                slugs[cls.slug] = cls.id
    return tuple(found[k] for k in sorted(found))


def find_check(id_or_slug: str) -> type[AuditRule] | None:
    key = id_or_slug.strip()
    for cls in check_classes():
        if key.upper() == cls.id or key.lower() == cls.slug:
            return cls
    return None
